"""`auditgame bench auditors`: bad input gets one clear line and a non-zero exit."""

from __future__ import annotations

import pytest

from tests.conftest import run_auditgame


def _one_line_error(result, *fragments):
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (["--zoo", "{missing}"], ("does not exist",)),
        (["--zoo", "{zoo}", "--auditors", "checklist,oracle"], ("unknown auditor 'oracle'",)),
        (["--zoo", "{zoo}", "--tiers", "api,source"], ("unknown tier 'source'",)),
    ],
)
def test_bad_input_is_one_line(fake_zoo, tmp_path, options, fragments):
    arguments = [option.format(missing=tmp_path / "no-zoo", zoo=fake_zoo) for option in options]
    result = run_auditgame("bench", "auditors", *arguments, "--out", str(tmp_path / "out"), timeout=120)
    _one_line_error(result, *fragments)
    assert not (tmp_path / "out").exists()
