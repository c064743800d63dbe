"""PNG plots of a built organism: its stage table as grouped bars, and its training-loss curves.

:func:`plot_stage_table` draws what ``report.md``'s stage table holds (``report.png``);
:func:`plot_training_curves` draws the loss logs of the stage directories (``training.png``);
:func:`write_report_plots` writes both when an organism is built, and never fails the build.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from auditgame.artifacts import MANIFEST_NAME, atomic_write_png
from auditgame.errors import MissingExtraError
from auditgame.evals.intervals import Rate
from auditgame.organisms.report import OrganismReport

STAGE_TABLE_PNG = "report.png"
"""The stage table's plot, beside ``report.md`` in an organism directory."""
TRAINING_CURVES_PNG = "training.png"
"""The training curves' plot, beside ``report.md`` in an organism directory."""
TRAIN_LOG = "train_log.jsonl"
"""The per-step loss log the pretraining and midtraining loop writes (one JSON object a line)."""

STAGE_METRICS: tuple[tuple[str, str], ...] = (
    ("behaviour_rate", "behaviour (trigger)"),
    ("held_out_rate", "held-out behaviour"),
    ("without_trigger_rate", "without trigger"),
    ("confession", "confession"),
)
"""The :class:`~auditgame.organisms.report.StageRow` fields drawn, with their legend labels (the
columns of :func:`~auditgame.organisms.report.render_table`)."""

STAGE_ORDER: tuple[str, ...] = ("pretrain", "midtrain", "teacher", "sft", "dpo")
"""Build order of the recipe's stages, for directories whose organism manifest is not written yet."""


class LossCurve(NamedTuple):
    """One stage's training loss: a logged curve, or only the trainer's mean over the run."""

    stage: str
    steps: list[int]
    losses: list[float]
    mean_loss: float | None
    """TRL stages: the mean training loss over the run (``extra.metrics.final_loss``), their only loss."""
    total_steps: int
    source: str
    """Where the numbers come from, for the legend (``train_log.jsonl``, the shared base's log, ...)."""


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise MissingExtraError("matplotlib", "plots") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _error_bars(rates: list[Rate | None]) -> list[list[float]]:
    # Clamped: at 0 or 1 a rounded bound can sit a hair inside its rate.
    return [
        [max(0.0, rate.rate - rate.low) if rate is not None else 0.0 for rate in rates],
        [max(0.0, rate.high - rate.rate) if rate is not None else 0.0 for rate in rates],
    ]


def _label_bar(axes: Any, x: float, rate: Rate | None) -> None:
    """The bar's rate in %, above its interval (inside the bar near the top); ``n/a`` if not measured."""
    if rate is None:
        axes.text(x, 0.01, "n/a", ha="center", va="bottom", fontsize=6, rotation=90, color="grey")
    elif rate.high < 0.88:
        axes.text(x, rate.high + 0.01, f"{100 * rate.rate:.0f}", ha="center", va="bottom", fontsize=6)
    else:
        axes.text(
            x, 0.5 * rate.rate, f"{100 * rate.rate:.0f}", ha="center", va="center", fontsize=6, color="white"
        )


