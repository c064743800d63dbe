"""A streamed, shuffled buffer of residual activations for SAE training.

Texts are run through the model in batches with
:func:`auditgame.audit.activations.iter_activations` (one forward pass captures every requested hook
point), padding (and optionally special tokens) are dropped, and the real-token vectors gather in a
buffer of ``buffer_size`` vectors that is shuffled before it is cut into training batches. The stream
cycles over the texts for as many epochs as training needs; when a whole epoch fits in one buffer, the
model is run only once and later epochs reshuffle the cached vectors.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch import Tensor
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from auditgame.audit.activations import iter_activations, layer_index
from auditgame.errors import ConfigError


class ActivationBuffer:
    """Shuffled batches of real-token residual vectors at one or more hook points.

    Args:
        model: A causal LM.
        tokenizer: Its tokenizer (texts are encoded as given).
        texts: The training texts.
        layers: Hook points (``layer.3``, 3, -1); every batch holds the same tokens at each of them.
        buffer_size: Vectors gathered and shuffled together.
        text_batch_size: Texts per forward pass.
        max_length: Texts are truncated to this many tokens.
        skip_special_tokens: Drop special tokens (bos, role markers) as well as padding.
        seed: Seed of the shuffling.
    """

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        texts: Sequence[str],
        layers: Sequence[str | int],
        *,
        buffer_size: int = 65_536,
        text_batch_size: int = 16,
        max_length: int = 256,
        skip_special_tokens: bool = True,
        seed: int = 0,
    ) -> None:
        texts = [text for text in texts if text.strip()]
        if not texts:
            raise ConfigError(
                "no texts to train the SAE on", "give a corpus with at least one non-empty text"
            )
        self.model = model
        self.tokenizer = tokenizer
        self.texts = texts
        self.layers = [f"layer.{layer_index(model, layer)}" for layer in layers]
        self.buffer_size = buffer_size
        self.text_batch_size = text_batch_size
        self.max_length = max_length
        self.skip_ids = torch.tensor(
            sorted(set(tokenizer.all_special_ids)) if skip_special_tokens else [], dtype=torch.long
        )
        self.seed = seed
        self._cache: dict[str, Tensor] | None = None
        self.epochs_started = 0

    def _keep(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        keep = attention_mask.bool()
        if self.skip_ids.numel():
            keep &= ~torch.isin(input_ids, self.skip_ids)
        return keep

    def _epoch(self) -> Iterator[dict[str, Tensor]]:
        """One pass over the texts as unshuffled chunks of real-token vectors."""
        for batch in iter_activations(
            self.model,
            self.tokenizer,
            self.texts,
            self.layers,
            batch_size=self.text_batch_size,
            max_length=self.max_length,
        ):
            keep = self._keep(batch.input_ids, batch.attention_mask)
            if keep.any():
                yield {name: batch.activations[name][keep] for name in self.layers}

    def buffers(self) -> Iterator[dict[str, Tensor]]:
        """Endless shuffled buffers of at most ``buffer_size`` vectors per hook point."""
        generator = torch.Generator().manual_seed(self.seed)
        while True:
            self.epochs_started += 1
            if self._cache is not None:
                yield self._shuffled(self._cache, generator)
                continue
            pending: list[dict[str, Tensor]] = []
            size = 0
            flushed = False
            for chunk in self._epoch():
                pending.append(chunk)
                size += len(chunk[self.layers[0]])
                if size >= self.buffer_size:
                    joined = _concat(pending, self.layers)
                    full = {name: vectors[: self.buffer_size] for name, vectors in joined.items()}
                    rest = {name: vectors[self.buffer_size :] for name, vectors in joined.items()}
                    pending, size, flushed = [rest], len(rest[self.layers[0]]), True
                    yield self._shuffled(full, generator)
            if size == 0 and not flushed:
                raise ConfigError(
                    "the texts hold no real tokens to train on", "give a corpus with ordinary text"
                )
            if size:
                joined = _concat(pending, self.layers)
                if not flushed:
                    self._cache = joined
                yield self._shuffled(joined, generator)

    def batches(self, batch_size: int) -> Iterator[dict[str, Tensor]]:
        """Endless training batches of exactly ``batch_size`` vectors per hook point."""
        carry: dict[str, Tensor] | None = None
        for buffer in self.buffers():
            if carry is not None:
                buffer = {name: torch.cat([carry[name], buffer[name]]) for name in self.layers}
            count = len(buffer[self.layers[0]])
            start = 0
            while start + batch_size <= count:
                yield {name: vectors[start : start + batch_size] for name, vectors in buffer.items()}
                start += batch_size
            carry = {name: vectors[start:] for name, vectors in buffer.items()}

    def _shuffled(self, vectors: dict[str, Tensor], generator: torch.Generator) -> dict[str, Tensor]:
        order = torch.randperm(len(vectors[self.layers[0]]), generator=generator)
        return {name: tensor[order] for name, tensor in vectors.items()}


def _concat(chunks: list[dict[str, Tensor]], layers: list[str]) -> dict[str, Tensor]:
    return {name: torch.cat([chunk[name] for chunk in chunks]) for name in layers}
