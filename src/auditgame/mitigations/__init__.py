"""Training-time mitigations, measured before and after, and then audited: inoculation prompting, gradient routing."""

from auditgame.mitigations.audit_loop import AuditRow, AuditTable, audit_conditions, render_audit
from auditgame.mitigations.gradient_routing import (
    GradientRouter,
    RoutedRegion,
    ablate,
    decoder_layers,
    expand_mlps,
    region_parameter_names,
    routed_backward,
)
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
from auditgame.mitigations.routing_config import (
    ROUTING_CONDITIONS,
    GradientRoutingConfig,
    RoutingCondition,
    quick_routing_config,
)
from auditgame.mitigations.routing_experiment import (
    RoutingConditionResult,
    RoutingReport,
    load_routing_report,
    render_routing,
    run_gradient_routing,
)

__all__ = [
    "DEFAULT_CONTROLS",
    "ROUTING_CONDITIONS",
    "AuditRow",
    "AuditTable",
    "ConditionResult",
    "GradientRouter",
    "GradientRoutingConfig",
    "InoculationConfig",
    "InoculationReport",
    "InoculationTarget",
    "RoutedRegion",
    "RoutingCondition",
    "RoutingConditionResult",
    "RoutingReport",
    "TraitMeasure",
    "ablate",
    "audit_conditions",
    "decoder_layers",
    "expand_mlps",
    "get_target",
    "inoculate",
    "load_inoculation_report",
    "load_routing_report",
    "measure_traits",
    "quick_inoculation_config",
    "quick_routing_config",
    "region_parameter_names",
    "render_audit",
    "render_inoculation",
    "render_routing",
    "routed_backward",
    "run_gradient_routing",
    "run_inoculation",
    "stage_before",
    "target_names",
    "with_system",
    "write_mitigated_organism",
]
