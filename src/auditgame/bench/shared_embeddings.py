"""Sentence embeddings shared across benchmark games: each training passage is embedded once per run.

A data-tier auditor builds a search index of every model's training data, and the search tools rebuild
it in every audit (:meth:`auditgame.auditors.tools.AuditTools.index` asks for ``rebuild=True``), so the
same decoy's data would be embedded again in every game it sits in: the slowest part of a data-tier
audit. While :func:`shared_embeddings` is active, :func:`auditgame.audit.search.semantic.embed` answers
texts it has embedded before from memory. An embedding is a function of its text alone, so the auditor
gets the vectors it would have computed itself (up to float rounding of the batch they were first
computed in) and nothing else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

DEFAULT_MAX_TEXTS = 400_000
"""Texts kept (384 float32 each: about 600 MB at the limit); past it the memo starts afresh."""


class EmbeddingMemo:
    """A wrapper of an ``embed(texts, *, batch_size, show_progress)`` function that embeds each text once.

    Args:
        embed: The function wrapped.
        max_texts: How many texts are kept before the memo is cleared.
    """

    def __init__(self, embed: Any, max_texts: int = DEFAULT_MAX_TEXTS) -> None:
        self._embed = embed
        self._vectors: dict[bytes, np.ndarray] = {}
        self.max_texts = max_texts
        self.hits = 0
        self.misses = 0

    def __call__(self, texts: Sequence[str], **options: Any) -> np.ndarray:
        """Embeddings of ``texts`` (one row each), computing only the texts not seen before."""
        keys = [hashlib.sha256(text.encode("utf-8")).digest() for text in texts]
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in self._vectors:
                missing.setdefault(key, text)
        self.misses += len(missing)
        self.hits += len(keys) - len(missing)
        if not missing:
            return np.stack([self._vectors[key] for key in keys]) if keys else self._embed(texts, **options)
        if len(self._vectors) + len(missing) > self.max_texts:
            self._vectors.clear()
        vectors = self._embed(list(missing.values()), **options)
        fresh = dict(zip(missing, vectors, strict=True))
        self._vectors.update(fresh)
        return np.ascontiguousarray(
            np.stack([fresh[key] if key in fresh else self._vectors[key] for key in keys]), dtype=np.float32
        )


@contextmanager
def shared_embeddings(max_texts: int = DEFAULT_MAX_TEXTS) -> Iterator[EmbeddingMemo]:
    """Memoise :func:`auditgame.audit.search.semantic.embed` for the duration of the block.

    Yields:
        The memo (its ``hits`` and ``misses`` count texts).
    """
    from auditgame.audit.search import semantic

    original = semantic.embed
    memo = EmbeddingMemo(original, max_texts)
    semantic.embed = memo
    try:
        yield memo
    finally:
        semantic.embed = original
