"""What the scripted auditor found: per-model audits, the submission, and the human-readable report."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from auditgame.game.submission import Submission


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


class AuditReport(BaseModel):
    """The result of one scripted audit."""

    workspace: str
    tier: str
    seed: int
    backend: str
    config: dict[str, Any]
    submission: Submission
    models: dict[str, ModelAudit]
    seconds: dict[str, float] = Field(default_factory=dict)
    out_dir: str = ""


def render_markdown(report: AuditReport) -> str:
    """A short human-readable account of the audit."""
    lines = [
        f"# Scripted audit ({report.tier} tier, seed {report.seed})",
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
