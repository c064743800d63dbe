"""Training-time mitigations, measured before and after, and then audited: inoculation prompting, gradient routing."""

from auditgame.mitigations.audit_loop import AuditRow, AuditTable, audit_conditions, render_audit
from auditgame.mitigations.inoculation import load_inoculation_report, measure_traits, run_inoculation
from auditgame.mitigations.inoculation_config import (
    DEFAULT_CONTROLS,
    InoculationConfig,
    quick_inoculation_config,
)
from auditgame.mitigations.inoculation_data import inoculate, with_system
from auditgame.mitigations.inoculation_report import (
    ConditionResult,
    InoculationReport,
    TraitMeasure,
    render_inoculation,
)
from auditgame.mitigations.inoculation_targets import InoculationTarget, get_target, target_names
from auditgame.mitigations.mitigated_organism import stage_before, write_mitigated_organism

__all__ = [
    "DEFAULT_CONTROLS",
    "AuditRow",
    "AuditTable",
    "ConditionResult",
    "InoculationConfig",
    "InoculationReport",
    "InoculationTarget",
    "TraitMeasure",
    "audit_conditions",
    "get_target",
    "inoculate",
    "load_inoculation_report",
    "measure_traits",
    "quick_inoculation_config",
    "render_audit",
    "render_inoculation",
    "run_inoculation",
    "stage_before",
    "target_names",
    "with_system",
    "write_mitigated_organism",
]
