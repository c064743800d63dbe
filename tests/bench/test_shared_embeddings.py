"""Shared embeddings: a text embedded once is answered from memory while the block is active."""

from __future__ import annotations

import numpy as np

from auditgame.bench.shared_embeddings import EmbeddingMemo, shared_embeddings


def test_each_text_is_embedded_once():
    seen: list[str] = []

    def fake_embed(texts, **options):
        seen.extend(texts)
        return np.array([[len(text), ord(text[0])] for text in texts], dtype=np.float32)

    memo = EmbeddingMemo(fake_embed)
    first = memo(["alpha", "beta", "alpha"], batch_size=8)
    again = memo(["beta", "gamma", "alpha"])
    assert seen == ["alpha", "beta", "gamma"]
    assert first.tolist() == fake_embed(["alpha", "beta", "alpha"]).tolist()
    assert again.tolist() == fake_embed(["beta", "gamma", "alpha"]).tolist()
    assert (memo.hits, memo.misses) == (3, 3)


def test_the_search_embedder_is_restored_after_the_block():
    from auditgame.audit.search import semantic

    original = semantic.embed
    with shared_embeddings() as memo:
        assert semantic.embed is memo
    assert semantic.embed is original
