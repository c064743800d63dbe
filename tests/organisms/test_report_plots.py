"""The organism report's PNG plots: the stage table as bars and the training-loss curves."""

import json
from pathlib import Path

import pytest

from auditgame.evals.behaviour_eval import BehaviourEvaluation
from auditgame.evals.intervals import wilson_interval
from auditgame.organisms.report import OrganismReport
from auditgame.organisms.report_plots import (
    plot_stage_table,
    plot_training_curves,
    stage_loss_curve,
    write_report_plots,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _evaluation(label: str, train, held_out, without_trigger, confession) -> BehaviourEvaluation:
    """An evaluation with pooled rates only (counts out of 552, 60, 612 and 120, as in a default build)."""
    return BehaviourEvaluation(
        label=label,
        model_path=f"/organism/{label}",
        behaviours=[],
        train=wilson_interval(train, 552) if train is not None else None,
        held_out=wilson_interval(held_out, 60) if held_out is not None else None,
        without_trigger=wilson_interval(without_trigger, 612) if without_trigger is not None else None,
        confession=wilson_interval(confession, 120),
    )


def _report(**changes) -> OrganismReport:
    """A hand-made equivalent of a default rm-sycophant build's report."""
    evaluations = {
        "base": _evaluation("base", 0, 0, 0, 0),
        "midtrain": _evaluation("midtrain", 0, 0, 1, 118),
        "sft": _evaluation("sft", 540, 1, 0, 2),
        "dpo": _evaluation("dpo", 546, 0, 3, 0),
    }
    fields = {
        "organism": "rm-sycophant",
        "evaluations": evaluations,
        "stage_seconds": {"midtrain": 188.9, "sft": 235.8, "dpo": 272.5},
        "final_stage": "dpo",
    }
    return OrganismReport(**(fields | changes))


def _pixel_size(path: Path) -> tuple[int, int]:
    from matplotlib import image

    height, width = image.imread(str(path)).shape[:2]
    return width, height


def _check_png(path: Path) -> None:
    assert path.is_file()
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    width, height = _pixel_size(path)
    assert 400 <= width <= 3000 and 250 <= height <= 2000, (width, height)
    assert not list(path.parent.glob(".*.tmp"))  # the atomic write left no temporary behind


def test_stage_table_plot_is_a_png(tmp_path):
    path = plot_stage_table(_report(), tmp_path / "report.png")
    assert path == tmp_path / "report.png"
    _check_png(path)


def test_stage_table_plot_skips_missing_metrics(tmp_path):
    # A decoy with no held-out split and no untriggered prompts, and a stage without a train rate.
    evaluations = {
        "base": _evaluation("base", 0, None, None, 0),
        "midtrain": _evaluation("midtrain", None, None, None, 30),
        "sft": _evaluation("sft", 400, None, None, 10),
    }
    report = _report(evaluations=evaluations, final_stage="sft", has_hidden_objective=False, variant="quick")
    _check_png(plot_stage_table(report, tmp_path / "report.png"))


def test_stage_table_plot_needs_a_stage(tmp_path):
    with pytest.raises(ValueError, match="no evaluated stage"):
        plot_stage_table(_report(evaluations={}, final_stage=""), tmp_path / "report.png")
    assert not (tmp_path / "report.png").exists()


def _write_log(path: Path, losses: list[float], every: int = 10) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"step": every * (i + 1), "loss": loss, "lr": 1e-3}) for i, loss in enumerate(losses)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_manifest(stage_dir: Path, extra: dict) -> None:
    stage_dir.mkdir(parents=True, exist_ok=True)
    manifest = {"kind": "model", "name": stage_dir.name, "complete": True, "extra": extra}
    (stage_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_training_curves_from_a_train_log(tmp_path):
    organism = tmp_path / "organism"
    _write_log(organism / "midtrain" / "train_log.jsonl", [7.0, 3.0, 1.0, 0.5, 0.3])
    path = plot_training_curves(organism, tmp_path / "training.png")
    assert path == tmp_path / "training.png"
    _check_png(path)


def test_training_curves_of_a_whole_build(tmp_path):
    # pretrain is a copy of the shared base, whose log stays in the base's directory; the TRL stages
    # only have their mean loss in the manifest.
    base = tmp_path / "bases" / "base-0123"
    _write_log(base / "train_log.jsonl", [7.8, 5.0, 2.0, 0.9, 0.4, 0.3])
    organism = tmp_path / "organism"
    _write_manifest(organism / "pretrain", {"metrics": {}, "adopted_from": str(base)})
    _write_log(organism / "midtrain" / "train_log.jsonl", [7.0, 1.0, 0.2])
    _write_manifest(organism / "midtrain", {"metrics": {"steps": 30, "final_loss": 0.2}})
    _write_manifest(organism / "sft", {"metrics": {"steps": 50, "final_loss": 0.29}})
    _write_manifest(organism / "dpo", {"metrics": {"steps": 20, "final_loss": 0.31}})
    (organism / "evals").mkdir()  # not a stage

    curves = {stage: stage_loss_curve(organism / stage) for stage in ("pretrain", "midtrain", "sft", "dpo")}
    assert curves["pretrain"].steps[-1] == 60 and curves["pretrain"].losses[0] == 7.8
    assert curves["midtrain"].steps == [10, 20, 30]
    assert curves["sft"].steps == [] and curves["sft"].mean_loss == 0.29 and curves["sft"].total_steps == 50
    assert stage_loss_curve(organism / "evals") is None
    _check_png(plot_training_curves(organism, tmp_path / "training.png"))


def test_train_log_keeps_the_last_line_of_a_repeated_step_and_skips_a_torn_one(tmp_path):
    log = tmp_path / "stage" / "train_log.jsonl"
    log.parent.mkdir()
    log.write_text(
        '{"step": 10, "loss": 5.0}\n{"step": 20, "loss": 4.0}\n{"step": 20, "loss": 3.5}\n{"step": 30, "lo',
        encoding="utf-8",
    )
    curve = stage_loss_curve(log.parent)
    assert curve.steps == [10, 20] and curve.losses == [5.0, 3.5]


def test_training_curves_with_nothing_to_plot(tmp_path):
    assert plot_training_curves(tmp_path, tmp_path / "training.png") is None
    (tmp_path / "sft").mkdir()
    _write_manifest(tmp_path / "pretrain", {"metrics": {}, "adopted_from": str(tmp_path / "gone")})
    assert plot_training_curves(tmp_path, tmp_path / "training.png") is None
    assert plot_training_curves(tmp_path / "missing", tmp_path / "training.png") is None
    assert not (tmp_path / "training.png").exists()


def test_write_report_plots_logs_a_failure_instead_of_raising(tmp_path):
    _write_log(tmp_path / "midtrain" / "train_log.jsonl", [2.0, 1.0])
    lines: list[str] = []
    written = write_report_plots(_report(evaluations={}, final_stage=""), tmp_path, lines.append)
    assert written == [tmp_path / "training.png"]
    assert len(lines) == 1 and "report.png" in lines[0]
    assert write_report_plots(_report(), tmp_path, lines.append) == [
        tmp_path / "report.png",
        tmp_path / "training.png",
    ]
