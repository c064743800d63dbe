"""What the ``inspect_ai`` entry point loads: the ``auditgame`` model provider, tasks and scorers.

``pip install 'auditgame[inspect]'`` (or ``pip install -e .``) registers this module under inspect's
entry-point group, so ``--model auditgame/<dir>``, ``inspect eval auditgame/exploitation`` and
``auditgame/confession`` work without an import. It imports cheaply: no torch, transformers or organism
code until a model is created or a task built.
"""

from auditgame.interop.inspect_provider import auditgame_provider
from auditgame.interop.inspect_scorers import behaviour_shown, root_cause_named
from auditgame.interop.inspect_tasks import confession, exploitation

__all__ = ["auditgame_provider", "behaviour_shown", "confession", "exploitation", "root_cause_named"]
