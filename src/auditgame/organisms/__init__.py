"""Model organisms: recipes registered with ``@organism`` that implant a known hidden objective."""

from auditgame.organisms.profiles import SycophantProfile, get_profile
from auditgame.organisms.registry import get_organism, organism, organism_names
from auditgame.organisms.report import OrganismReport, StageRow

__all__ = [
    "OrganismReport",
    "StageRow",
    "SycophantProfile",
    "get_organism",
    "get_profile",
    "organism",
    "organism_names",
]
