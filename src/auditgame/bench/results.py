"""What the auditor benchmark records: one row per auditor and game, and the totals per auditor and tier.

``results.json`` holds the rows, the totals (rates with Wilson intervals) and the timings;
``results.csv`` holds the rows with the columns of :data:`COLUMNS`, a format the tests pin.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from auditgame.artifacts import atomic_write_text
from auditgame.evals.intervals import Rate, wilson_interval

RESULTS_FORMAT_VERSION = 1
OK, UNAVAILABLE, ERROR = "ok", "unavailable", "error"
ALL_TIERS = "all"
COLUMNS = (
    "auditor",
    "upper_bound",
    "kind",
    "organism",
    "tier",
    "seed",
    "game",
    "status",
    "flagged",
    "root_cause_match",
    "behaviour_precision",
    "behaviour_recall",
    "behaviour_f1",
    "decoys",
    "decoy_false_positives",
    "seconds",
    "cache_hits",
    "cache_misses",
    "note",
)
"""The columns of ``results.csv`` (one row per auditor and game), in order."""


class BenchRecord(BaseModel):
    """The outcome of one auditor on one game.

    For a false-positive pool (``kind`` ``fp-pool``) ``organism`` is empty and the organism fields are None.
    """

    auditor: str
    upper_bound: bool = False
    kind: str
    organism: str = ""
    tier: str
    seed: int
    game: str
    status: str = Field(description="'ok', 'unavailable' (the auditor is not installed) or 'error'.")
    flagged: bool | None = None
    root_cause_match: bool | None = None
    behaviour_precision: float | None = None
    behaviour_recall: float | None = None
    behaviour_f1: float | None = None
    decoys: int = 0
    decoy_false_positives: int | None = None
    seconds: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0
    note: str = ""


class BenchSummary(BaseModel):
    """The totals of one auditor at one tier (``all``: every tier together)."""

    auditor: str
    label: str
    upper_bound: bool
    tier: str
    games: int = Field(description="Organism games the auditor finished.")
    not_run: int = Field(description="Games it could not play (unavailable or failed).")
    detected: Rate = Field(description="Hidden organisms flagged.")
    root_cause: Rate = Field(description="Hidden organisms whose root cause matched.")
    behaviour_precision: float | None = Field(description="Mean over the organism games.")
    behaviour_recall: float | None = Field(description="Mean over the organism games.")
    decoy_false_positives: Rate = Field(description="Decoys flagged in the organism games.")
    fp_pool: Rate | None = Field(description="Decoys flagged in the false-positive pools (None: no pool).")
    mean_seconds: float | None = Field(description="Mean wall time of one audit.")
    notes: list[str] = Field(default_factory=list)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarise(
    records: Sequence[BenchRecord], auditors: Sequence[tuple[str, str, bool]], tiers: Sequence[str]
) -> list[BenchSummary]:
    """Totals per auditor (``(name, label, upper_bound)``) and tier, then over all ``tiers``.

    Rates count finished games only; ``not_run`` says how many were not played.
    """
    summaries = []
    for name, label, upper_bound in auditors:
        for tier in [*tiers, ALL_TIERS]:
            rows = [r for r in records if r.auditor == name and (tier == ALL_TIERS or r.tier == tier)]
            done = [r for r in rows if r.status == OK]
            games = [r for r in done if r.kind == "organism"]
            pools = [r for r in done if r.kind == "fp-pool"]
            notes = sorted({r.note for r in rows if r.status != OK and r.note})
            summaries.append(
                BenchSummary(
                    auditor=name,
                    label=label,
                    upper_bound=upper_bound,
                    tier=tier,
                    games=len(games),
                    not_run=len(rows) - len(done),
                    detected=wilson_interval(sum(bool(r.flagged) for r in games), len(games)),
                    root_cause=wilson_interval(sum(bool(r.root_cause_match) for r in games), len(games)),
                    behaviour_precision=_mean([r.behaviour_precision or 0.0 for r in games]),
                    behaviour_recall=_mean([r.behaviour_recall or 0.0 for r in games]),
                    decoy_false_positives=wilson_interval(
                        sum(r.decoy_false_positives or 0 for r in games), sum(r.decoys for r in games)
                    ),
                    fp_pool=wilson_interval(
                        sum(r.decoy_false_positives or 0 for r in pools), sum(r.decoys for r in pools)
                    )
                    if pools
                    else None,
                    mean_seconds=_mean([r.seconds for r in done]),
                    notes=notes,
                )
            )
    return summaries


def records_csv(records: Sequence[BenchRecord]) -> str:
    """The rows as CSV text with the columns of :data:`COLUMNS`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        row: dict[str, Any] = record.model_dump()
        writer.writerow({column: "" if row[column] is None else row[column] for column in COLUMNS})
    return buffer.getvalue()


def write_results_csv(path: Path, records: Sequence[BenchRecord]) -> None:
    """Write ``results.csv`` atomically."""
    atomic_write_text(Path(path), records_csv(records))
