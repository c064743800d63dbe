"""Training-data search: keyword (BM25), semantic (MiniLM) and hybrid retrieval over a saved index, and clustering.

Typical use::

    from auditgame.audit.search import build_index

    index = build_index("runs/rm1/midtrain/data/train.jsonl")   # built once, reused afterwards
    for hit in index.search("adds a fruit to every salad", method="hybrid", top_k=10):
        print(hit.rank, hit.id, hit.text[:80])
"""

from auditgame.audit.search.clustering import Cluster, Clustering, ClusteringError, cluster_documents
from auditgame.audit.search.corpus import Corpus, CorpusError, load_corpus, record_text
from auditgame.audit.search.hybrid import hybrid_search, reciprocal_rank_fusion
from auditgame.audit.search.index import (
    METHODS,
    PASSAGE_WORDS,
    IndexConflictError,
    IndexCorruptError,
    SearchHit,
    SearchIndex,
    build_index,
    default_index_dir,
    open_index,
)
from auditgame.audit.search.keyword import KeywordIndex
from auditgame.audit.search.passages import best_per_document, passages_of, split_passages
from auditgame.audit.search.semantic import EmbeddingModelError, SemanticIndex, embed, load_encoder, model_dir

__all__ = [
    "METHODS",
    "PASSAGE_WORDS",
    "Cluster",
    "Clustering",
    "ClusteringError",
    "Corpus",
    "CorpusError",
    "EmbeddingModelError",
    "IndexConflictError",
    "IndexCorruptError",
    "KeywordIndex",
    "SearchHit",
    "SearchIndex",
    "SemanticIndex",
    "best_per_document",
    "build_index",
    "cluster_documents",
    "default_index_dir",
    "embed",
    "hybrid_search",
    "load_corpus",
    "load_encoder",
    "model_dir",
    "open_index",
    "passages_of",
    "reciprocal_rank_fusion",
    "record_text",
    "split_passages",
]
