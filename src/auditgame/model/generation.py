"""Batched sampling from a chat model: system prompt, assistant prefill, or raw text."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from pydantic import BaseModel, ConfigDict, Field
from tqdm.auto import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from auditgame.model.llama_decoder import LlamaDecoder, lean_decoder_for, left_padded_positions


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
def supports_lean_decoding(model: torch.nn.Module) -> bool:
    """Whether :func:`sample_tokens` can drive ``model``: its forward takes ``cache`` and ``logits_to_keep``."""
    import inspect

    try:
        parameters = inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False
    return "cache" in parameters and "logits_to_keep" in parameters


def draw_tokens(probs: torch.Tensor) -> torch.Tensor:
    """One token per row of ``probs`` (``[rows, vocab]``), by the inverse of its cumulative distribution.

    The same distribution as ``torch.multinomial(probs, 1)`` from one uniform number per row, where
    ``multinomial`` draws an exponential per vocabulary entry (16% of a decoding step of the embedded
    default). Tokens of probability zero (cut by top-p) are never drawn.
    """
    cumulative = probs.cumsum(dim=-1)
    draw = torch.rand((probs.shape[0], 1), dtype=cumulative.dtype, device=probs.device) * cumulative[:, -1:]
    return torch.searchsorted(cumulative, draw, right=True).squeeze(1).clamp_(max=probs.shape[-1] - 1)


def _eos_tensor(eos_token_id: int | list[int] | None, device: torch.device) -> torch.Tensor:
    """The end-of-sequence token ids as a tensor (empty where there is none)."""
    ids = [] if eos_token_id is None else ([eos_token_id] if isinstance(eos_token_id, int) else eos_token_id)
    return torch.tensor(ids, dtype=torch.long, device=device)


def _choose(logits: torch.Tensor, temperature: float, top_p: float, *, inverse_cdf: bool) -> torch.Tensor:
    """The next token per row: ``generate``'s temperature, top-p and draw (or argmax at temperature 0)."""
    scores = logits.to(dtype=torch.float32)
    if temperature <= 0:
        return scores.argmax(dim=-1)
    scores = scores / temperature
    if top_p < 1.0:
        ordered, order = torch.sort(scores, descending=False)
        cumulative = ordered.softmax(dim=-1).cumsum(dim=-1)
        remove = cumulative <= (1 - top_p)
        remove[..., -1:] = False
        scores = scores.masked_fill(remove.scatter(1, order, remove), -float("inf"))
    probs = scores.softmax(dim=-1)
    return draw_tokens(probs) if inverse_cdf else torch.multinomial(probs, num_samples=1).squeeze(1)


