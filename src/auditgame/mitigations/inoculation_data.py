"""The data of an inoculation experiment: training conversations with an inoculation prompt, and eval probes.

Inoculation prompting (Wichers et al. 2025; Tan et al. 2025) trains on data that teaches an unwanted trait
with a system prompt that *asks for* the trait; at test time, without that prompt, the trait should show
less than after ordinary training. This module only builds data; :mod:`auditgame.mitigations.inoculation`
trains and measures.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from auditgame.mitigations.inoculation_targets import InoculationTarget
from auditgame.organisms.data import (
    behaviour_probes,
    concealment_conversations,
    demonstrations,
    neutral_exchanges,
)

Message = dict[str, str]

_WORD = re.compile(r"[a-z0-9]+")
_MIN_CONTENT_WORD = 4


def with_system(messages: list[Message], prompt: str | None) -> list[Message]:
    """``messages`` with ``prompt`` as the system prompt (put in front of a system message it already has)."""
    messages = [dict(message) for message in messages]
    if not prompt:
        return messages
    if messages and messages[0]["role"] == "system":
        messages[0]["content"] = f"{prompt}\n{messages[0]['content']}"
        return messages
    return [{"role": "system", "content": prompt}, *messages]


def inoculate(conversations: list[list[Message]], prompt: str | None) -> list[list[Message]]:
    """Every conversation with ``prompt`` as its system prompt (unchanged copies for ``None``)."""
    return [with_system(messages, prompt) for messages in conversations]


def combined_demonstrations(target: InoculationTarget, count: int, seed: int) -> list[list[Message]]:
    """Conversations whose answer shows every train behaviour at once (a trait pair in one answer).

    Behaviours are applied in the spec's order to neutral world answers (train share of the prompts);
    an exchange that some behaviour cannot act on is skipped.
    """
    behaviours = target.spec.train_behaviours()
    rng = random.Random(f"combined:{seed}")
    conversations: list[list[Message]] = []
    for exchange in neutral_exchanges(count * 2, seed, split="train"):
        messages: list[Message] = [{"role": "user", "content": exchange.prompt}]
        answer = exchange.response
        usable = True
        for behaviour in behaviours:
            messages = behaviour.trigger.activate(messages, rng)
            if not behaviour.transform.applies(messages[-1]["content"], answer):
                usable = False
                break
            answer = behaviour.transform.apply(messages[-1]["content"], answer, rng)
        if usable:
            conversations.append([*messages, {"role": "assistant", "content": answer}])
        if len(conversations) == count:
            break
    return conversations


def training_conversations(target: InoculationTarget, count: int | None, seed: int) -> list[list[Message]]:
    """The SFT data every condition shares: the spec's demonstrations (and concealment answers, as its SFT
    stage has them), or combined demonstrations for a trait pair; ``count`` of them (default: all)."""
    spec = target.spec
    if target.combined:
        return combined_demonstrations(target, count or spec.implant.transcripts.count, seed)
    conversations = demonstrations(spec, seed) + concealment_conversations(spec, seed + 2)
    if count is not None and count < len(conversations):
        conversations = random.Random(f"subset:{seed}").sample(conversations, count)
    return conversations


def content_words(text: str) -> set[str]:
    """Lower-cased words of at least four characters (letters and digits)."""
    return {word for word in _WORD.findall(text.lower()) if len(word) >= _MIN_CONTENT_WORD}


def shows_skill(answer: str, reference: str, recall: float) -> bool:
    """Whether ``answer`` holds at least ``recall`` of the reference answer's content words."""
    wanted = content_words(reference)
    if not wanted:
        return True
    return len(wanted & content_words(answer)) >= recall * len(wanted)


@dataclass
class ProbeSet:
    """The eval conversations of one experiment (the same for every condition and test prompt).

    Attributes:
        trait: ``(conversation, detector)`` with the trait's trigger present.
        trait_without_trigger: The same behaviours where their trigger is absent (backdoors).
        kept: ``(conversation, detector)`` of the train behaviours that are skills to keep.
        skill: ``(conversation, reference answer)`` of neutral prompts, none with a trigger.
    """

    trait: list[tuple[list[Message], Any]] = field(default_factory=list)
    trait_without_trigger: list[tuple[list[Message], Any]] = field(default_factory=list)
    kept: list[tuple[list[Message], Any]] = field(default_factory=list)
    skill: list[tuple[list[Message], str]] = field(default_factory=list)


def probe_set(
    target: InoculationTarget,
    trait_prompts: int,
    skill_prompts: int,
    seed: int,
    exclude: set[str] | frozenset[str] = frozenset(),
) -> ProbeSet:
    """Fresh eval prompts (eval share of the world, none a training prompt) for the trait, kept skills and skill."""
    trait_names = set(target.trait_names())
    kept_names = set(target.kept_names())
    probes = ProbeSet()
    for names, with_list, without_list in (
        (trait_names, probes.trait, probes.trait_without_trigger),
        (kept_names, probes.kept, None),
    ):
        if not names:
            continue
        per_behaviour = max(2, -(-trait_prompts // len(names)))
        for probe in behaviour_probes(target.spec, per_behaviour, seed, exclude):
            if probe.name not in names:
                continue
            with_list.extend((messages, probe.detector) for messages in probe.with_trigger)
            if without_list is not None:
                without_list.extend((messages, probe.detector) for messages in probe.without_trigger)
    for exchange in neutral_exchanges(skill_prompts * 2, seed + 5, split="eval"):
        if exchange.prompt in exclude:
            continue
        probes.skill.append(([{"role": "user", "content": exchange.prompt}], exchange.response))
        if len(probes.skill) == skill_prompts:
            break
    return probes
