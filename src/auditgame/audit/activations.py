"""Residual-stream access for any Hugging Face causal LM: hook points, activation collection, interventions.

Hook points are named ``layer.{i}``: the residual stream at the *output* of decoder block ``i``
(0-based). They are found generically — the model's largest ``ModuleList`` of decoder blocks — so the
same code runs on Llama, Qwen2, GPT-2, GPT-NeoX and PEFT-wrapped models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from auditgame.errors import UnknownNameError


def decoder_layers(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The model's decoder blocks, in order (works through PEFT and DDP wrappers)."""
    expected = getattr(getattr(model, "config", None), "num_hidden_layers", None)
    best: torch.nn.ModuleList | None = None
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) > 0:
            if expected is not None and len(module) == expected:
                return module
            if best is None or len(module) > len(best):
                best = module
    if best is None:
        raise UnknownNameError("the model has no list of decoder blocks", "pass a decoder-only causal LM")
    return best


def layer_names(model: torch.nn.Module) -> list[str]:
    """Every hook point of ``model``: ``layer.0`` ... ``layer.{n-1}``."""
    return [f"layer.{index}" for index in range(len(decoder_layers(model)))]


def layer_index(model: torch.nn.Module, name: str | int) -> int:
    """The block index of hook point ``name`` (``layer.3``, ``3`` or ``-1`` for the last).

    Raises:
        UnknownNameError: for a name that is not a hook point of this model.
    """
    count = len(decoder_layers(model))
    text = str(name)
    raw = text.removeprefix("layer.")
    try:
        index = int(raw)
    except ValueError:
        index = None
    if index is not None and -count <= index < count:
        return index % count
    raise UnknownNameError(
        f"unknown layer {text!r} for a model with {count} decoder blocks",
        f"use layer.0 ... layer.{count - 1} (or -1 for the last)",
    )


def _hidden(output: object) -> torch.Tensor:
    return output[0] if isinstance(output, tuple) else output  # type: ignore[index,return-value]


class ActivationBatch(NamedTuple):
    """Residual activations of one batch of texts."""

    activations: dict[str, torch.Tensor]
    """Per hook point: ``[batch, seq, d_model]`` (float32, on CPU)."""
    input_ids: torch.Tensor
    """``[batch, seq]`` token ids (right-padded)."""
    attention_mask: torch.Tensor
    """``[batch, seq]``: 1 for real tokens."""
    offset: int
    """Index of the batch's first text in the input sequence."""


@torch.no_grad()
def iter_activations(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    layers: Sequence[str | int],
    *,
    batch_size: int = 16,
    max_length: int = 256,
) -> Iterator[ActivationBatch]:
    """Stream the residual activations at several hook points from one forward pass per batch.

    Args:
        model: A causal LM.
        tokenizer: Its tokenizer. Texts are encoded as given (apply a chat template first if wanted).
        texts: The texts.
        layers: Hook points (``layer.3``, 3, -1).
        batch_size: Texts per forward pass.
        max_length: Longer texts are truncated.
    """
    indices = {f"layer.{layer_index(model, layer)}": layer_index(model, layer) for layer in layers}
    blocks = decoder_layers(model)
    captured: dict[str, torch.Tensor] = {}
    handles = []
    for name, index in indices.items():

        def hook(_module, _inputs, output, name=name):
            captured[name] = _hidden(output).detach().float().cpu()

        handles.append(blocks[index].register_forward_hook(hook))
    was_training = model.training
    model.eval()
    padding_side = tokenizer.padding_side
    tokenizer.padding_side = "right"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    device = next(model.parameters()).device
    try:
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                list(texts[start : start + batch_size]),
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=max_length,
                add_special_tokens=False,
            )
            captured.clear()
            model(**batch.to(device), use_cache=False)
            yield ActivationBatch(
                dict(captured), batch["input_ids"].cpu(), batch["attention_mask"].cpu(), start
            )
    finally:
        for handle in handles:
            handle.remove()
        tokenizer.padding_side = padding_side
        model.train(was_training)


def pooled_activations(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    layer: str | int,
    *,
    pooling: str = "mean",
    batch_size: int = 16,
    max_length: int = 256,
) -> torch.Tensor:
    """One vector per text at hook point ``layer``: the ``mean`` over tokens or the ``last`` token. ``[n, d]``."""
    if pooling not in ("mean", "last"):
        raise ValueError(f"pooling must be 'mean' or 'last', got {pooling!r}")
    name = f"layer.{layer_index(model, layer)}"
    vectors = []
    for batch in iter_activations(
        model, tokenizer, texts, [name], batch_size=batch_size, max_length=max_length
    ):
        hidden, mask = batch.activations[name], batch.attention_mask
        if pooling == "mean":
            vectors.append((hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1))
        else:
            last = mask.sum(1) - 1
            vectors.append(hidden[torch.arange(hidden.shape[0]), last])
    return torch.cat(vectors) if vectors else torch.empty(0, 0)


@contextmanager
def residual_intervention(
    model: torch.nn.Module, layer: str | int, edit: Callable[[torch.Tensor], torch.Tensor]
) -> Iterator[None]:
    """Within the block, replace the residual stream at ``layer`` by ``edit(hidden)`` on every forward pass.

    ``hidden`` is ``[batch, seq, d_model]``; ``edit`` returns a tensor of the same shape.
    """
    block = decoder_layers(model)[layer_index(model, layer)]

    def hook(_module, _inputs, output):
        if isinstance(output, tuple):
            return (edit(output[0]), *output[1:])
        return edit(output)

    handle = block.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()
