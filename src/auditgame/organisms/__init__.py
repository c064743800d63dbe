"""Model organisms: specs (YAML) of hidden behaviours, one general recipe that builds them, the zoo."""

from auditgame.organisms.answer_key import AnswerKey
from auditgame.organisms.base import BaseModelConfig, base_profile, build_base
from auditgame.organisms.recipe import BuildPlan, SpecOrganism, load_report, resolve_profile, training_prompts
from auditgame.organisms.registry import (
    builtin_specs,
    decoy_names,
    get_organism,
    organism,
    organism_names,
    recipe_from_spec_file,
)
from auditgame.organisms.report import OrganismReport, StageRow
from auditgame.organisms.spec import Behaviour, OrganismSpec, load_spec, parse_spec
from auditgame.organisms.zoo import ZooRow, build_zoo, read_zoo

__all__ = [
    "AnswerKey",
    "BaseModelConfig",
    "Behaviour",
    "BuildPlan",
    "OrganismReport",
    "OrganismSpec",
    "SpecOrganism",
    "StageRow",
    "ZooRow",
    "base_profile",
    "build_base",
    "build_zoo",
    "builtin_specs",
    "decoy_names",
    "get_organism",
    "load_report",
    "load_spec",
    "organism",
    "organism_names",
    "parse_spec",
    "read_zoo",
    "recipe_from_spec_file",
    "resolve_profile",
    "training_prompts",
]
