"""Passages: documents split into short runs of sentences, the unit that keyword and semantic search index.

A long document that states one relevant fact among several (a news story listing four findings, say)
ranks poorly as a whole: BM25 normalises by length and a single embedding averages the topics away.
Indexing passages and scoring each document by its best passage fixes both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def split_passages(text: str, max_words: int = 48) -> list[str]:
    """Split ``text`` into passages of whole sentences, each at most ``max_words`` words (a longer sentence
    is its own passage). Always returns at least one passage."""
    passages: list[str] = []
    current: list[str] = []
    words = 0
    for sentence in (part.strip() for part in _SENTENCE_END.split(text)):
        if not sentence:
            continue
        count = len(sentence.split())
        if current and words + count > max_words:
            passages.append(" ".join(current))
            current, words = [], 0
        current.append(sentence)
        words += count
    if current:
        passages.append(" ".join(current))
    return passages or [text]


def passages_of(texts: Iterable[str], max_words: int = 48) -> tuple[list[str], np.ndarray]:
    """Passages of every text, and for each passage the position of its document (``int64``)."""
    passages: list[str] = []
    owners: list[int] = []
    for position, text in enumerate(texts):
        pieces = split_passages(text, max_words)
        passages.extend(pieces)
        owners.extend([position] * len(pieces))
    return passages, np.asarray(owners, dtype=np.int64)


def best_per_document(
    ranked_passages: Iterable[tuple[int, float]], passage_docs: np.ndarray, top_k: int
) -> list[tuple[int, float]]:
    """Collapse a best-first passage ranking to documents, each scored by its best passage."""
    seen: set[int] = set()
    documents: list[tuple[int, float]] = []
    for passage, score in ranked_passages:
        document = int(passage_docs[passage])
        if document in seen:
            continue
        seen.add(document)
        documents.append((document, score))
        if len(documents) == top_k:
            break
    return documents
