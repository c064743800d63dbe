"""Audit techniques: black-box sampling, training-data search, sparse autoencoders and other white-box tools.

Every technique is registered with ``@technique`` and returns a :class:`TechniqueResult`. Run one by name::

    from auditgame.audit import run_technique

    result = run_technique("sampling", "runs/rm1", temperatures=[1.0], flag_terms=["secret", "trained to"])
    print(result.metrics["flagged_rate/assistant"])

Techniques see only what an auditor would: prompts, the model and training data. They carry no
knowledge of any organism: what to look for is the auditor's (``flag_terms``, ``watch``, contrastive
texts), and without it they report neutral observations such as distinctive n-grams
(:mod:`auditgame.audit.flags`). Defaults are generic auditor questions and neutral text
(:mod:`auditgame.audit.defaults`).

Submodules (imported on demand, some pull in heavy libraries): ``sampling``, ``search`` / ``data_search``,
``sae``, ``logit_lens``, ``probes``, ``steering``, ``fuzzing``, ``diffing``, ``activations``, ``flags``,
``defaults``, ``texts``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditgame.audit.registry import RegisteredTechnique, get_technique, technique, technique_names
from auditgame.audit.result import Finding, TechniqueResult


def run_technique(
    name: str, target: str | Path, *, show_progress: bool = False, **options: Any
) -> TechniqueResult:
    """Run the technique ``name`` on ``target`` with config ``options`` (validated by its pydantic config).

    Raises:
        UnknownNameError: for an unknown technique.
        ConfigError: for an invalid option.
    """
    from auditgame.config_files import apply_overrides

    registered = get_technique(name)
    config = apply_overrides(registered.config_class(), options, source=f"{name} options")
    return registered.function(target, config, show_progress=show_progress)


__all__ = [
    "Finding",
    "RegisteredTechnique",
    "TechniqueResult",
    "get_technique",
    "run_technique",
    "technique",
    "technique_names",
]
