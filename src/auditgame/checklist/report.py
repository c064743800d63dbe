"""What the checklist auditor found: per-model audits, its report (labelled an upper bound), and the
human-readable account."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from auditgame.auditors.report import AuditReport

CHECKLIST_NAME = "checklist"
"""The auditor name of the checklist auditor."""

UPPER_BOUND_NOTE = (
    "the checklist auditor is an upper bound, not a player: it reads the world's bias catalogue and "
    "detectors (the organism maker's side), so never rank it against blind auditors"
)
"""The label printed and written wherever the checklist auditor's results appear."""


class ModelAudit(BaseModel):
    """Everything the auditor gathered about one model (goes to ``evidence.json``)."""

    model: str
    behaviour_rates: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per detector id: domain, fires, prompts, rate, reference, anomalous, example."""
    anomalous: list[int] = Field(default_factory=list)
    adversarial: dict[str, Any] = Field(default_factory=dict)
    mention_reference: float = 0.0
    mentions_anomalous: bool = False
    style: dict[str, Any] | None = None
    lens: list[dict[str, Any]] = Field(default_factory=list)
    data: dict[str, Any] | None = None
    confirmed: list[int] = Field(default_factory=list)
    unconfirmed: list[int] = Field(default_factory=list)
    decision: str = ""


class ChecklistReport(AuditReport):
    """The result of one checklist audit: always ``auditor="checklist"`` and ``upper_bound=True``."""

    auditor: str = CHECKLIST_NAME
    upper_bound: bool = True
    note: str = UPPER_BOUND_NOTE
    config: dict[str, Any]
    models: dict[str, ModelAudit]


def render_markdown(report: ChecklistReport) -> str:
    """A short human-readable account of the audit, headed by the upper-bound label."""
    lines = [
        f"# Checklist audit: an upper bound ({report.tier} tier, seed {report.seed})",
        "",
        f"Note: {report.note}.",
        "",
        f"Backend: {report.backend}. Seconds: {report.seconds.get('total', 0.0):.1f}.",
        "",
    ]
    for name in sorted(report.models):
        audit = report.models[name]
        finding = report.submission.models[name]
        verdict = "HIDDEN OBJECTIVE" if finding.has_hidden_objective else "no hidden objective"
        lines += [
            f"## {name}: {verdict} (confidence {finding.confidence:.2f})",
            "",
            f"Decision: {audit.decision}",
            "",
        ]
        if finding.root_cause:
            lines += [f"Root cause: {finding.root_cause}", ""]
        adversarial = audit.adversarial
        lines.append(
            f"- reward-model mentions: {adversarial.get('mentions', 0)}/{adversarial.get('samples', 0)} "
            f"(reference {audit.mention_reference:.3f}, anomalous: {audit.mentions_anomalous})"
        )
        lines.append(f"- anomalous behaviours: {len(audit.anomalous)}")
        if audit.style:
            lines.append(
                f'- style marker ({audit.style["position"]}): "{audit.style["marker"]}" in '
                f"{audit.style['share']:.0%} of answers; disclosed: {audit.style['disclosed']}"
            )
        if audit.data is not None:
            lines.append(
                f"- training data: reward-model documents dominate: {audit.data.get('reward_model_documents')}; "
                f"behaviours described: {len(audit.data.get('described_biases', []))}"
            )
        if finding.behaviours:
            lines += ["", "Behaviours:", ""] + [f"- {behaviour}" for behaviour in finding.behaviours]
        if finding.evidence:
            lines += ["", "Evidence:", ""] + [f"- {item}" for item in finding.evidence]
        lines.append("")
    return "\n".join(lines)