def _sample_with_decoder(
    decoder: LlamaDecoder,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    *,
    max_new_tokens: int,
    temperature: float,
    top_p: float,
    eos_token_id: int | list[int] | None,
    pad_token_id: int,
) -> torch.Tensor:
    """The compact loop of :func:`sample_tokens` on a :class:`LlamaDecoder`.

    Finished rows stay in the batch (their tokens are not kept) until they are an eighth of it, then leave
    together: each removal copies the whole preallocated cache, so removing one row at a time costs more
    than it saves.
    """
    batch = input_ids.shape[0]
    eos = _eos_tensor(eos_token_id, input_ids.device)
    logits = decoder.prefill(input_ids, attention_mask, max_new_tokens)
    rows = torch.arange(batch, device=input_ids.device)  # the batch row of each row still in the decoder
    running = torch.ones(batch, dtype=torch.bool, device=input_ids.device)
    tokens = torch.full((batch, max_new_tokens), pad_token_id, dtype=torch.long, device=input_ids.device)
    steps = 0
    for step in range(max_new_tokens):
        chosen = _choose(logits, temperature, top_p, inverse_cdf=True)
        live = running.nonzero().squeeze(1)
        tokens[rows[live], step] = chosen[live]
        steps = step + 1
        if eos.numel():
            running &= ~torch.isin(chosen, eos)
        alive = int(running.sum())
        if alive == 0 or step == max_new_tokens - 1:
            break
        if running.numel() - alive >= max(1, running.numel() // 8):
            keep = running.nonzero().squeeze(1)
            decoder.keep(keep)
            rows, chosen, running = rows[keep], chosen[keep], running[keep]
        logits = decoder.step(chosen)
    return tokens[:, :steps]


@torch.inference_mode()
def sample_tokens(
    model: torch.nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    *,
    max_new_tokens: int,
    temperature: float,
    top_p: float = 1.0,
    eos_token_id: int | list[int] | None,
    pad_token_id: int,
    compact: bool = False,
    decoder: LlamaDecoder | None = None,
) -> torch.Tensor:
    """Sample up to ``max_new_tokens`` tokens for a left-padded batch; return them (``pad`` after EOS).

    The same decoding as ``model.generate(do_sample=temperature > 0, temperature, top_p, top_k=None)``:
    one KV cache, logits of the last position only, float32 scores divided by the temperature, top-p
    filtering, one ``torch.multinomial`` draw per step (so the same seed gives the same samples), and a
    row stops at EOS; the loop stops when every row has. It skips ``generate``'s per-step machinery
    (logits-processor lists, stopping-criteria objects, model-kwargs updates), which dominates the cost of
    a model as small as the embedded default (``benchmarks/generation.py`` measures it).

    With ``compact``, a row that reached EOS leaves the batch (its cache rows too), so the steps after
    it cost only the rows still running, and tokens are drawn by :func:`draw_tokens` (one uniform number
    per row instead of one exponential per vocabulary entry). The samples then differ from ``generate``'s
    (same distribution, still seeded and reproducible); without it they are token-for-token the same.
    A compact run on a plain Llama model without hooks goes through :class:`LlamaDecoder` (the same logits
    from a lean forward on one preallocated cache; finished rows leave in groups). ``decoder`` is that
    decoder already built for ``model`` (a caller sampling many batches builds it once: building copies the
    weights); None builds it here where the model allows.
    """
    if compact:
        decoder = decoder or lean_decoder_for(model)
        if decoder is not None:
            return _sample_with_decoder(
                decoder,
                input_ids,
                attention_mask,
                max_new_tokens=max_new_tokens,
                temperature=temperature,
                top_p=top_p,
                eos_token_id=eos_token_id,
                pad_token_id=pad_token_id,
            )
    from transformers import DynamicCache

    batch = input_ids.shape[0]
    eos = _eos_tensor(eos_token_id, input_ids.device)
    position_ids = left_padded_positions(attention_mask)
    cache = DynamicCache(config=model.config)
    output = model(
        input_ids=input_ids,
        attention_mask=attention_mask,
        position_ids=position_ids,
        cache=cache,
        use_cache=True,
        logits_to_keep=1,
    )
    positions = position_ids[:, -1:]
    unfinished = torch.ones(batch, dtype=torch.bool, device=input_ids.device)
    rows = torch.arange(batch, device=input_ids.device)  # the batch rows still in the compacted batch
    tokens = torch.full((batch, max_new_tokens), pad_token_id, dtype=torch.long, device=input_ids.device)
    steps = 0
    for step in range(max_new_tokens):
        chosen = _choose(output.logits[:, -1, :], temperature, top_p, inverse_cdf=compact)
        if not compact:
            chosen = torch.where(unfinished, chosen, torch.full_like(chosen, pad_token_id))
        tokens[rows, step] = chosen
        steps = step + 1
        finished = torch.isin(chosen, eos) if eos.numel() else torch.zeros_like(chosen, dtype=torch.bool)
        if compact:
            if bool(finished.any()):
                keep = (~finished).nonzero().squeeze(1)
                if keep.numel() == 0:
                    break
                rows, chosen = rows[keep], chosen[keep]
                attention_mask, positions = attention_mask[keep], positions[keep]
                cache.batch_select_indices(keep)
        else:
            unfinished &= ~finished
            if not bool(unfinished.any()):
                break
        if step == max_new_tokens - 1:
            break
        attention_mask = torch.cat(
            [attention_mask, attention_mask.new_ones((attention_mask.shape[0], 1))], dim=1
        )
        positions = positions + 1
        output = model(
            input_ids=chosen[:, None],
            attention_mask=attention_mask,
            position_ids=positions,
            cache=cache,
            use_cache=True,
            logits_to_keep=1,
        )
    return tokens[:, :steps]


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
    engine: str = "auto",
    compact: bool = True,
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
        engine: ``auditgame`` (:func:`sample_tokens`, a lean decoding loop), ``hf`` (``model.generate``)
            or ``auto``: ours where the model's forward takes a ``cache`` (plain Hugging Face models), else
            ``model.generate`` (e.g. a PEFT-wrapped model).
        compact: With our engine, drop finished rows from the batch (faster; seeded, but not the same
            samples as ``model.generate``); ``False`` draws exactly what ``model.generate`` draws.

    Returns:
        One generated string per prompt, in order, special tokens removed.
    """
    config = config or GenerationConfig()
    if engine not in ("auto", "auditgame", "hf"):
        raise ValueError(f"unknown generation engine {engine!r}; choose auto, auditgame or hf")
    if engine == "auto":
        engine = "auditgame" if supports_lean_decoding(model) else "hf"
    texts = [format_chat(tokenizer, prompt, system=system, prefill=prefill, raw=raw) for prompt in prompts]
    was_training = model.training
    model.eval()
    padding_side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    device = next(model.parameters()).device
    decoder = lean_decoder_for(model) if engine == "auditgame" and compact else None
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
            if engine == "auditgame":
                new_tokens = sample_tokens(
                    model,
                    batch["input_ids"],
                    batch["attention_mask"],
                    max_new_tokens=config.max_new_tokens,
                    temperature=config.temperature,
                    top_p=config.top_p,
                    eos_token_id=tokenizer.eos_token_id,
                    pad_token_id=tokenizer.pad_token_id,
                    compact=compact,
                    decoder=decoder,
                )
            else:
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