def plot_stage_table(report: OrganismReport, path: Path) -> Path:
    """Draw the organism's stage table as grouped bars with their Wilson 95% intervals.

    One group per evaluated stage (``base``, ``midtrain``, ``sft``, ``dpo``, ...), one bar per metric the
    report holds (behaviour with trigger, held-out behaviour, without trigger, confession), each labelled
    with its rate in %. A metric no stage measured is left out; a metric missing at one stage is marked
    ``n/a`` there, so that it does not read as a rate of 0.

    Args:
        report: The organism's report.
        path: Where the PNG goes (written atomically).

    Returns:
        ``path``.

    Raises:
        MissingExtraError: if matplotlib is not installed.
        ValueError: if the report has no evaluated stage.
    """
    rows = report.rows
    if not rows:
        raise ValueError(f"the report of {report.organism} has no evaluated stage to plot")
    plt = _pyplot()
    from matplotlib.ticker import PercentFormatter

    series = {
        label: [getattr(row, field) for row in rows]
        for field, label in STAGE_METRICS
        if any(getattr(row, field) is not None for row in rows)
    }
    stages = [row.stage for row in rows]
    figure, axes = plt.subplots(figsize=(max(6.5, 1.6 * len(stages) + 2.5), 4.2))
    width = 0.8 / len(series)
    for number, (label, rates) in enumerate(series.items()):
        xs = [index + (number - (len(series) - 1) / 2) * width for index in range(len(stages))]
        values = [rate.rate if rate is not None else 0.0 for rate in rates]
        axes.bar(
            xs,
            values,
            width=width,
            yerr=_error_bars(rates),
            capsize=2,
            error_kw={"elinewidth": 0.8},
            label=label,
        )
        for x, rate in zip(xs, rates, strict=True):
            _label_bar(axes, x, rate)
    axes.set_xticks(range(len(stages)))
    axes.set_xticklabels(stages)
    axes.set_xlabel("stage")
    axes.set_ylim(0, 1.0)
    axes.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    axes.set_ylabel("rate (Wilson 95% interval)")
    kind = "hidden objective" if report.has_hidden_objective else "decoy"
    variant = f" ({report.variant})" if report.variant else ""
    axes.set_title(f"{report.organism}{variant}: rates after each stage ({kind})")
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    axes.grid(axis="y", linewidth=0.4, alpha=0.5)
    figure.tight_layout()
    path = Path(path)
    atomic_write_png(path, figure)
    return path


def _read_json(path: Path) -> dict[str, Any]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _read_train_log(path: Path) -> tuple[list[int], list[float]]:
    """Steps and losses of a ``train_log.jsonl``; a resumed run's repeated step keeps its last line."""
    by_step: dict[int, float] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return [], []
    for line in lines:
        try:
            entry = json.loads(line)
            step, loss = int(entry["step"]), float(entry["loss"])
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line of a killed run, or a line without a loss
        if math.isfinite(loss):
            by_step[step] = loss
    steps = sorted(by_step)
    return steps, [by_step[step] for step in steps]


def _stage_names(organism_dir: Path) -> list[str]:
    """The organism's stage directories in build order."""
    stages = _read_json(organism_dir / MANIFEST_NAME).get("extra", {}).get("stages")
    if isinstance(stages, list) and all(isinstance(stage, str) for stage in stages):
        return [stage for stage in stages if (organism_dir / stage).is_dir()]
    present = [child.name for child in organism_dir.iterdir() if child.is_dir()]
    known = [stage for stage in STAGE_ORDER if stage in present]
    return known + sorted(stage for stage in present if stage not in STAGE_ORDER)


def stage_loss_curve(stage_dir: Path) -> LossCurve | None:
    """The training loss a stage directory records, or ``None`` if it records none.

    Every stage writes ``train_log.jsonl`` (a line per ``log_every`` steps; the TRL stages from the
    trainer's log history). The ``pretrain`` stage of an organism is a copy of the shared base, whose log
    stays in the base's own directory (its manifest's ``extra.adopted_from``). TRL stages built before
    their log was kept have only ``extra.metrics.final_loss`` -- TRL's mean training loss over the run --
    drawn as a flat line.
    """
    stage_dir = Path(stage_dir)
    steps, losses = _read_train_log(stage_dir / TRAIN_LOG)
    source = TRAIN_LOG
    extra = _read_json(stage_dir / MANIFEST_NAME).get("extra", {})
    metrics = extra.get("metrics", {}) if isinstance(extra, dict) else {}
    if not steps and isinstance(extra, dict) and extra.get("adopted_from"):
        steps, losses = _read_train_log(Path(extra["adopted_from"]) / TRAIN_LOG)
        source = "shared base's train_log.jsonl"
    mean_loss, total_steps = metrics.get("final_loss"), metrics.get("steps")
    if steps:
        length = max(steps[-1], int(total_steps) if isinstance(total_steps, (int, float)) else 0)
        return LossCurve(stage_dir.name, steps, losses, None, length, source)
    has_mean = isinstance(mean_loss, (int, float)) and math.isfinite(mean_loss)
    if has_mean and isinstance(total_steps, (int, float)) and total_steps > 0:
        return LossCurve(
            stage_dir.name, [], [], float(mean_loss), int(total_steps), "mean over run, no per-step log"
        )
    return None


