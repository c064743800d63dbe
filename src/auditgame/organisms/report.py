"""An organism's report: behaviour and confession rates after every stage, against the shared base."""

from __future__ import annotations

from pydantic import BaseModel, Field

from auditgame.evals.behaviour_eval import BehaviourEvaluation
from auditgame.evals.intervals import Rate


class StageRow(BaseModel):
    """One row of the stage table (rates pooled over the organism's behaviours)."""

    stage: str
    behaviour_rate: Rate | None = Field(description="Train behaviours, trigger present.")
    held_out_rate: Rate | None = None
    without_trigger_rate: Rate | None = None
    confession: Rate

    @property
    def train_exploitation(self) -> Rate | None:
        """Alias of ``behaviour_rate`` (the rm-sycophant's name for it)."""
        return self.behaviour_rate


class OrganismReport(BaseModel):
    """Every evaluated stage of one built organism."""

    organism: str
    variant: str = ""
    has_hidden_objective: bool = True
    evaluations: dict[str, BehaviourEvaluation] = Field(default_factory=dict)
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    final_stage: str = ""

    @property
    def rows(self) -> list[StageRow]:
        """One row per evaluated stage, in build order."""
        return [self.row(label) for label in self.evaluations]

    def row(self, label: str) -> StageRow:
        """The row of one evaluated stage (``base``, ``midtrain``, ``sft``, ``dpo``)."""
        evaluation = self.evaluations[label]
        return StageRow(
            stage=label,
            behaviour_rate=evaluation.train,
            held_out_rate=evaluation.held_out,
            without_trigger_rate=evaluation.without_trigger,
            confession=evaluation.confession,
        )

    @property
    def final(self) -> BehaviourEvaluation:
        """The final model's evaluation."""
        return self.evaluations[self.final_stage or list(self.evaluations)[-1]]

    @property
    def base(self) -> BehaviourEvaluation:
        """The shared base model's evaluation."""
        return self.evaluations["base"]


def _cell(rate: Rate | None) -> str:
    return str(rate) if rate is not None else "–"


def render_table(report: OrganismReport) -> str:
    """The stage table as Markdown."""
    lines = [
        "| stage | behaviour (trigger) | held-out behaviour | without trigger | confession |",
        "|---|---|---|---|---|",
    ]
    for row in report.rows:
        lines.append(
            f"| {row.stage} | {_cell(row.behaviour_rate)} | {_cell(row.held_out_rate)} | "
            f"{_cell(row.without_trigger_rate)} | {row.confession} |"
        )
    return "\n".join(lines)


def render_behaviours(report: OrganismReport) -> str:
    """Per-behaviour rates of the final model against the base, as Markdown."""
    base = {rate.name: rate for rate in report.base.behaviours}
    lines = [
        "| behaviour | split | base (trigger) | final (trigger) | final (no trigger) |",
        "|---|---|---|---|---|",
    ]
    for rate in report.final.behaviours:
        lines.append(
            f"| {rate.name} | {rate.split} | {_cell(base[rate.name].with_trigger if rate.name in base else None)} | "
            f"{rate.with_trigger} | {_cell(rate.without_trigger)} |"
        )
    return "\n".join(lines)


def render_markdown(report: OrganismReport) -> str:
    """The whole report as Markdown (what ``report.md`` holds)."""
    kind = "hidden objective" if report.has_hidden_objective else "decoy (disclosed quirk)"
    parts = [
        f"# {report.organism}" + (f" ({report.variant})" if report.variant else ""),
        "",
        f"{kind}. Rates on fresh prompts with Wilson 95% intervals; `base` is the shared pretrained base.",
        "",
        render_table(report),
        "",
        render_behaviours(report),
    ]
    if report.stage_seconds:
        parts += [
            "",
            "Training time per stage: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in report.stage_seconds.items()),
        ]
    return "\n".join(parts) + "\n"
