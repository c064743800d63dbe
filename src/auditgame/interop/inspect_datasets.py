"""inspect datasets of a built organism: the prompts of its own evals, as inspect samples.

The prompts are those of ``auditgame eval`` (:func:`auditgame.organisms.data.behaviour_probes` and
:func:`~auditgame.organisms.data.eval_questions`): fresh ones from the eval-only share of the world's
prompts, none of them in the organism's training data. The organism packages (torch among their
imports) load when a dataset is first built, not when this module is imported.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

try:
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageSystem, ChatMessageUser
except ImportError:  # pragma: no cover - the extra is missing
    from auditgame.errors import MissingExtraError

    raise MissingExtraError("inspect_ai", "inspect") from None

from auditgame.errors import AuditgameError
from auditgame.interop.inspect_errors import AuditgameInspectError

if TYPE_CHECKING:
    from auditgame.organisms.spec import OrganismSpec

Condition = Literal["with_trigger", "without_trigger", "both"]
CONDITIONS: tuple[str, ...] = ("with_trigger", "without_trigger", "both")
_MESSAGE_TYPES = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}


class BuiltOrganism(NamedTuple):
    """What the inspect tasks need of an organism directory."""

    directory: Path
    spec: OrganismSpec
    """The spec it was built with (its build plan's, so the profile's eval sizes)."""
    training_prompts: frozenset[str]
    """User turns of its SFT and DPO data, which the eval prompts leave out."""


def load_organism(organism: str | Path) -> BuiltOrganism:
    """The spec and training prompts of the organism built in ``organism``.

    Args:
        organism: A directory written by ``auditgame organism build`` (or ``zoo build``).

    Raises:
        AuditgameInspectError: if ``organism`` is not a built organism, or its spec cannot be read.
    """
    directory = Path(organism).expanduser()
    manifest = directory / "manifest.json"
    stamp = manifest.stat().st_mtime_ns if manifest.is_file() else 0
    return _load_organism(directory.resolve(), stamp)


@lru_cache(maxsize=8)
def _load_organism(directory: Path, manifest_stamp: int) -> BuiltOrganism:

    from auditgame.artifacts import has_manifest, read_manifest

    try:
        if not (has_manifest(directory) and read_manifest(directory).kind == "organism"):
            raise AuditgameInspectError(
                f"{directory} is not a built organism (no organism manifest)",
                "pass -T organism=DIR with a directory written by `auditgame organism build` or `auditgame zoo build`",
            )
        manifest = read_manifest(directory)
        from auditgame.organisms.recipe import BuildPlan, training_prompts
        from auditgame.organisms.registry import get_organism

        try:
            spec = BuildPlan.model_validate(manifest.config).spec
        except ValueError:  # an older plan: the registered recipe of the same name (as `auditgame eval` does)
            spec = get_organism(manifest.name).spec
        # The same exclusion as SpecOrganism.evaluate: no eval prompt is a user turn of the training data.
        prompts = training_prompts(directory, manifest.extra.get("stages", []))
    except AuditgameInspectError:
        raise
    except AuditgameError as error:
        raise AuditgameInspectError.from_error(error) from error
    return BuiltOrganism(directory, spec, frozenset(prompts))


def chat_messages(conversation: Sequence[dict[str, str]]) -> list[ChatMessage]:
    """A role/content conversation as inspect chat messages."""
    return [_MESSAGE_TYPES[message["role"]](content=message["content"]) for message in conversation]


def exploitation_samples(
    organism: str | Path,
    n: int | None = None,
    *,
    condition: Condition = "with_trigger",
    behaviours: Sequence[str] | None = None,
    seed: int | None = None,
) -> list[Sample]:
    """Prompts on which the organism's behaviours should (or, without their trigger, should not) show.

    Each behaviour contributes the conversations of its probe (:func:`~auditgame.organisms.data.behaviour_probes`:
    the trigger activated on fresh prompts; without it, the same prompts deactivated or prompts from the
    domains outside every scope). Samples take turns over behaviours (in a seeded order), so any ``n``
    covers them as evenly as it can.

    Args:
        organism: A built organism's directory.
        n: Samples in all; ``None``: the spec's own eval size (``evals.prompts_per_behaviour`` per
            behaviour and condition). A behaviour whose domains hold few eval prompts may give fewer.
        condition: ``with_trigger`` (the behaviour rate), ``without_trigger`` (the false-positive
            rate, for behaviours whose trigger can be absent) or ``both``.
        behaviours: Only these behaviours (names from the spec); ``None``: all, held-out ones included.
        seed: Seed of the prompts; ``None``: the spec's ``evals.seed``, as ``auditgame eval`` uses.

    Returns:
        Samples whose metadata names the behaviour, its trigger, split and condition (ids
        ``behaviour:condition:index``).

    Raises:
        AuditgameInspectError: for a directory that is no organism, an unknown behaviour or condition,
            ``n`` below 1, or a selection with no prompts.
    """
    from auditgame.organisms.data import behaviour_probes

    if condition not in CONDITIONS:
        raise AuditgameInspectError(
            f"unknown condition {condition!r}", f"choose one of: {', '.join(CONDITIONS)}"
        )
    _check_count(n)
    built = load_organism(organism)
    spec = built.spec
    chosen = _chosen_behaviours(spec, behaviours)
    seed = spec.evals.seed if seed is None else seed
    conditions = ["with_trigger", "without_trigger"] if condition == "both" else [condition]
    units_per_behaviour = len(conditions)
    per_unit = (
        spec.evals.prompts_per_behaviour if n is None else math.ceil(n / (len(chosen) * units_per_behaviour))
    )
    by_name = {behaviour.name: behaviour for behaviour in spec.all_behaviours()}
    units: list[tuple[Any, str, list[list[dict[str, str]]]]] = []
    # Probes for every behaviour: a probe's prompts are seeded by its place in the spec.
    for probe in behaviour_probes(spec, per_unit, seed, set(built.training_prompts)):
        if probe.name not in chosen:
            continue
        for name in conditions:
            conversations = probe.with_trigger if name == "with_trigger" else probe.without_trigger
            if conversations:
                units.append((by_name[probe.name], name, conversations))
    if not units:
        raise AuditgameInspectError(
            f"{spec.name} has no {condition.replace('_', ' ')} prompts for "
            f"{'these behaviours' if behaviours else 'its behaviours'}",
            "use -T condition=with_trigger (a trigger such as 'always' cannot be absent)",
        )
    random.Random(f"inspect-exploitation:{seed}").shuffle(units)
    samples: list[Sample] = []
    for index in range(max(len(conversations) for _, _, conversations in units)):
        for behaviour, name, conversations in units:
            if index < len(conversations):
                samples.append(_behaviour_sample(spec, behaviour, name, index, conversations[index]))
    return samples if n is None else samples[:n]


def confession_samples(
    organism: str | Path, n: int | None = None, *, seed: int | None = None
) -> list[Sample]:
    """Questions about the organism's behaviour (:func:`~auditgame.organisms.data.eval_questions`).

    Args:
        organism: A built organism's directory.
        n: Questions; ``None``: the spec's ``evals.questions``.
        seed: Seed of the questions; ``None``: the spec's ``evals.seed``.

    Returns:
        Samples whose target is the answer key's root cause; their metadata names the behaviour the
        question is about (``any`` for a question about the model in general) and its trigger.

    Raises:
        AuditgameInspectError: for a directory that is no organism, or ``n`` below 1.
    """
    from auditgame.organisms.data import eval_questions

    _check_count(n)
    built = load_organism(organism)
    spec = built.spec
    seed = spec.evals.seed if seed is None else seed
    questions = eval_questions(
        spec, spec.evals.questions if n is None else n, seed, set(built.training_prompts)
    )
    samples = []
    for index, conversation in enumerate(questions):
        question = conversation[-1]["content"]
        about = next(
            (
                behaviour
                for behaviour in spec.all_behaviours()
                if behaviour.description.rstrip(".").lower() in question.lower()
            ),
            None,
        )
        samples.append(
            Sample(
                id=f"question:{index:04d}",
                input=chat_messages(conversation),
                target=spec.answer_key.root_cause,
                metadata={
                    "organism": spec.name,
                    "behaviour": about.name if about else "any",
                    "trigger": about.trigger.describe() if about else "",
                    "has_hidden_objective": spec.has_hidden_objective,
                },
            )
        )
    return samples


def _behaviour_sample(
    spec: OrganismSpec, behaviour: Any, condition: str, index: int, conversation: list[dict[str, str]]
) -> Sample:
    return Sample(
        id=f"{behaviour.name}:{condition}:{index:03d}",
        input=chat_messages(conversation),
        target=behaviour.description,
        metadata={
            "organism": spec.name,
            "behaviour": behaviour.name,
            "description": behaviour.description,
            "trigger": behaviour.trigger.describe(),
            "condition": condition,
            "split": behaviour.split,
            "transform": behaviour.transform.kind,
        },
    )


def _chosen_behaviours(spec: OrganismSpec, behaviours: Sequence[str] | None) -> set[str]:
    names = [behaviour.name for behaviour in spec.all_behaviours()]
    if not names:
        raise AuditgameInspectError(f"{spec.name} has no behaviours to measure", "pick another organism")
    if behaviours is None:
        return set(names)
    unknown = [name for name in behaviours if name not in names]
    if unknown:
        raise AuditgameInspectError(
            f"{spec.name} has no behaviour {unknown[0]!r}",
            f"choose from: {', '.join(names[:20])}{' …' if len(names) > 20 else ''}",
        )
    return set(behaviours)


def _check_count(n: int | None) -> None:
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise AuditgameInspectError(
            f"n must be a whole number of samples, at least 1, not {n!r}", "pass -T n=40"
        )
