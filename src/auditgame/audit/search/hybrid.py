"""Hybrid search: reciprocal-rank fusion (RRF) of keyword and semantic rankings.

RRF (Cormack et al., 2009) scores a document ``sum over rankings of 1 / (k + rank)`` with 1-based ranks,
so it needs no calibration between BM25 scores and cosine similarities.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditgame.audit.search.keyword import KeywordIndex
    from auditgame.audit.search.semantic import SemanticIndex

RRF_K = 60
"""The usual RRF constant: damps the weight of the very first ranks."""


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], *, k: int = RRF_K, top_k: int | None = None
) -> list[tuple[int, float]]:
    """Fuse several rankings of document positions (best first) into one.

    Args:
        rankings: Each a list of document positions, best first.
        k: The RRF constant.
        top_k: Keep only this many (all when ``None``).

    Returns:
        (position, fused score), best first; ties broken by the lower position.
    """
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, position in enumerate(ranking, start=1):
            fused[position] = fused.get(position, 0.0) + 1.0 / (k + rank)
    ordered = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
    return ordered if top_k is None else ordered[:top_k]


def candidate_depth(top_k: int) -> int:
    """How deep to read each ranking before fusing, so documents ranked well by one method are not lost."""
    return max(100, 5 * top_k)


def hybrid_search(
    keyword: KeywordIndex, semantic: SemanticIndex, query: str, top_k: int = 10
) -> list[tuple[int, float]]:
    """RRF of the keyword and semantic rankings of ``query``, each read ``candidate_depth(top_k)`` deep.

    Returns:
        (position, fused score), best first.
    """
    depth = candidate_depth(top_k)
    keyword_ranking = [position for position, _ in keyword.search(query, depth)]
    semantic_ranking = [position for position, _ in semantic.search(query, depth)]
    return reciprocal_rank_fusion([keyword_ranking, semantic_ranking], top_k=top_k)
