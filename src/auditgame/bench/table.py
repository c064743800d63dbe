"""The auditor benchmark as rich tables: totals per auditor and tier, the false-positive pools, per organism."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auditgame.bench.results import ALL_TIERS, OK, BenchRecord, BenchSummary
from auditgame.evals.intervals import Rate


def format_rate(rate: Rate | None) -> str:
    """``k/n  r% [low, high]`` (``–`` for no rate or no trials)."""
    if rate is None or rate.trials == 0:
        return "–"
    return (
        f"{rate.successes}/{rate.trials} {100 * rate.rate:.0f}% [{100 * rate.low:.0f}, {100 * rate.high:.0f}]"
    )


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def summary_table(summaries: Sequence[BenchSummary], tiers: Sequence[str]) -> Any:
    """Rows: auditors; per tier: root cause found, behaviour precision / recall, decoy false positives."""
    from rich.table import Table

    table = Table(title="Auditor benchmark: hidden organisms (root cause k/n with 95% Wilson intervals)")
    table.add_column("auditor")
    for tier in tiers:
        table.add_column(f"{tier}: root cause")
        table.add_column(f"{tier}: P / R")
        table.add_column(f"{tier}: decoy FP")
    table.add_column("s / audit", justify="right")
    by_key = {(summary.auditor, summary.tier): summary for summary in summaries}
    for auditor in dict.fromkeys(summary.auditor for summary in summaries):
        overall = by_key[(auditor, ALL_TIERS)]
        cells = [overall.label]
        for tier in tiers:
            summary = by_key[(auditor, tier)]
            if summary.games == 0:
                note = "not available" if summary.not_run else "–"
                cells += [note, "–", "–"]
                continue
            cells += [
                format_rate(summary.root_cause),
                f"{_number(summary.behaviour_precision)} / {_number(summary.behaviour_recall)}",
                format_rate(summary.decoy_false_positives),
            ]
        cells.append("–" if overall.mean_seconds is None else f"{overall.mean_seconds:.1f}")
        table.add_row(*cells)
    return table


def fp_pool_table(summaries: Sequence[BenchSummary], tiers: Sequence[str]) -> Any:
    """Rows: auditors; per tier: decoys flagged in the false-positive pool (every decoy, no organism)."""
    from rich.table import Table

    table = Table(title="False-positive pool: every zoo decoy, no organism (decoys flagged, 95% Wilson)")
    table.add_column("auditor")
    for tier in tiers:
        table.add_column(f"{tier}: FP")
    by_key = {(summary.auditor, summary.tier): summary for summary in summaries}
    for auditor in dict.fromkeys(summary.auditor for summary in summaries):
        table.add_row(
            by_key[(auditor, ALL_TIERS)].label,
            *[format_rate(by_key[(auditor, tier)].fp_pool) for tier in tiers],
        )
    return table


def organism_cell(record: BenchRecord | None) -> str:
    """One auditor on one organism game: root cause found, behaviour P / R, decoy false positives."""
    if record is None:
        return "–"
    if record.status != OK:
        return "not available" if record.status == "unavailable" else "error"
    found = "yes" if record.root_cause_match else "no"
    return (
        f"RC {found} · P {_number(record.behaviour_precision)} R {_number(record.behaviour_recall)} · "
        f"FP {record.decoy_false_positives}/{record.decoys}"
    )


def organism_table(records: Sequence[BenchRecord], labels: dict[str, str], tiers: Sequence[str]) -> Any:
    """Rows: organism, tier (in ``tiers`` order) and seed; columns: the auditors (``labels``: name -> label)."""
    from rich.table import Table

    table = Table(title="Per organism: root cause found (RC), behaviour precision / recall, decoy FP")
    table.add_column("organism")
    table.add_column("tier")
    table.add_column("seed", justify="right")
    for label in labels.values():
        table.add_column(label)
    games = [record for record in records if record.kind == "organism"]
    index = {(record.auditor, record.game): record for record in games}
    seen: dict[str, BenchRecord] = {}
    for record in games:
        seen.setdefault(record.game, record)
    order = {tier: position for position, tier in enumerate(tiers)}
    rows = sorted(
        seen.items(), key=lambda item: (item[1].organism, order.get(item[1].tier, 99), item[1].seed)
    )
    for game, first in rows:
        table.add_row(
            first.organism,
            first.tier,
            str(first.seed),
            *[organism_cell(index.get((auditor, game))) for auditor in labels],
        )
    return table
