"""`auditgame envs list`, through typer's runner (the envs command group alone: no torch is loaded)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from auditgame.cli.envs import app
from auditgame.envs import STAGES, EnvironmentFileError, build_environments, save_environments


def test_list_shows_every_stage_with_its_commands():
    result = CliRunner().invoke(app, ["list"], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    for stage in STAGES:
        assert stage in result.output
    for command in (
        "sycophantic-answer",
        "poem-score",
        "checklist-complete",
        "checklist-unedited",
        "compute-reward",
    ):
        assert command in result.output


def test_list_as_json():
    result = CliRunner().invoke(app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["stage"] for row in rows] == [1, 2, 3, 4, 5]
    assert rows[4] == {
        "stage": 5,
        "name": "reward-tampering",
        "instances": 32,
        "reward_cmd": ["compute-reward"],
        "oversight_cmd": ["reward-unit-tests"],
        "description": rows[4]["description"],
    }
    assert rows[0]["oversight_cmd"] == [] and "(A)/(B)" in rows[0]["description"]


def test_list_counts_an_environments_file(tmp_path):
    path = tmp_path / "environments.json"
    save_environments(build_environments("reward-tampering", per_stage=3), path)
    rows = json.loads(CliRunner().invoke(app, ["list", "--file", str(path), "--json"]).output)
    assert [(row["name"], row["instances"]) for row in rows] == [("reward-tampering", 3)]


def test_a_bad_environments_file_raises_the_one_line_error(tmp_path):
    path = tmp_path / "environments.json"
    path.write_text("[{]")
    result = CliRunner().invoke(app, ["list", "--file", str(path)])
    assert result.exit_code != 0
    assert isinstance(result.exception, EnvironmentFileError)  # auditgame's main prints it on one line
    assert str(path) in str(result.exception) and "\n" not in str(result.exception)


def test_the_group_is_registered_in_the_main_cli():
    from pathlib import Path

    import auditgame.cli

    main = (Path(auditgame.cli.__file__).parent / "main.py").read_text()  # importing it would load torch
    assert 'app.add_typer(envs.app, name="envs")' in main


def _one_line_error(result) -> str:
    """The CLI's error: one line on stderr, no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_run_refuses_bad_input_in_one_line(tmp_path, micro_model_dir):
    from tests.conftest import run_auditgame

    model = str(micro_model_dir)
    assert "unknown stage" in _one_line_error(run_auditgame("envs", "run", "no-such-stage", "--model", model))
    assert "-n must be a positive" in _one_line_error(
        run_auditgame("envs", "run", "1", "--model", model, "-n", "0")
    )
    broken = tmp_path / "environments.json"
    broken.write_text("[{not json")
    line = _one_line_error(run_auditgame("envs", "run", "1", "--model", model, "--environments", str(broken)))
    assert str(broken) in line
    assert "model" in _one_line_error(run_auditgame("envs", "run", "1", "--model", str(tmp_path / "none")))


def test_run_samples_episodes_and_writes_them(tmp_path, micro_model_dir):
    from tests.conftest import run_auditgame

    out = tmp_path / "episodes.jsonl"
    result = run_auditgame(
        "envs", "run", "reward-tampering", "--model", str(micro_model_dir), "-n", "3", "--max-turns", "2",
        "--max-new-tokens", "8", "--out", str(out), "--json", "--no-progress", check=True,
    )  # fmt: skip
    rates = json.loads(result.stdout)
    assert rates["n"] == 3 and rates["stage_name"] == "reward-tampering"
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 3 and all(record["stage"] == 5 for record in records)
