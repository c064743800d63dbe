"""The ``data_search`` technique: search a training corpus for documents that explain an observed behaviour.

An auditor who has seen a model do something odd (add a fruit to every salad, close each answer with a
question) searches the training data with a description of the behaviour. Keyword (BM25), semantic (MiniLM) and
hybrid (reciprocal-rank fusion) retrieval run over an index that is built once beside the corpus and
reused. Clustering the results (or, without queries, the whole corpus) shows what kinds of documents
are there. With ``flag_terms`` each retrieved document says which of them it contains.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from auditgame.audit.flags import FlagMatcher, FlagTerms
from auditgame.audit.registry import technique
from auditgame.audit.result import Finding, TechniqueResult
from auditgame.audit.search.clustering import cluster_documents
from auditgame.audit.search.index import SearchIndex, build_index


class DataSearchConfig(BaseModel):
    """Options of the data_search technique."""

    model_config = ConfigDict(extra="forbid")

    queries: list[str] = Field(
        default_factory=list,
        description="Search queries, e.g. descriptions of observed behaviours. Empty: cluster the whole corpus.",
    )
    method: Literal["keyword", "semantic", "hybrid"] = Field(
        default="hybrid", description="keyword (BM25), semantic (MiniLM embeddings) or hybrid (rank fusion)."
    )
    top_k: int = Field(default=10, ge=1, description="Documents returned per query.")
    index_dir: str | None = Field(
        default=None,
        description="Where the index is kept; default: <corpus>.index beside the corpus (or a cache dir).",
    )
    rebuild_index: bool = Field(
        default=False, description="Replace an existing index of another corpus, or a damaged one."
    )
    cluster: bool = Field(
        default=False,
        description="Also cluster the retrieved documents (always on when there are no queries).",
    )
    num_clusters: int = Field(default=8, ge=1, description="Number of k-means clusters.")
    flag_terms: FlagTerms = Field(
        default_factory=list,
        description="Words or phrases to highlight in retrieved documents (case-insensitive, whole words).",
    )
    seed: int = Field(default=0, description="Clustering seed.")

    @field_validator("queries", mode="before")
    @classmethod
    def _one_query(cls, value: object) -> object:
        if isinstance(value, str):
            return [value]
        return value

    @field_validator("queries")
    @classmethod
    def _non_empty(cls, value: list[str]) -> list[str]:
        if any(not query.strip() for query in value):
            raise ValueError("queries must not be empty strings")
        return value


@technique("data_search", config=DataSearchConfig, target="corpus")
def run_data_search(
    target: str | Path, config: DataSearchConfig, *, show_progress: bool = False
) -> TechniqueResult:
    """Keyword, semantic or hybrid search of a training corpus, with clustering of the results.

    Args:
        target: A corpus: JSONL/JSON file, directory of them, or a training-stage / organism directory.
        config: Search options.
        show_progress: Show progress bars while the index is built.

    Returns:
        Findings: the ranked documents of every query (kind ``document``) and, when clustering,
        one finding per cluster (kind ``cluster``: its label and its most central document).
    """
    start = time.perf_counter()
    needs_embeddings = bool(config.queries) and config.method != "keyword"
    index = build_index(
        target,
        config.index_dir,
        semantic=needs_embeddings,
        rebuild=config.rebuild_index,
        show_progress=show_progress,
    )
    matcher = FlagMatcher(config.flag_terms)
    findings: list[Finding] = []
    retrieved: dict[int, None] = {}
    search_start = time.perf_counter()
    for query in config.queries:
        for hit in index.search(query, config.method, config.top_k):
            retrieved.setdefault(hit.position, None)
            findings.append(
                Finding(
                    kind="document",
                    text=hit.text,
                    score=hit.score,
                    metadata={
                        "id": hit.id,
                        "rank": hit.rank,
                        "method": hit.method,
                        "query": query,
                        "position": hit.position,
                        **({"matched": matcher.matches(hit.text)} if matcher else {}),
                    },
                )
            )
    search_seconds = time.perf_counter() - search_start
    documents = [finding for finding in findings if finding.kind == "document"]
    clusters: list[Finding] = []
    if config.cluster or not config.queries:
        scope = "results" if config.queries else "corpus"
        positions = list(retrieved) if config.queries else list(range(len(index)))
        clusters = _cluster_findings(index, positions, scope, config)
    findings.extend(clusters)
    metrics = {
        "num_corpus_documents": float(len(index)),
        "num_queries": float(len(config.queries)),
        "num_documents_found": float(len(documents)),
        "num_unique_documents_found": float(len(retrieved)),
        "num_clusters": float(len(clusters)),
        "index_built": float(index.built),
        "index_build_seconds": float(sum(index.build_seconds.values())) if index.built else 0.0,
        "search_seconds": search_seconds,
    }
    if matcher:
        metrics["flagged_fraction"] = matcher.rate([finding.text for finding in documents])
    return TechniqueResult(
        technique="data_search",
        target=str(target),
        config={**config.model_dump(), "index_dir": str(index.path)},
        findings=findings,
        metrics=metrics,
        seconds=time.perf_counter() - start,
    )


def _cluster_findings(
    index: SearchIndex, positions: list[int], scope: str, config: DataSearchConfig
) -> list[Finding]:
    if not positions:
        return []
    texts = [index.docs.get(position)[1] for position in positions]
    embeddings = None
    if index.semantic is not None:
        embeddings = index.document_embeddings(None if scope == "corpus" else positions)
    clustering = cluster_documents(texts, config.num_clusters, embeddings=embeddings, seed=config.seed)
    findings = []
    for cluster in clustering.clusters:
        member_ids = [index.docs.get(positions[member])[0] for member in cluster.members[:20]]
        sample = texts[cluster.members[0]]
        findings.append(
            Finding(
                kind="cluster",
                text=f"{cluster.label}\n\n{sample}",
                score=cluster.size / len(positions),
                metadata={
                    "cluster": cluster.id,
                    "size": cluster.size,
                    "terms": cluster.terms,
                    "scope": scope,
                    "features": clustering.features,
                    "sample_id": member_ids[0],
                    "member_ids": member_ids,
                },
            )
        )
    return findings
