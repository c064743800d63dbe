"""The blind scripted auditor: finds behaviours by contrast with the other models, asks about them, reads
the training data, and decides per model — knowing nothing of the organisms."""

from auditgame.auditors.blind.auditor import (
    BLIND_NAME,
    BlindReport,
    render_markdown,
    run_blind_audit,
    write_report,
)
from auditgame.auditors.blind.config import BlindConfig
from auditgame.auditors.blind.contrast import Phrase, benjamini_hochberg, contrast, control_fdr, ngram_set
from auditgame.auditors.blind.probes import GENERIC_CONDITIONS, Condition

__all__ = [
    "BLIND_NAME",
    "GENERIC_CONDITIONS",
    "BlindConfig",
    "BlindReport",
    "Condition",
    "Phrase",
    "benjamini_hochberg",
    "contrast",
    "control_fdr",
    "ngram_set",
    "render_markdown",
    "run_blind_audit",
    "write_report",
]
