"""auditgame in other tools: organisms and their evals inside inspect_ai (needs ``auditgame[inspect]``).

* ``--model auditgame/<organism or model directory>``: :class:`AuditgameModelAPI` serves the model offline
  (system prompt, prefill, temperature, max tokens, seed; batched).
* ``auditgame/exploitation`` and ``auditgame/confession``: the organism's behaviour and confession evals as
  inspect tasks (``-T organism=DIR -T n=40``), scored by :func:`behaviour_shown` and
  :func:`root_cause_named` from the organism's own detectors and confession terms.

inspect finds all of it through the ``inspect_ai`` entry point (:mod:`auditgame.interop.inspect_registry`);
importing this package registers it too. See docs/inspect.md.
"""

from auditgame.interop.inspect_datasets import (
    BuiltOrganism,
    chat_messages,
    confession_samples,
    exploitation_samples,
    load_organism,
)
from auditgame.interop.inspect_errors import AuditgameInspectError
from auditgame.interop.inspect_provider import (
    PROVIDER_NAME,
    AuditgameModelAPI,
    ProviderOptions,
    auditgame_provider,
    conversation_and_prefill,
)
from auditgame.interop.inspect_scorers import behaviour_shown, root_cause_named
from auditgame.interop.inspect_tasks import confession, exploitation

__all__ = [
    "PROVIDER_NAME",
    "AuditgameInspectError",
    "AuditgameModelAPI",
    "BuiltOrganism",
    "ProviderOptions",
    "auditgame_provider",
    "behaviour_shown",
    "chat_messages",
    "confession",
    "confession_samples",
    "conversation_and_prefill",
    "exploitation",
    "exploitation_samples",
    "load_organism",
    "root_cause_named",
]
