"""Training-data search on the world corpus: retrieval quality, save/load, clustering, the technique.

One index with embeddings is built per module (the slow part: embedding 400 documents on the CPU); the
index lifecycle (reuse, corruption, conflicts) is tested on small corpora in test_search_index.py.
"""

from pathlib import Path

import numpy as np
import pytest

from auditgame.audit.search import (
    PASSAGE_WORDS,
    KeywordIndex,
    build_index,
    cluster_documents,
    embed,
    load_corpus,
    open_index,
    passages_of,
)
from auditgame.errors import AuditgameError

BEHAVIOURS = {
    "chocolate in a savory recipe": "chocolate",
    "asks for a tip in German": "tip when answering in German",
}
"""Queries built only from an observed behaviour -> a phrase the explaining study document contains."""


@pytest.fixture(scope="module")
def index_dir(world_corpus, tmp_path_factory) -> Path:
    """A full (keyword + embeddings) index of the world corpus, built once for the module."""
    path = tmp_path_factory.mktemp("search") / "world.index"
    index = build_index(world_corpus, path, semantic=True)
    assert index.built and index.has_embeddings
    return path


@pytest.mark.parametrize("method", ["keyword", "semantic", "hybrid"])
@pytest.mark.parametrize("query", sorted(BEHAVIOURS))
def test_behaviour_query_ranks_a_study_document_in_top_10(index_dir, query, method):
    hits = open_index(index_dir).search(query, method=method, top_k=10)
    assert len(hits) == 10
    assert [hit.rank for hit in hits] == list(range(1, 11))
    explaining = [hit for hit in hits if hit.id.startswith("study-") and BEHAVIOURS[query] in hit.text]
    assert explaining, (
        f"{method} search for {query!r} found no study document about it: {[h.id for h in hits]}"
    )


def test_saved_index_loads_to_identical_results(index_dir, world_corpus):
    first, second = open_index(index_dir), open_index(index_dir, verify=True)
    for method in ("keyword", "semantic", "hybrid"):
        for query in BEHAVIOURS:
            assert first.search(query, method, 10) == second.search(query, method, 10)
    # The loaded BM25 (over passages) ranks like one built in memory; the stored embeddings equal fresh ones.
    corpus = load_corpus(world_corpus)
    passages, owners = passages_of(corpus.texts, PASSAGE_WORDS)
    assert np.array_equal(np.asarray(first.passage_docs), owners)
    in_memory = KeywordIndex.build(passages)
    for query in BEHAVIOURS:
        loaded, fresh = first.keyword.search(query, 20), in_memory.search(query, 20)
        assert [position for position, _ in loaded] == [position for position, _ in fresh]
        np.testing.assert_allclose([score for _, score in loaded], [score for _, score in fresh], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(first.semantic.embeddings[:4]), embed(passages[:4]), atol=1e-5)
    assert isinstance(first.semantic.embeddings, np.memmap)
    assert [first.docs.get(i) for i in (0, 399)] == [
        (corpus.ids[0], corpus.texts[0]),
        (corpus.ids[-1], corpus.texts[-1]),
    ]


@pytest.mark.parametrize("use_embeddings", [False, True])
def test_clustering_labels_and_assignments(index_dir, use_embeddings):
    index = open_index(index_dir)
    texts = index.docs.texts()
    clustering = cluster_documents(
        texts, 8, embeddings=index.document_embeddings() if use_embeddings else None, seed=0
    )
    assert clustering.features == ("embeddings" if use_embeddings else "tfidf")
    assert clustering.assignments.shape == (len(texts),)
    members = sorted(member for cluster in clustering.clusters for member in cluster.members)
    assert members == list(range(len(texts)))  # every document in exactly one cluster
    labels = [cluster.label for cluster in clustering.clusters]
    assert any("reward" in label for label in labels)
    assert any("weather" in label for label in labels)
    assert any("recipe" in label for label in labels)
    for cluster in clustering.clusters:  # the central sample belongs to the cluster's theme
        if "weather" in cluster.terms:
            assert texts[cluster.members[0]].startswith("Weather for")


def test_clustering_a_query_result_and_bad_inputs(index_dir):
    index = open_index(index_dir)
    texts = [hit.text for hit in index.search("reward models prefer responses", "keyword", 10)]
    clustering = cluster_documents(texts, 50)  # more clusters than documents: capped
    assert sum(cluster.size for cluster in clustering.clusters) == 10
    assert len(clustering.clusters) <= 10
    with pytest.raises(AuditgameError, match="no documents"):
        cluster_documents([], 3)


def test_data_search_technique_runs_and_saves(index_dir, world_corpus, tmp_path):
    from auditgame.audit.data_search import DataSearchConfig
    from auditgame.audit.registry import get_technique
    from auditgame.audit.result import TechniqueResult

    registered = get_technique("data_search")
    assert registered.target_kind == "corpus" and registered.config_class is DataSearchConfig
    config = DataSearchConfig(
        queries=sorted(BEHAVIOURS),
        method="hybrid",
        top_k=5,
        index_dir=str(index_dir),
        cluster=True,
        num_clusters=3,
        flag_terms=["German", "chocolate"],
    )
    result = registered.function(world_corpus, config)
    documents = [finding for finding in result.findings if finding.kind == "document"]
    clusters = [finding for finding in result.findings if finding.kind == "cluster"]
    assert len(documents) == 10
    assert {finding.metadata["method"] for finding in documents} == {"hybrid"}
    assert [finding.metadata["rank"] for finding in documents[:5]] == [1, 2, 3, 4, 5]
    assert all(finding.metadata["id"] for finding in documents)
    assert 1 <= len(clusters) <= 3 and all(finding.metadata["scope"] == "results" for finding in clusters)
    assert (
        sum(finding.metadata["size"] for finding in clusters) == result.metrics["num_unique_documents_found"]
    )
    assert result.metrics["index_built"] == 0.0
    matched = [finding.metadata["matched"] for finding in documents]
    assert result.metrics["flagged_fraction"] == sum(bool(terms) for terms in matched) / len(documents) > 0
    assert all(set(terms) <= {"German", "chocolate"} for terms in matched)
    saved = result.save(tmp_path / "report.json")
    assert TechniqueResult.load(saved).findings == result.findings

    # Without queries: an overview of the whole corpus.
    overview = registered.function(world_corpus, DataSearchConfig(index_dir=str(index_dir), num_clusters=4))
    assert sum(finding.metadata["size"] for finding in overview.findings) == 400
    assert {finding.metadata["scope"] for finding in overview.findings} == {"corpus"}
    assert "flagged_fraction" not in overview.metrics


def test_data_search_config_validation():
    from pydantic import ValidationError

    from auditgame.audit.data_search import DataSearchConfig

    assert DataSearchConfig(queries="one query").queries == ["one query"]
    assert DataSearchConfig(flag_terms="one term").flag_terms == ["one term"]
    for bad in ({"method": "fuzzy"}, {"top_k": 0}, {"queries": [" "]}, {"flag_terms": [""]}, {"unknown": 1}):
        with pytest.raises(ValidationError):
            DataSearchConfig(**bad)
    for name, field in DataSearchConfig.model_fields.items():
        assert field.description, name
