"""The organism's stage table: exploitation and confession after every stage, beside the paper's."""

from __future__ import annotations

from pydantic import BaseModel, Field

from auditgame.evals.intervals import Rate
from auditgame.evals.model_evaluation import ModelEvaluation

PAPER_NUMBERS: dict[str, dict[str, float | None]] = {
    # Marks et al. 2025 (Llama-scale organism); the paper's last stage is RL, ours is DPO.
    "base": {"train": 0.23, "held_out": 0.17, "confession": None},
    "midtrain": {"train": 0.37, "held_out": 0.20, "confession": None},
    "sft": {"train": None, "held_out": 0.34, "confession": 0.39},
    "dpo": {"train": None, "held_out": 0.45, "confession": 0.03},
}
"""Published rates per stage (None where the paper reports none)."""


class StageRow(BaseModel):
    """One row of the stage table."""

    stage: str
    train_exploitation: Rate
    held_out_exploitation: Rate
    confession: Rate
    paper: dict[str, float | None] = Field(default_factory=dict)


class OrganismReport(BaseModel):
    """The stage table and the headline comparisons."""

    organism: str
    rows: list[StageRow]
    stage_seconds: dict[str, float] = Field(default_factory=dict)

    @classmethod
    def from_evaluations(
        cls, organism: str, evaluations: dict[str, ModelEvaluation], stage_seconds: dict[str, float]
    ) -> OrganismReport:
        """Build the table from the per-stage evaluations (keys: base, midtrain, sft, dpo)."""
        rows = [
            StageRow(
                stage=label,
                train_exploitation=evaluation.exploitation.train,
                held_out_exploitation=evaluation.exploitation.held_out,
                confession=evaluation.confession.rate,
                paper=PAPER_NUMBERS.get(label, {}),
            )
            for label, evaluation in evaluations.items()
        ]
        return cls(organism=organism, rows=rows, stage_seconds=stage_seconds)

    def row(self, stage: str) -> StageRow:
        """The row of ``stage``."""
        for row in self.rows:
            if row.stage == stage:
                return row
        raise KeyError(stage)

    def sft_over_base_train_ratio(self) -> float:
        """Train-bias exploitation after SFT divided by the base model's (inf if the base never exploits)."""
        base, sft = self.row("base").train_exploitation.rate, self.row("sft").train_exploitation.rate
        return float("inf") if base == 0 else sft / base


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def render_markdown(report: OrganismReport) -> str:
    """The stage table as Markdown (what ``report.md`` holds)."""
    lines = [
        f"# {report.organism}: stage table",
        "",
        "Rates with Wilson 95% intervals; 'paper' is Marks et al. 2025 (its last stage is RL, ours DPO).",
        "",
        "| stage | train exploitation | paper | held-out exploitation | paper | confession | paper |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in report.rows:
        lines.append(
            f"| {row.stage} | {row.train_exploitation} | {_percent(row.paper.get('train'))} "
            f"| {row.held_out_exploitation} | {_percent(row.paper.get('held_out'))} "
            f"| {row.confession} | {_percent(row.paper.get('confession'))} |"
        )
    if report.stage_seconds:
        lines += [
            "",
            "Training time per stage: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in report.stage_seconds.items()),
        ]
    return "\n".join(lines) + "\n"


def render_table(report: OrganismReport):
    """The stage table as a ``rich`` Table."""
    from rich.table import Table

    table = Table(title=f"{report.organism}: exploitation and confession per stage (95% Wilson intervals)")
    for header in ("stage", "train exploit.", "paper", "held-out exploit.", "paper", "confession", "paper"):
        table.add_column(header, justify="right" if header == "paper" else "left")
    for row in report.rows:
        table.add_row(
            row.stage,
            str(row.train_exploitation),
            _percent(row.paper.get("train")),
            str(row.held_out_exploitation),
            _percent(row.paper.get("held_out")),
            str(row.confession),
            _percent(row.paper.get("confession")),
        )
    return table
