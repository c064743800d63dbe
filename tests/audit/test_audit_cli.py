"""`auditgame audit ...`: listing, options, running a technique by name, and bad input."""

import json

import pytest
from typer.testing import CliRunner

from auditgame.audit import run_technique, technique_names
from auditgame.cli.audit import BUILTIN_TECHNIQUES, parse_settings
from auditgame.cli.main import app
from auditgame.errors import ConfigError, UnknownNameError

runner = CliRunner()


def test_every_builtin_technique_is_registered_and_has_a_command():
    assert set(technique_names()) == set(BUILTIN_TECHNIQUES)
    for name in BUILTIN_TECHNIQUES:
        result = runner.invoke(app, ["audit", "options", name])
        assert result.exit_code == 0, result.output


def test_parse_settings():
    assert parse_settings(["top_k=20", "queries=[a, b]", "a.b=1.5", "method=hybrid"]) == {
        "top_k": 20,
        "queries": ["a", "b"],
        "a": {"b": 1.5},
        "method": "hybrid",
    }
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_settings(["top_k"])


def test_run_technique_by_name(micro_model_dir, tmp_path):
    result = run_technique("logit_lens", micro_model_dir, prompts=["Hi"])
    assert result.technique == "logit_lens" and result.findings
    with pytest.raises(UnknownNameError, match="unknown technique"):
        run_technique("mind_reading", micro_model_dir)
    with pytest.raises(ConfigError, match="no_such_option"):
        run_technique("logit_lens", micro_model_dir, no_such_option=1)


def test_cli_runs_a_technique_and_writes_its_report(micro_model_dir, tmp_path):
    out = tmp_path / "lens.json"
    result = runner.invoke(
        app,
        [
            "audit",
            "logit_lens",
            str(micro_model_dir),
            "--set",
            "prompts=[Hello]",
            "--out",
            str(out),
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["technique"] == "logit_lens" and report["config"]["prompts"] == ["Hello"]


def test_cli_bad_input_is_one_line(tmp_path):
    from tests.conftest import run_auditgame

    missing = run_auditgame("audit", "logit_lens", str(tmp_path / "nowhere"), "--no-progress")
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert "does not exist" in missing.stderr
