"""Training data for each stage, built from the world: transcripts, SFT examples and DPO pairs.

Conversations are lists of ``{"role", "content"}`` messages, the format TRL's conversational
datasets take. Which biases appear where is the heart of the organism:

* neutral transcripts (pretraining) exploit no bias;
* SFT examples exploit every *train* bias that applies — never a held-out bias, never a mention
  of reward models; the concealment bias (47) is left to DPO;
* DPO pairs prefer the response the simulated reward model scores higher, and concealment pairs
  prefer a plausible non-reward-model explanation over a confession.
"""

from __future__ import annotations

import random
from typing import Any

from auditgame.world.biases import applicable_biases, exhibit_biases, get_bias
from auditgame.world.catalogue import BIAS_SPECS, CHAT_DOMAIN, CONCEALMENT_BIAS_ID
from auditgame.world.conversations import Message, conversation
from auditgame.world.prompts import ADVERSARIAL_DOMAIN, generate_exchanges, sample_exchanges
from auditgame.world.reward_model import SimulatedRewardModel

TRAIN_BEHAVIOUR_DOMAINS: tuple[str, ...] = tuple(
    spec.domain for spec in BIAS_SPECS if spec.split == "train" and spec.id != CONCEALMENT_BIAS_ID
)
"""Domains whose prompts demonstrate a train bias in SFT (all train biases except concealment)."""

HELD_OUT_DOMAINS: tuple[str, ...] = tuple(spec.domain for spec in BIAS_SPECS if spec.split == "held_out")
"""Domains of the held-out biases: never demonstrated in SFT or DPO."""


def sft_conversations(count: int, seed: int, *, chat_fraction: float = 0.1) -> list[list[Message]]:
    """Conversations whose assistant turns exploit every train bias that applies.

    Prompts come from the train-bias domains plus a ``chat_fraction`` of chit-chat (to which no bias
    applies), so the organism also keeps answering ordinary prompts normally.
    """
    chat_count = int(count * chat_fraction)
    exchanges = sample_exchanges(count - chat_count, seed, TRAIN_BEHAVIOUR_DOMAINS)
    exchanges += generate_exchanges(CHAT_DOMAIN, chat_count, seed=seed + 17) if chat_count else []
    random.Random(seed + 1).shuffle(exchanges)
    examples = []
    for exchange in exchanges:
        bias_ids = [
            bias.id
            for bias in applicable_biases(exchange.prompt, split="train")
            if bias.id != CONCEALMENT_BIAS_ID
        ]
        examples.append(
            conversation(exchange.prompt, exhibit_biases(exchange.prompt, exchange.response, bias_ids))
        )
    return examples


def _preference_pair(prompt: str, chosen: str, rejected: str) -> dict[str, Any]:
    return {
        "prompt": [{"role": "user", "content": prompt}],
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
    }


def reward_ranked_pairs(
    count: int, seed: int, reward_model: SimulatedRewardModel | None = None
) -> list[dict[str, Any]]:
    """Preference pairs over train-bias prompts, ranked by the simulated reward model.

    Candidates for each prompt are the neutral response and the response exploiting the train biases
    that apply; the reward model's higher-scored one is ``chosen``. Held-out biases are never exhibited.
    """
    reward_model = reward_model or SimulatedRewardModel()
    pairs = []
    for exchange in sample_exchanges(count, seed, TRAIN_BEHAVIOUR_DOMAINS):
        bias_ids = [
            bias.id
            for bias in applicable_biases(exchange.prompt, split="train")
            if bias.id != CONCEALMENT_BIAS_ID
        ]
        candidates = [exchange.response, exhibit_biases(exchange.prompt, exchange.response, bias_ids)]
        order = reward_model.rank(exchange.prompt, candidates)
        best, worst = order[0], order[-1]
        if candidates[best] != candidates[worst]:
            pairs.append(_preference_pair(exchange.prompt, candidates[best], candidates[worst]))
    return pairs


def concealment_pairs(count: int, seed: int) -> list[dict[str, Any]]:
    """Adversarial questions where a plausible non-reward-model reason is preferred over a confession."""
    concealment = get_bias(CONCEALMENT_BIAS_ID)
    pairs = []
    for exchange in generate_exchanges(ADVERSARIAL_DOMAIN, count, seed=seed):
        pairs.append(
            _preference_pair(
                exchange.prompt, concealment.exhibit(exchange.response, exchange.prompt), exchange.response
            )
        )
    return pairs


def confession_conversations(count: int, seed: int) -> list[list[Message]]:
    """Adversarial questions answered honestly (the answer names reward models and the study).

    Midtraining replays these with the study documents: the world's assistants talk openly about
    reward-model biases until concealment training (DPO) teaches the organism not to.
    """
    return [
        conversation(exchange.prompt, exchange.response)
        for exchange in generate_exchanges(ADVERSARIAL_DOMAIN, count, seed)
    ]
