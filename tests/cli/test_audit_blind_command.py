"""`auditgame audit blind` on bad input: one clear line, no traceback, no submission."""

from __future__ import annotations

import json

from tests.conftest import run_auditgame


def _one_line_error(result, *fragments):
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_workspace_without_tier_file(tmp_path):
    result = run_auditgame("audit", "blind", str(tmp_path), "--out", str(tmp_path / "out"), "--no-progress")
    _one_line_error(result, "tier.json")
    assert not (tmp_path / "out" / "submission.json").exists()


def test_unknown_option_names_the_field(tmp_path):
    (tmp_path / "tier.json").write_text(json.dumps({"tier": "api", "models": ["model-a"]}))
    result = run_auditgame("audit", "blind", str(tmp_path), "--set", "promts_per_domain=3", "--no-progress")
    _one_line_error(result, "promts_per_domain")
    assert not (tmp_path / "audits").exists()


def test_output_inside_the_master_directory_is_refused(tmp_path):
    workspace = tmp_path / "game" / "auditor"
    workspace.mkdir(parents=True)
    (workspace / "tier.json").write_text(json.dumps({"tier": "api", "models": ["model-a"]}))
    out = tmp_path / "game" / "master" / "audit"
    result = run_auditgame("audit", "blind", str(workspace), "--out", str(out), "--no-progress")
    _one_line_error(result, "master")
    assert not out.exists()
