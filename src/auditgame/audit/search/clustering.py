"""Clustering documents (k-means on embeddings or TF-IDF), each cluster labelled by its top TF-IDF terms.

Use it on a query's results (what kinds of documents matched?) or on a whole corpus (what is in it?).
Up to ``MINIBATCH_THRESHOLD`` documents use full k-means; larger sets use mini-batch k-means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from auditgame.errors import AuditgameError

MINIBATCH_THRESHOLD = 20_000
MAX_TFIDF_FEATURES = 50_000


class ClusteringError(AuditgameError):
    """Nothing to cluster, or an impossible number of clusters."""


@dataclass
class Cluster:
    """One cluster of documents."""

    id: int
    terms: list[str]
    """Top TF-IDF terms of the cluster's documents, strongest first."""
    members: list[int] = field(default_factory=list)
    """Positions of its documents (in the clustered list), closest to the centre first."""

    @property
    def size(self) -> int:
        """Number of documents in the cluster."""
        return len(self.members)

    @property
    def label(self) -> str:
        """The top terms as one line."""
        return ", ".join(self.terms) if self.terms else f"cluster {self.id}"


@dataclass
class Clustering:
    """Every document's cluster and the clusters themselves (largest first)."""

    assignments: np.ndarray
    """Cluster id of every document, shape ``[n]``."""
    clusters: list[Cluster]
    features: str
    """What k-means ran on: ``embeddings`` or ``tfidf``."""


def cluster_documents(
    texts: Sequence[str],
    num_clusters: int = 8,
    *,
    embeddings: np.ndarray | None = None,
    num_terms: int = 6,
    seed: int = 0,
) -> Clustering:
    """Cluster ``texts`` with k-means and label every cluster by its top TF-IDF terms.

    Args:
        texts: The documents.
        num_clusters: Wanted number of clusters (at most one per document).
        embeddings: Optional ``[n, d]`` document embeddings to cluster on; TF-IDF vectors otherwise.
        num_terms: Terms per label.
        seed: k-means seed.

    Raises:
        ClusteringError: if there are no documents or ``num_clusters`` is below 1.
    """
    from sklearn.cluster import KMeans, MiniBatchKMeans

    count = len(texts)
    if count == 0:
        raise ClusteringError("there are no documents to cluster", "search with queries that match something")
    if num_clusters < 1:
        raise ClusteringError(f"num_clusters must be at least 1, got {num_clusters}", "set num_clusters >= 1")
    if embeddings is not None and embeddings.shape[0] != count:
        raise ClusteringError(
            f"{embeddings.shape[0]} embeddings for {count} documents", "pass one embedding per document"
        )
    tfidf, vocabulary = _tfidf(texts)
    features = embeddings if embeddings is not None else tfidf
    feature_name = "embeddings" if embeddings is not None else "tfidf"
    if features is None:  # no usable words and no embeddings: one cluster
        features = np.zeros((count, 1), dtype=np.float32)
    k = min(num_clusters, count)
    if k == 1:
        assignments = np.zeros(count, dtype=np.int64)
        distances = np.zeros(count)
    else:
        if count <= MINIBATCH_THRESHOLD:
            model = KMeans(n_clusters=k, n_init=3, random_state=seed)
        else:
            model = MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=4096, random_state=seed)
        assignments = model.fit_predict(features).astype(np.int64)
        distances = model.transform(features)[np.arange(count), assignments]
    clusters = []
    for cluster_id in range(k):
        members = np.flatnonzero(assignments == cluster_id)
        if members.size == 0:
            continue
        members = members[np.argsort(distances[members], kind="stable")]
        clusters.append(
            Cluster(cluster_id, _top_terms(tfidf, vocabulary, members, num_terms), members.tolist())
        )
    clusters.sort(key=lambda cluster: (-cluster.size, cluster.id))
    return Clustering(assignments=assignments, clusters=clusters, features=feature_name)


def _tfidf(texts: Sequence[str]):
    """Sparse TF-IDF matrix and its vocabulary, or (None, None) if the texts hold no usable words."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, max_features=MAX_TFIDF_FEATURES)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # empty vocabulary
        return None, None
    return matrix, vectorizer.get_feature_names_out()


def _top_terms(tfidf, vocabulary, members: np.ndarray, num_terms: int) -> list[str]:
    if tfidf is None:
        return []
    weights = np.asarray(tfidf[members].mean(axis=0)).ravel()
    order = np.argsort(-weights, kind="stable")[:num_terms]
    return [str(vocabulary[index]) for index in order if weights[index] > 0]
