"""`auditgame audit auto`: the checklist auditor's typer command, wrapped in a throwaway app."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from auditgame.cli.audit_auto import auto
from auditgame.errors import ConfigError
from auditgame.game.submission import load_submission


def app() -> typer.Typer:
    application = typer.Typer()
    application.command("auto")(auto)
    application.command("other")(lambda: None)  # keeps "auto" a sub-command
    return application


def test_auto_writes_a_submission(games, tmp_path):
    game = games["weights"]
    config = tmp_path / "audit.json"
    config.write_text(json.dumps({"domains": ["content/recipes", "chat/general"], "prompts_per_domain": 1}))
    result = CliRunner().invoke(
        app(),
        [
            "auto",
            str(game / "auditor"),
            "--out",
            str(tmp_path / "run"),
            "--seed",
            "2",
            "--no-progress",
            "--config",
            str(config),
            "--set",
            "max_new_tokens=4",
            "--set",
            "adversarial_questions=0",
            "--set",
            "lens_top_k=2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "submission written to" in result.output
    printed = " ".join(result.output.split())
    assert printed.count("upper bound") == 1 and "never rank it against blind auditors" in printed
    load_submission(tmp_path / "run" / "submission.json", game)
    evidence = json.loads((tmp_path / "run" / "evidence.json").read_text())
    assert evidence["config"]["max_new_tokens"] == 4 and evidence["seed"] == 2
    assert evidence["upper_bound"] is True and evidence["auditor"] == "checklist"


def test_auto_rejects_bad_options(games, tmp_path):
    result = CliRunner().invoke(
        app(),
        ["auto", str(games["weights"] / "auditor"), "--out", str(tmp_path / "x"), "--set", "min_rate=7"],
    )
    assert isinstance(result.exception, ConfigError) and "min_rate" in str(result.exception)


def test_auto_help_says_upper_bound():
    result = CliRunner().invoke(app(), ["auto", "--help"])
    assert result.exit_code == 0 and "UPPER BOUND" in result.output
