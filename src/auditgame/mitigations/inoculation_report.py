"""The results of an inoculation experiment: rates per condition and test prompt, the elicitation correlation."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from auditgame.artifacts import atomic_write_png, atomic_write_text
from auditgame.evals.intervals import Rate
from auditgame.mitigations.inoculation_config import InoculationConfig

ConditionKind = Literal["ordinary", "inoculation", "control"]
REPORT_FILE = "report.json"


class TraitMeasure(BaseModel):
    """What one model does under one test-time system prompt."""

    model_config = ConfigDict(extra="forbid")

    system_prompt: str | None = None
    trait: Rate = Field(description="The trait's behaviours, their trigger present.")
    trait_without_trigger: Rate | None = Field(
        default=None,
        description="The trait's behaviours where their trigger is absent (None if it cannot be).",
    )
    kept: Rate | None = Field(default=None, description="The train behaviours that are skills to keep.")
    skill: Rate = Field(description="Neutral prompts answered with the reference answer's content.")
    samples: list[dict[str, Any]] = Field(default_factory=list)


class ConditionResult(BaseModel):
    """One training condition: the model and what it does without and with its training prompt."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: ConditionKind
    training_prompt: str | None = None
    model_dir: str
    organism_dir: str = Field(description="The condition as an organism directory (a game can hold it).")
    without_prompt: TraitMeasure
    with_prompt: TraitMeasure | None = Field(
        default=None, description="Tested with its own training prompt (None for the ordinary condition)."
    )
    seconds: float = 0.0


class ElicitationPoint(BaseModel):
    """How strongly one inoculation phrasing elicits the trait before inoculation, and what it then did."""

    model_config = ConfigDict(extra="forbid")

    phrasing: str
    parent: TraitMeasure = Field(description="The parent model (before any training) with this prompt.")
    ordinary: TraitMeasure = Field(description="The ordinarily trained model with this prompt.")
    parent_elicitation: float = Field(description="Parent's trait rate with the prompt minus without it.")
    ordinary_elicitation: float = Field(
        description="Ordinary model's trait rate with the prompt minus without."
    )
    inoculation_effect: float = Field(
        description="Trait rate without prompt: ordinary training minus this phrasing's inoculated training."
    )


class Correlation(BaseModel):
    """Pearson and Spearman correlation over the phrasings (None where a variable does not vary)."""

    model_config = ConfigDict(extra="forbid")

    x: str
    y: str
    points: int
    pearson: float | None = None
    spearman: float | None = None


class InoculationReport(BaseModel):
    """One inoculation experiment on one target."""

    model_config = ConfigDict(extra="forbid")

    target: str
    organism: str
    parent_dir: str
    trait: list[str]
    kept: list[str]
    training_conversations: int
    parent: TraitMeasure = Field(description="The parent model without a system prompt.")
    conditions: list[ConditionResult]
    elicitation: list[ElicitationPoint]
    correlations: list[Correlation]
    seconds: float
    config: InoculationConfig

    def condition(self, name: str) -> ConditionResult:
        """The condition called ``name``.

        Raises:
            KeyError: if there is none.
        """
        for condition in self.conditions:
            if condition.name == name:
                return condition
        raise KeyError(name)

    def verdict(self, condition: ConditionResult) -> str:
        """How a condition's trait at test time (no prompt) compares with ordinary training and the controls.

        ``lower`` / ``higher`` / ``same`` against ordinary training (disjoint intervals, else same); an
        inoculation that is lower is ``lower, beyond the controls`` when it is also below every control.
        """
        ordinary = self.condition("ordinary").without_prompt.trait
        rate = condition.without_prompt.trait
        if rate.high < ordinary.low:
            word = "lower"
        elif rate.low > ordinary.high:
            word = "higher"
        else:
            return "same"
        controls = [c.without_prompt.trait for c in self.conditions if c.kind == "control"]
        if condition.kind == "inoculation" and word == "lower" and controls:
            if all(rate.high < control.low for control in controls):
                return "lower, beyond the controls"
            return "lower, as the controls"
        return word


def _cell(rate: Rate | None) -> str:
    return str(rate) if rate is not None else "–"


