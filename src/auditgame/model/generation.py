"""Batched sampling from a chat model: system prompt, assistant prefill, or raw text."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from pydantic import BaseModel, ConfigDict, Field
from tqdm.auto import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase


class GenerationConfig(BaseModel):
    """How to sample."""

    model_config = ConfigDict(extra="forbid")

    max_new_tokens: int = Field(default=96, ge=1)
    temperature: float = Field(default=0.7, ge=0.0)
    """0 means greedy decoding."""
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    batch_size: int = Field(default=32, ge=1)
    seed: int = 0


def format_chat(
    tokenizer: PreTrainedTokenizerBase,
    prompt: str | Sequence[dict[str, str]],
    *,
    system: str | None = None,
    prefill: str | None = None,
    raw: bool = False,
) -> str:
    """The text the model continues: the chat template applied to ``prompt`` (+ ``prefill``), or ``prompt`` itself if raw.

    ``prompt`` is a user message, or a whole conversation (role/content messages ending with a user
    turn); ``system`` is added in front unless the conversation has its own system message.
    """
    if not isinstance(prompt, str):
        messages = [dict(message) for message in prompt]
        if system and not (messages and messages[0]["role"] == "system"):
            messages.insert(0, {"role": "system", "content": system})
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return text + (prefill or "")
    if raw:
        return prompt + (prefill or "")
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": prompt}
    ]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return text + (prefill or "")


@torch.no_grad()
def generate(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str] | Sequence[Sequence[dict[str, str]]],
    *,
    system: str | None = None,
    prefill: str | None = None,
    raw: bool = False,
    config: GenerationConfig | None = None,
    show_progress: bool = False,
) -> list[str]:
    """Sample one continuation per prompt, in batches; return only the newly generated text.

    Args:
        model: A causal LM.
        tokenizer: Its tokenizer (with a chat template unless ``raw``).
        prompts: User messages (or raw text if ``raw``), or conversations ending with a user turn.
        system: Optional system prompt.
        prefill: Optional start of the assistant's answer; the model continues from it (not repeated in the output).
        raw: Continue ``prompts`` as plain text, without the chat template.
        config: Sampling settings.
        show_progress: Show a progress bar over batches.

    Returns:
        One generated string per prompt, in order, special tokens removed.
    """
    config = config or GenerationConfig()
    texts = [format_chat(tokenizer, prompt, system=system, prefill=prefill, raw=raw) for prompt in prompts]
    was_training = model.training
    model.eval()
    padding_side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    device = next(model.parameters()).device
    outputs: list[str] = []
    try:
        starts = range(0, len(texts), config.batch_size)
        for batch_number, start in enumerate(tqdm(starts, desc="generate", disable=not show_progress)):
            batch = tokenizer(
                texts[start : start + config.batch_size],
                return_tensors="pt",
                padding=True,
                add_special_tokens=False,
            ).to(device)
            torch.manual_seed(config.seed * 100_003 + batch_number)
            sample = config.temperature > 0
            generated = model.generate(
                **batch,
                max_new_tokens=config.max_new_tokens,
                do_sample=sample,
                temperature=config.temperature if sample else None,
                top_p=config.top_p if sample else None,
                top_k=None,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=tokenizer.eos_token_id,
            )
            new_tokens = generated[:, batch["input_ids"].shape[1] :]
            outputs.extend(
                text.strip() for text in tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
            )
    finally:
        tokenizer.padding_side = padding_side
        model.train(was_training)
    return outputs
