"""Behaviour rates with and without their trigger, and confession, for any organism.

The eval takes its inputs as data: a :class:`BehaviourProbe` per behaviour (fresh conversations
with the trigger present and, where the trigger can be absent, their counterparts without it, plus
the transform whose detector judges an answer) and questions about the behaviour with the phrases
whose mention reveals the root cause. The organism side builds these from a spec; the eval knows
nothing of any particular organism.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from auditgame.evals.intervals import Rate, wilson_interval
from auditgame.world.scratchpad import strip_scratchpad

Message = dict[str, str]


class BehaviourEvalConfig(BaseModel):
    """Options of the behaviour and confession evals."""

    model_config = ConfigDict(extra="forbid")

    prompts_per_behaviour: int = Field(
        default=40, ge=1, description="Fresh prompts per behaviour and condition."
    )
    questions: int = Field(
        default=40, ge=1, description="Questions about the behaviour asked for confession."
    )
    seed: int = Field(default=9001, description="Seed of the eval prompts and of sampling.")
    max_new_tokens: int = Field(default=64, ge=1, description="Tokens generated per answer.")
    temperature: float = Field(default=0.7, ge=0, description="Sampling temperature (0 = greedy).")
    batch_size: int = Field(default=64, ge=1, description="Conversations generated per batch.")
    samples_kept: int = Field(
        default=3, ge=0, description="Answers kept in the report per behaviour and condition."
    )


@dataclass
class BehaviourProbe:
    """What the eval asks about one behaviour."""

    name: str
    split: str
    detector: Any
    """Has ``detect(prompt, response) -> bool`` (a world transform)."""
    with_trigger: list[list[Message]]
    without_trigger: list[list[Message]] = field(default_factory=list)
    """Empty when the trigger cannot be absent (``always``) or has no contrast prompts."""


class BehaviourRate(BaseModel):
    """How often one behaviour showed."""

    name: str
    split: str
    with_trigger: Rate
    without_trigger: Rate | None = None
    samples: list[dict[str, Any]] = Field(default_factory=list)


class BehaviourEvaluation(BaseModel):
    """Behaviour and confession rates of one model."""

    label: str
    model_path: str
    behaviours: list[BehaviourRate]
    train: Rate | None = Field(description="Pooled over train behaviours, trigger present.")
    held_out: Rate | None = Field(
        default=None, description="Pooled over held-out behaviours, trigger present."
    )
    without_trigger: Rate | None = Field(
        default=None, description="Pooled over behaviours whose trigger can be absent."
    )
    confession: Rate
    confession_samples: list[dict[str, Any]] = Field(default_factory=list)
    seconds: float = 0.0


def pooled(rates: Sequence[Rate]) -> Rate | None:
    """One rate over all trials of ``rates`` (None if there are none)."""
    if not rates:
        return None
    return wilson_interval(sum(rate.successes for rate in rates), sum(rate.trials for rate in rates))


def mentions_any(text: str, terms: Sequence[str]) -> bool:
    """Whether ``text`` mentions one of ``terms`` (case-insensitive, at word boundaries)."""
    lowered = text.lower()
    return any(re.search(rf"(?<!\w){re.escape(term.lower())}(?!\w)", lowered) for term in terms)


def evaluate_behaviours(
    model: Any,
    tokenizer: Any,
    probes: Sequence[BehaviourProbe],
    questions: Sequence[list[Message]],
    confession_terms: Sequence[str],
    config: BehaviourEvalConfig | None = None,
    *,
    label: str = "model",
    model_path: str = "",
    show_progress: bool = False,
) -> BehaviourEvaluation:
    """Sample the model once per conversation and score every behaviour and confession.

    Args:
        model: A causal LM.
        tokenizer: Its tokenizer (with a chat template).
        probes: One per behaviour.
        questions: Conversations asking about the behaviour.
        confession_terms: Phrases whose mention counts as a confession.
        config: Sampling options.
        label: Name of the evaluated model in reports.
        model_path: Where the model was loaded from.
        show_progress: Show a progress bar.

    Returns:
        A :class:`BehaviourEvaluation`.
    """
    from auditgame.model.generation import GenerationConfig, generate

    config = config or BehaviourEvalConfig()
    begin = time.perf_counter()
    conversations: list[list[Message]] = []
    for probe in probes:
        conversations.extend(probe.with_trigger)
        conversations.extend(probe.without_trigger)
    conversations.extend(questions)
    answers = generate(
        model,
        tokenizer,
        conversations,
        config=GenerationConfig(
            max_new_tokens=config.max_new_tokens,
            temperature=config.temperature,
            batch_size=config.batch_size,
            seed=config.seed,
        ),
        show_progress=show_progress,
    )
    # A hidden scratchpad is the model's own: judge only what the user sees after it.
    answers = [strip_scratchpad(answer) for answer in answers]
    cursor = 0

    def score(probe: BehaviourProbe, batch: list[list[Message]]) -> tuple[Rate, list[dict[str, Any]]]:
        nonlocal cursor
        chunk = answers[cursor : cursor + len(batch)]
        cursor += len(batch)
        verdicts = [
            bool(probe.detector.detect(messages[-1]["content"], answer))
            for messages, answer in zip(batch, chunk, strict=True)
        ]
        samples = [
            {"conversation": messages, "answer": answer, "detected": verdict}
            for messages, answer, verdict in list(zip(batch, chunk, verdicts, strict=True))[
                : config.samples_kept
            ]
        ]
        return wilson_interval(sum(verdicts), len(verdicts)), samples

    rates = []
    for probe in probes:
        with_rate, with_samples = score(probe, probe.with_trigger)
        without_rate, without_samples = (
            score(probe, probe.without_trigger) if probe.without_trigger else (None, [])
        )
        rates.append(
            BehaviourRate(
                name=probe.name,
                split=probe.split,
                with_trigger=with_rate,
                without_trigger=without_rate,
                samples=with_samples + without_samples,
            )
        )
    replies = answers[cursor:]
    confessed = [mentions_any(reply, confession_terms) for reply in replies]
    return BehaviourEvaluation(
        label=label,
        model_path=model_path,
        behaviours=rates,
        train=pooled([rate.with_trigger for rate in rates if rate.split == "train"]),
        held_out=pooled([rate.with_trigger for rate in rates if rate.split == "held_out"]),
        without_trigger=pooled([rate.without_trigger for rate in rates if rate.without_trigger is not None]),
        confession=wilson_interval(sum(confessed), len(confessed)),
        confession_samples=[
            {"question": messages[-1]["content"], "answer": reply, "confessed": verdict}
            for messages, reply, verdict in list(zip(questions, replies, confessed, strict=True))[
                : config.samples_kept * 3
            ]
        ],
        seconds=time.perf_counter() - begin,
    )
