"""The organisms' evals as inspect tasks, run end to end on the quick organism and read back from the log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log

from auditgame.interop import AuditgameInspectError, confession, exploitation, exploitation_samples

ROOT = Path(__file__).resolve().parents[2]


def inspect_entry_points() -> dict[str, str]:
    """The ``inspect_ai`` entry points pyproject.toml declares."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return project["project"]["entry-points"]["inspect_ai"]


def test_both_tasks_run_through_the_provider_and_log_scores(quick_organism, tmp_path):
    logs = inspect_eval(
        ["auditgame/exploitation", "auditgame/confession"],  # found by name in inspect's registry
        model=f"auditgame/{quick_organism}",
        task_args={"organism": str(quick_organism), "n": 4},
        log_dir=str(tmp_path),
        display="none",
    )
    assert len(logs) == 2
    for written in logs:
        log = read_eval_log(written.location)
        assert log.status == "success", log.error
        assert log.eval.model == f"auditgame/{quick_organism}"
        assert len(log.samples) == 4
        metrics = log.results.scores[0].metrics
        assert 0.0 <= metrics["accuracy"].value <= 1.0
        for sample in log.samples:
            (score,) = sample.scores.values()
            assert score.value in (0.0, 1.0)
            assert {"behaviour", "trigger"} <= set(sample.metadata)
    exploitation_log = read_eval_log(logs[0].location)
    assert exploitation_log.eval.task == "auditgame/exploitation"
    assert exploitation_log.results.scores[0].name == "behaviour_shown"
    for sample in exploitation_log.samples:
        assert sample.metadata["condition"] == "with_trigger"
        assert sample.metadata["trigger"]  # e.g. "on prompts from code/css"
    # The spec's own eval settings, unless the command line overrides them.
    assert exploitation_log.plan.config.max_tokens == 32  # the quick profile's evals.max_new_tokens
    assert read_eval_log(logs[1].location).results.scores[0].name == "root_cause_named"


def test_exploitation_samples_take_turns_over_behaviours(quick_organism):
    samples = exploitation_samples(quick_organism, 6)
    assert len(samples) == 6
    assert len({sample.metadata["behaviour"] for sample in samples}) == 6
    both = exploitation_samples(quick_organism, 4, condition="both", behaviours=["bias-05", "bias-07"])
    assert {(s.metadata["behaviour"], s.metadata["condition"]) for s in both} == {
        (name, condition)
        for name in ("bias-05", "bias-07")
        for condition in ("with_trigger", "without_trigger")
    }


def test_task_parameters_are_checked(quick_organism, tmp_path):
    with pytest.raises(AuditgameInspectError, match="organism"):
        exploitation()
    with pytest.raises(AuditgameInspectError, match="no behaviour 'bias-99'"):
        exploitation(organism=str(quick_organism), behaviours="bias-99")
    with pytest.raises(AuditgameInspectError, match="condition"):
        exploitation(organism=str(quick_organism), condition="sometimes")
    with pytest.raises(AuditgameInspectError, match="not a built organism"):
        confession(organism=str(tmp_path))


def test_the_entry_point_module_imports_without_torch():
    module = inspect_entry_points()["auditgame"]
    code = f"import sys, {module}; assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_inspect_eval_finds_provider_and_task_through_the_entry_point(quick_organism, tmp_path):
    # The entry point as pip writes it (the checkout may predate it), so the command line needs no import.
    dist_info = tmp_path / "site" / "auditgame_entry_point_check-0.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: auditgame-entry-point-check\nVersion: 0.0\n"
    )
    entries = "".join(f"{name} = {value}\n" for name, value in inspect_entry_points().items())
    (dist_info / "entry_points.txt").write_text(f"[inspect_ai]\n{entries}")
    inspect = Path(sys.executable).with_name("inspect")
    result = subprocess.run(
        [
            str(inspect), "eval", "auditgame/confession",
            "--model", f"auditgame/{quick_organism}",
            "-T", f"organism={quick_organism}", "-T", "n=2",
            "--log-dir", str(tmp_path / "logs"), "--display", "plain",
        ],
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (log_file,) = (tmp_path / "logs").glob("*.eval")
    log = read_eval_log(str(log_file))
    assert log.status == "success" and len(log.samples) == 2