def _prompt(text: str | None, limit: int = 48) -> str:
    if not text:
        return "–"
    text = text.replace("|", "\\|")
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def render_inoculation(report: InoculationReport) -> str:
    """The experiment as markdown: conditions × test prompt, then the elicitation correlation."""
    lines = [
        f"# Inoculation prompting: {report.target}",
        "",
        f"Trait: {', '.join(report.trait)}; kept: {', '.join(report.kept) or '–'}. "
        f"{report.training_conversations} training conversations per condition, SFT from `{report.parent_dir}`.",
        "",
        "| condition | training prompt | trait, test without prompt | trait, test with training prompt "
        "| trait without trigger | kept behaviours | skill | verdict |",
        "|---|---|---|---|---|---|---|---|",
        f"| parent (untrained) | – | {report.parent.trait} | – | {_cell(report.parent.trait_without_trigger)} "
        f"| {_cell(report.parent.kept)} | {report.parent.skill} | |",
    ]
    for condition in report.conditions:
        measure = condition.without_prompt
        with_prompt = condition.with_prompt.trait if condition.with_prompt is not None else None
        verdict = "" if condition.kind == "ordinary" else report.verdict(condition)
        lines.append(
            f"| {condition.name} | {_prompt(condition.training_prompt)} | {measure.trait} | {_cell(with_prompt)} "
            f"| {_cell(measure.trait_without_trigger)} | {_cell(measure.kept)} | {measure.skill} | {verdict} |"
        )
    lines += [
        "",
        "## Does a prompt that elicits the trait more inoculate better?",
        "",
        "| phrasing | parent: trait with prompt | ordinary model: trait with prompt | inoculation effect |",
        "|---|---|---|---|",
    ]
    for point in report.elicitation:
        lines.append(
            f"| {_prompt(point.phrasing)} | {point.parent.trait} ({point.parent_elicitation:+.3f}) "
            f"| {point.ordinary.trait} ({point.ordinary_elicitation:+.3f}) | {point.inoculation_effect:+.3f} |"
        )
    lines.append("")
    for correlation in report.correlations:
        pearson = (
            f"{correlation.pearson:+.2f}" if correlation.pearson is not None else "undefined (no variation)"
        )
        spearman = f"{correlation.spearman:+.2f}" if correlation.spearman is not None else "undefined"
        lines.append(
            f"- {correlation.x} vs {correlation.y} over {correlation.points} phrasings: "
            f"Pearson {pearson}, Spearman {spearman}"
        )
    lines += ["", f"{report.seconds:.0f} s of training and evals in all.", ""]
    return "\n".join(lines)


def plot_inoculation(report: InoculationReport, path: Path) -> None:
    """A PNG: trait without / with the training prompt and skill per condition, with intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [condition.name for condition in report.conditions]
    series: dict[str, list[Rate | None]] = {
        "trait, no prompt": [c.without_prompt.trait for c in report.conditions],
        "trait, training prompt": [c.with_prompt.trait if c.with_prompt else None for c in report.conditions],
        "skill": [c.without_prompt.skill for c in report.conditions],
    }
    if report.kept:
        series["kept"] = [c.without_prompt.kept for c in report.conditions]
    figure, axes = plt.subplots(figsize=(max(6.0, 1.2 * len(names) + 2), 3.8))
    width = 0.8 / len(series)
    for number, (label, rates) in enumerate(series.items()):
        xs = [index + (number - (len(series) - 1) / 2) * width for index in range(len(names))]
        values = [rate.rate if rate is not None else 0.0 for rate in rates]
        errors = [  # clamped: a rounded bound can sit a hair inside its rate
            [max(0.0, rate.rate - rate.low) if rate is not None else 0.0 for rate in rates],
            [max(0.0, rate.high - rate.rate) if rate is not None else 0.0 for rate in rates],
        ]
        axes.bar(xs, values, width=width, yerr=errors, capsize=2, label=label)
    axes.set_xticks(range(len(names)))
    axes.set_xticklabels(names, rotation=20, ha="right")
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("rate")
    axes.set_title(f"inoculation prompting: {report.target}")
    axes.legend(fontsize=7)
    figure.tight_layout()
    atomic_write_png(path, figure)


def write_inoculation(report: InoculationReport, out_dir: Path) -> None:
    """``report.json``, ``report.md`` and ``report.png`` in ``out_dir``."""
    out_dir = Path(out_dir)
    atomic_write_text(out_dir / REPORT_FILE, report.model_dump_json(indent=2) + "\n")
    atomic_write_text(out_dir / "report.md", render_inoculation(report))
    plot_inoculation(report, out_dir / "report.png")
