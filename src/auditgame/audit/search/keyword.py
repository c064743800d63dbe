"""Keyword search: a BM25 index (``bm25s``), saved with its own format and memory-mapped on load."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

STOPWORDS = "en"
"""Stopword list for documents and queries alike (bm25s' English list)."""


@cache
def stemmer():
    """The English Snowball stemmer (PyStemmer), so that "recipe" matches "recipes"."""
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize_query(query: str) -> list[str]:
    """The BM25 terms of a query: lower-cased, stemmed words of two or more characters, English stopwords removed."""
    import bm25s

    return bm25s.tokenize(
        query, stopwords=STOPWORDS, stemmer=stemmer(), return_ids=False, show_progress=False
    )[0]


def top_k(scores: np.ndarray, k: int, *, positive_only: bool = False) -> list[tuple[int, float]]:
    """The ``k`` highest entries of ``scores`` as (index, score), best first (ties: lower index first).

    Args:
        scores: One score per document.
        k: How many to return (fewer if there are fewer documents).
        positive_only: Drop documents scoring zero or less (no matching term).
    """
    scores = np.asarray(scores)
    count = min(k, scores.shape[0])
    if count <= 0:
        return []
    if count < scores.shape[0]:
        # The count-th largest value; ties at that value go to the lowest positions, so results are deterministic.
        threshold = np.partition(scores, scores.shape[0] - count)[scores.shape[0] - count]
        above = np.flatnonzero(scores > threshold)
        tied = np.flatnonzero(scores == threshold)[: count - above.size]
        candidates = np.concatenate([above, tied])
    else:
        candidates = np.arange(scores.shape[0])
    order = candidates[np.lexsort((candidates, -scores[candidates]))]
    ranked = [(int(index), float(scores[index])) for index in order]
    return [item for item in ranked if item[1] > 0] if positive_only else ranked


class KeywordIndex:
    """BM25 over a fixed list of documents, addressed by position."""

    def __init__(self, retriever) -> None:
        self.retriever = retriever

    @classmethod
    def build(cls, texts: Sequence[str], *, show_progress: bool = False) -> KeywordIndex:
        """Tokenize and index ``texts`` (BM25, Lucene variant, k1=1.5, b=0.75)."""
        import bm25s

        tokens = bm25s.tokenize(
            list(texts), stopwords=STOPWORDS, stemmer=stemmer(), show_progress=show_progress
        )
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=show_progress)
        return cls(retriever)

    @property
    def num_docs(self) -> int:
        """Number of indexed documents."""
        return int(self.retriever.scores["num_docs"])

    def save(self, directory: Path) -> None:
        """Write the index into ``directory`` (bm25s' own format: arrays as .npy, vocab and params as JSON)."""
        self.retriever.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> KeywordIndex:
        """Read an index written by :meth:`save`; its arrays are memory-mapped unless ``mmap`` is false."""
        import bm25s

        return cls(bm25s.BM25.load(str(directory), mmap=mmap, show_progress=False))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (zeros when no query term is in the vocabulary)."""
        known = [token for token in tokenize_query(query) if token in self.retriever.vocab_dict]
        if not known:
            return np.zeros(self.num_docs, dtype=np.float32)
        return self.retriever.get_scores(known)

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        """The ``k`` best-matching documents as (position, BM25 score), best first; only documents that match."""
        return top_k(self.scores(query), k, positive_only=True)