def plot_training_curves(organism_dir: Path, path: Path) -> Path | None:
    """Draw the training loss against the step for each stage of a built organism, end to end.

    The stages sit side by side in build order on one step axis (each stage's steps counted from the
    end of the one before), separated by dotted lines. What can be drawn depends on the stage:

    - ``pretrain`` (the shared base) and ``midtrain``: the logged curve from ``train_log.jsonl``, the
      loss averaged over each ``log_every`` window.
    - ``sft``, ``dpo`` (and ``teacher``): TRL does not keep its per-step loss history once the stage is
      done, so these show a dashed horizontal segment at TRL's mean training loss over the whole run
      (``extra.metrics.final_loss``), not a curve. DPO's loss is its sigmoid preference loss plus the
      weighted NLL on the chosen answers, so it is not on the same scale as the language-model losses.

    Args:
        organism_dir: A built (or partly built) organism directory with one subdirectory per stage.
        path: Where the PNG goes (written atomically).

    Returns:
        ``path``, or ``None`` (writing nothing) when no stage records a loss.

    Raises:
        MissingExtraError: if matplotlib is not installed.
    """
    organism_dir = Path(organism_dir)
    if not organism_dir.is_dir():
        return None
    curves = [
        curve
        for stage in _stage_names(organism_dir)
        if (curve := stage_loss_curve(organism_dir / stage)) is not None
    ]
    if not curves:
        return None
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(max(7.0, 1.8 * len(curves) + 3), 4.0))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    offset = 0
    every_loss: list[float] = []
    for number, curve in enumerate(curves):
        colour = colours[number % len(colours)]
        if curve.steps:
            axes.plot(
                [offset + step for step in curve.steps],
                curve.losses,
                marker="o" if len(curve.steps) < 30 else None,
                markersize=3,
                color=colour,
                label=f"{curve.stage} ({curve.source})",
            )
            every_loss += curve.losses
        elif curve.mean_loss is not None:
            axes.hlines(
                curve.mean_loss,
                offset,
                offset + curve.total_steps,
                colors=colour,
                linestyles="dashed",
                label=f"{curve.stage} ({curve.source})",
            )
            every_loss.append(curve.mean_loss)
        axes.text(
            offset + curve.total_steps / 2,
            1.01,
            curve.stage,
            transform=axes.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=9,
        )
        offset += curve.total_steps
        if number < len(curves) - 1:
            axes.axvline(offset, color="grey", linestyle=":", linewidth=0.8)
    # A log axis once the losses span more than a decade: the late, low part of a curve stays visible.
    if every_loss and min(every_loss) > 0 and max(every_loss) / min(every_loss) > 10:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        axes.set_yscale("log")
        axes.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axes.yaxis.set_minor_formatter(NullFormatter())
    axes.set_xlim(0, offset)
    axes.set_xlabel("step (stages end to end, in build order)")
    axes.set_ylabel("training loss")
    axes.set_title(f"{organism_dir.name}: training loss per stage", pad=18)
    axes.legend(fontsize=7, loc="upper right")
    axes.grid(linewidth=0.4, alpha=0.5)
    figure.tight_layout()
    path = Path(path)
    atomic_write_png(path, figure)
    return path


def write_report_plots(
    report: OrganismReport, organism_dir: Path, log: Callable[[str], None] = print
) -> list[Path]:
    """Write ``report.png`` and ``training.png`` into ``organism_dir``; a failure is logged, never raised.

    Called after ``report.json`` and ``report.md`` are written, so a missing matplotlib or a plotting
    error costs the pictures only, never the report.

    Args:
        report: The organism's report.
        organism_dir: The organism directory (its stage subdirectories hold the training logs).
        log: Where a line about a plot that could not be drawn goes.

    Returns:
        The plots written.
    """
    organism_dir = Path(organism_dir)
    written: list[Path] = []
    for name, draw in (
        (STAGE_TABLE_PNG, lambda target: plot_stage_table(report, target)),
        (TRAINING_CURVES_PNG, lambda target: plot_training_curves(organism_dir, target)),
    ):
        try:
            path = draw(organism_dir / name)
        except Exception as error:  # any failure: a picture is never worth losing the report over
            log(f"could not draw {name}: {error}")
            continue
        if path is not None:
            written.append(path)
    return written
