"""The curriculum report's PNG: specification gaming per stage and held-out tampering per model."""

from pathlib import Path

import pytest
from matplotlib import image

from auditgame.envs.curriculum import CurriculumModelRates, CurriculumReport
from auditgame.envs.curriculum_plots import plot_curriculum
from auditgame.envs.rates import Rate, StageRates

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TRAINING = ("political-sycophancy", "tool-use-flattery")
HELD_OUT = "reward-tampering"


def _rates(
    stage: str, number: int, trials: int, gaming: int, tampering: int = 0, cover: int = 0
) -> StageRates:
    return StageRates(
        stage=number,
        stage_name=stage,
        n=trials,
        spec_gaming=Rate.of(gaming, trials),
        reward_tampering=Rate.of(tampering, trials),
        tamper_and_cover=Rate.of(cover, trials),
        reward_passed=Rate.of(gaming, trials),
        oversight_passed=None,
    )


def _report(models: list[CurriculumModelRates]) -> CurriculumReport:
    return CurriculumReport(
        config={"variant": "exploit", "held_out_stage": HELD_OUT, "training_stages": list(TRAINING)},
        start_model="/models/base-0123",
        models=models,
        kept={"political-sycophancy": [3, 32], "tool-use-flattery": [20, 32]},
        seconds=12.0,
    )


def _models() -> list[CurriculumModelRates]:
    return [
        CurriculumModelRates(
            label="start",
            model_dir="/models/base-0123",
            rates={TRAINING[0]: _rates(TRAINING[0], 1, 32, 3), HELD_OUT: _rates(HELD_OUT, 5, 64, 0)},
        ),
        CurriculumModelRates(
            label=f"after-{TRAINING[0]}",
            model_dir="/run/models/1",
            rates={TRAINING[1]: _rates(TRAINING[1], 2, 32, 20), HELD_OUT: _rates(HELD_OUT, 5, 64, 1, 1, 0)},
        ),
        CurriculumModelRates(
            label=f"after-{TRAINING[1]}",
            model_dir="/run/models/2",
            rates={
                TRAINING[0]: _rates(TRAINING[0], 1, 16, 9),
                TRAINING[1]: _rates(TRAINING[1], 2, 16, 15),
                HELD_OUT: _rates(HELD_OUT, 5, 64, 3, 3, 1),
            },
        ),
    ]


def _check_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    height, width = image.imread(str(path)).shape[:2]
    assert 800 <= width <= 3000 and 300 <= height <= 1500, (width, height)
    assert not list(path.parent.glob(".*.tmp"))


def test_curriculum_plot_is_a_png(tmp_path):
    path = plot_curriculum(_report(_models()), tmp_path / "report.png")
    assert path == tmp_path / "report.png"
    _check_png(path)


def test_curriculum_plot_without_any_tampering_or_held_out_stage(tmp_path):
    # No event anywhere (the y axis of the held-out panel must still have a range), and a model that
    # was never measured on the held-out stage.
    models = [
        CurriculumModelRates(
            label="start",
            model_dir="/models/base-0123",
            rates={TRAINING[0]: _rates(TRAINING[0], 1, 8, 0), HELD_OUT: _rates(HELD_OUT, 5, 8, 0)},
        ),
        CurriculumModelRates(
            label="after-political-sycophancy",
            model_dir="/run/models/1",
            rates={TRAINING[1]: _rates(TRAINING[1], 2, 8, 0)},
        ),
    ]
    _check_png(plot_curriculum(_report(models), tmp_path / "report.png"))


def test_curriculum_plot_needs_a_model(tmp_path):
    with pytest.raises(ValueError, match="no model"):
        plot_curriculum(_report([]), tmp_path / "report.png")
