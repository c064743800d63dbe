"""A PNG of an expert-iteration curriculum report: specification gaming per stage, held-out tampering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditgame.artifacts import atomic_write_png
from auditgame.envs.curriculum import CurriculumReport
from auditgame.envs.environment import STAGES, resolve_stage
from auditgame.envs.errors import UnknownStageError
from auditgame.envs.rates import Rate
from auditgame.errors import MissingExtraError

CURRICULUM_PNG = "report.png"
"""The plot's file name, beside the curriculum's ``report.md``."""


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise MissingExtraError("matplotlib", "plots") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _held_out_stage(report: CurriculumReport) -> str:
    try:
        return resolve_stage(report.config.get("held_out_stage", STAGES[-1]))
    except UnknownStageError:
        return STAGES[-1]


def _interval(rate: Rate) -> tuple[list[float], list[float]]:
    # Clamped: a bound computed apart from the rate can sit a hair inside it.
    return [max(0.0, rate.rate - rate.low)], [max(0.0, rate.high - rate.rate)]


def _offsets(count: int, spread: float = 0.6) -> list[float]:
    """Horizontal offsets that keep ``count`` markers at one x from hiding each other."""
    if count < 2:
        return [0.0] * count
    return [spread * (index / (count - 1) - 0.5) for index in range(count)]


def plot_curriculum(report: CurriculumReport, path: Path) -> Path:
    """Draw a curriculum run: specification gaming on the training stages, tampering on the held-out one.

    Left panel: each model's specification-gaming rate on each training stage it was measured on (the
    stage it was sampled on, and for the last model every stage), one marker series per model. Right
    panel: each model's reward-tampering and tampering + covering rates on the held-out stage. Both on a
    linear % axis with the exact (Clopper–Pearson) 95% intervals as bars; each marker is labelled with
    its count (``successes/trials``), because at rates near 0 the count says more than the marker. The
    right panel's axis ends just above the largest upper bound, so rare events stay visible.

    Args:
        report: The curriculum's report.
        path: Where the PNG goes (written atomically).

    Returns:
        ``path``.

    Raises:
        MissingExtraError: if matplotlib is not installed.
        ValueError: if the report holds no model.
    """
    if not report.models:
        raise ValueError("the curriculum report holds no model to plot")
    plt = _pyplot()
    from matplotlib.ticker import PercentFormatter

    held_out = _held_out_stage(report)
    measured = {stage for model in report.models for stage in model.rates if stage != held_out}
    stages = [stage for stage in STAGES if stage in measured] + sorted(measured - set(STAGES))
    labels = [model.label for model in report.models]
    figure, (gaming, tampering) = plt.subplots(
        1,
        2,
        figsize=(max(10.0, 1.3 * len(stages) + 1.1 * len(labels) + 3), 4.8),
        gridspec_kw={"width_ratios": [max(len(stages), 1), max(len(labels), 2)]},
    )

    offsets = _offsets(len(labels))
    for number, model in enumerate(report.models):
        legend_label: str | None = model.label
        for index, stage in enumerate(stages):
            rates = model.rates.get(stage)
            if rates is None:
                continue
            rate = rates.spec_gaming
            x = index + offsets[number]
            gaming.errorbar(
                [x],
                [rate.rate],
                yerr=_interval(rate),
                fmt="o",
                color=f"C{number % 10}",
                capsize=3,
                label=legend_label,
            )
            legend_label = None  # one legend entry per model
            gaming.annotate(
                f"{rate.successes}/{rate.trials}",
                (x, rate.high),
                textcoords="offset points",
                xytext=(0, 3),
                ha="center",
                fontsize=6,
            )
    gaming.set_xticks(range(len(stages)))
    gaming.set_xticklabels(stages, rotation=20, ha="right", fontsize=8)
    gaming.set_xlim(-0.6, len(stages) - 0.4)
    gaming.set_ylim(0, 1.08)
    gaming.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    gaming.set_ylabel("specification gaming (exact 95% interval)")
    gaming.set_title("specification gaming per training stage")
    gaming.grid(axis="y", linewidth=0.4, alpha=0.5)

    # Colours apart from the left panel's, where each colour is a model.
    series = (
        ("reward tampering", "reward_tampering", "o", "black"),
        ("tampering + covering", "tamper_and_cover", "s", "tab:gray"),
    )
    highest = 0.0
    for number, (label, field, marker, colour) in enumerate(series):
        shift = (number - 0.5) * 0.25
        series_label: str | None = label
        for index, model in enumerate(report.models):
            rates = model.rates.get(held_out)
            if rates is None:
                continue
            rate: Rate = getattr(rates, field)
            highest = max(highest, rate.high)
            tampering.errorbar(
                [index + shift],
                [rate.rate],
                yerr=_interval(rate),
                fmt=marker,
                color=colour,
                capsize=3,
                label=series_label,
            )
            series_label = None
            tampering.annotate(
                f"{rate.successes}/{rate.trials}",
                (index + shift, rate.high),
                textcoords="offset points",
                xytext=(0, 3),
                ha="center",
                fontsize=6,
            )
    tampering.set_xticks(range(len(labels)))
    tampering.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
    tampering.set_xlim(-0.6, len(labels) - 0.4)
    tampering.set_ylim(0, min(1.0, highest * 1.2) if highest > 0 else 1.0)
    tampering.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))
    tampering.set_ylabel("rate on the held-out stage (exact 95% interval)")
    tampering.set_title(f"held out: {held_out}")
    tampering.grid(axis="y", linewidth=0.4, alpha=0.5)

    variant = report.config.get("variant", "")
    figure.suptitle(
        f"expert-iteration curriculum{f' ({variant})' if variant else ''} from {Path(report.start_model).name}"
    )
    # One legend under both panels, where it hides no marker: the models (left), the two rates (right).
    handles, legend_labels = gaming.get_legend_handles_labels()
    more_handles, more_labels = tampering.get_legend_handles_labels()
    rows = 2
    figure.legend(
        handles + more_handles,
        legend_labels + more_labels,
        loc="lower center",
        ncol=max(1, -(-(len(legend_labels) + len(more_labels)) // rows)),
        fontsize=7,
        frameon=False,
    )
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    path = Path(path)
    atomic_write_png(path, figure)
    return path
