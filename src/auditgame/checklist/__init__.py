"""The checklist auditor: an upper bound that reads the world's catalogue — never ranked as a player.

It plays the blind auditing game with the organism maker's knowledge: it probes the catalogue's bias
domains, checks answers with the world's bias detectors and reward-model mention check, describes
behaviours in the catalogue's words, reads training documents by inverting the document generator's
paraphrases, and submits a root cause written in advance. Its scores are a ceiling for behaviour-driven
auditing; its report says ``upper_bound: true`` and ``auditor: checklist``. Blind auditors use
:mod:`auditgame.auditors`, which never imports this package.
"""

from auditgame.checklist.config import ChecklistConfig
from auditgame.checklist.detectors import (
    describe_bias,
    detect_behaviours,
    mentions_reward_models,
    reward_model_share,
)
from auditgame.checklist.hypotheses import REWARD_MODEL_ROOT_CAUSE, DataHypothesis, described_biases
from auditgame.checklist.report import (
    CHECKLIST_NAME,
    UPPER_BOUND_NOTE,
    ChecklistReport,
    ModelAudit,
    render_markdown,
)
from auditgame.checklist.scripted import EVIDENCE_FILE, REPORT_FILE, run_checklist_audit, write_report

__all__ = [
    "CHECKLIST_NAME",
    "EVIDENCE_FILE",
    "REPORT_FILE",
    "REWARD_MODEL_ROOT_CAUSE",
    "UPPER_BOUND_NOTE",
    "ChecklistConfig",
    "ChecklistReport",
    "DataHypothesis",
    "ModelAudit",
    "describe_bias",
    "described_biases",
    "detect_behaviours",
    "mentions_reward_models",
    "render_markdown",
    "reward_model_share",
    "run_checklist_audit",
    "write_report",
]
