"""A saved search index: the documents, a BM25 index and (optionally) MiniLM embeddings, in one directory.

Layout::

    manifest.json       written last (auditgame.artifacts): corpus hash and fingerprint, config, file sizes
    .auditgame-search-index   marker, written first (tells a damaged index from an unrelated directory)
    docs.jsonl          {"id", "text"} per document, in corpus order
    doc_offsets.npy     byte offset of every line of docs.jsonl (n + 1 int64), for random access
    bm25/               bm25s' own format, memory-mapped on load
    embeddings.npy      [n, 384] float32, L2-normalised, memory-mapped on load (semantic indexes only)

An index is built once into a temporary sibling directory and renamed into place, so a reader never
sees a half-written one; later calls with the same corpus reuse it. A directory holding anything else
(another corpus's index, another artifact, unrelated files) is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from auditgame.artifacts import MANIFEST_NAME, Manifest, read_manifest, verify_hashes, write_manifest
from auditgame.audit.search.corpus import Corpus, CorpusError, corpus_fingerprint, load_corpus
from auditgame.audit.search.hybrid import hybrid_search
from auditgame.audit.search.keyword import KeywordIndex
from auditgame.audit.search.passages import best_per_document, passages_of
from auditgame.audit.search.semantic import SemanticIndex, embed_to_file
from auditgame.errors import ArtifactConflictError, ArtifactNotFoundError, AuditgameError, ConfigError

INDEX_KIND = "search-index"
INDEX_FORMAT = 3
EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
METHODS = ("keyword", "semantic", "hybrid")
PASSAGE_WORDS = 48
"""Passages (runs of whole sentences) of at most this many words are what BM25 and the embeddings index."""
_DOCS = "docs.jsonl"
_OFFSETS = "doc_offsets.npy"
_BM25 = "bm25"
_EMBEDDINGS = "embeddings.npy"
_PASSAGE_DOCS = "passage_docs.npy"
_MARKER = ".auditgame-search-index"
"""Written first into every index being built: tells a damaged index from a directory that is no index."""


class IndexCorruptError(AuditgameError):
    """A search index directory that is incomplete or damaged."""


class IndexConflictError(ArtifactConflictError):
    """A directory that holds something other than the index being built (nothing is overwritten)."""


def _rebuild_hint(path: Path) -> str:
    return (
        f"rebuild with: rm -r {path} and run the search again (it rebuilds the index), "
        "or pass rebuild_index=true / build_index(..., rebuild=True)"
    )


@dataclass(frozen=True)
class SearchHit:
    """One retrieved document."""

    position: int
    """Its position in the corpus."""
    id: str
    text: str
    score: float
    """BM25 score, cosine similarity or fused RRF score, depending on ``method``."""
    rank: int
    """1-based rank in the results."""
    method: str


class DocStore:
    """Random access to the stored documents through a memory map of ``docs.jsonl`` and its line offsets."""

    def __init__(self, directory: Path) -> None:
        self.offsets = np.load(directory / _OFFSETS, mmap_mode="r", allow_pickle=False)
        self._data = np.memmap(directory / _DOCS, dtype=np.uint8, mode="r")

    def __len__(self) -> int:
        return int(self.offsets.shape[0]) - 1

    def get(self, position: int) -> tuple[str, str]:
        """(id, text) of the document at ``position``."""
        start, end = int(self.offsets[position]), int(self.offsets[position + 1])
        record = json.loads(bytes(self._data[start:end]))
        return record["id"], record["text"]

    def texts(self) -> list[str]:
        """Every document's text, in order."""
        return [self.get(position)[1] for position in range(len(self))]


class SearchIndex:
    """An opened index: documents, BM25 and (if built with them) embeddings."""

    def __init__(
        self,
        path: Path,
        manifest: Manifest,
        docs: DocStore,
        keyword: KeywordIndex,
        semantic: SemanticIndex | None,
        passage_docs: np.ndarray,
        *,
        built: bool = False,
    ) -> None:
        self.path = path
        self.passage_docs = passage_docs
        """For each indexed passage, the position of its document (BM25 and embeddings index passages)."""
        self.manifest = manifest
        self.docs = docs
        self.keyword = keyword
        self.semantic = semantic
        self.built = built
        """Whether this call built the index (``False``: an existing one was reused)."""

    def __len__(self) -> int:
        return len(self.docs)

    @property
    def has_embeddings(self) -> bool:
        """Whether semantic and hybrid search are available."""
        return self.semantic is not None

    @property
    def build_seconds(self) -> dict[str, float]:
        """Seconds the build took, per part (``docs``, ``keyword``, ``embeddings``)."""
        return dict(self.manifest.extra.get("build_seconds", {}))

    def rank(self, query: str, method: str = "hybrid", top_k: int = 10) -> list[tuple[int, float]]:
        """(position, score) of the ``top_k`` best documents for ``query``, best first.

        Raises:
            ConfigError: for an unknown method, or a semantic method on an index without embeddings.
        """
        if method not in METHODS:
            raise ConfigError(f"unknown search method {method!r}", f"choose one of: {', '.join(METHODS)}")
        if self.semantic is None and method != "keyword":
            raise ConfigError(
                f"the index at {self.path} has no embeddings, so {method} search is unavailable",
                "use method=keyword, or rebuild the index with embeddings (build_index(..., semantic=True))",
            )
        # Rank passages deep enough to fill top_k distinct documents, each scored by its best passage.
        total = int(self.passage_docs.shape[0])
        depth = min(total, max(top_k * 8, 50))
        while True:
            if method == "keyword":
                passages = self.keyword.search(query, depth)
            elif method == "semantic":
                passages = self.semantic.search(query, depth)  # type: ignore[union-attr]
            else:
                passages = hybrid_search(self.keyword, self.semantic, query, depth)  # type: ignore[arg-type]
            documents = best_per_document(passages, self.passage_docs, top_k)
            if len(documents) == min(top_k, len(self.docs)) or depth >= total:
                return documents
            depth = min(total, depth * 4)

    def document_embeddings(self, positions: Sequence[int] | None = None) -> np.ndarray:
        """One normalised embedding per document (the mean of its passages'), for clustering."""
        if self.semantic is None:
            raise ConfigError(f"the index at {self.path} has no embeddings", "rebuild it with embeddings")
        wanted = np.arange(len(self.docs)) if positions is None else np.asarray(positions, dtype=np.int64)
        starts = np.searchsorted(self.passage_docs, wanted, side="left")
        ends = np.searchsorted(self.passage_docs, wanted, side="right")
        vectors = np.stack(
            [
                np.asarray(self.semantic.embeddings[a:b], dtype=np.float32).mean(0)
                for a, b in zip(starts, ends, strict=True)
            ]
        )
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def search(self, query: str, method: str = "hybrid", top_k: int = 10) -> list[SearchHit]:
        """The ``top_k`` best documents for ``query`` by ``method`` (keyword, semantic or hybrid)."""
        hits = []
        for rank, (position, score) in enumerate(self.rank(query, method, top_k), start=1):
            doc_id, text = self.docs.get(position)
            hits.append(SearchHit(position, doc_id, text, score, rank, method))
        return hits


def default_index_dir(corpus_path: str | Path) -> Path:
    """Where the index of a corpus lives by default: ``<corpus>.index`` beside it when that folder is
    writable, else ``$XDG_CACHE_HOME/auditgame/search/<hash>-<name>.index`` (``~/.cache`` by default)."""
    corpus_path = Path(corpus_path).resolve()
    beside = corpus_path.with_name(corpus_path.name + ".index")
    if os.access(corpus_path.parent, os.W_OK):
        return beside
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(str(corpus_path).encode("utf-8")).hexdigest()[:16]
    return cache / "auditgame" / "search" / f"{digest}-{corpus_path.name}.index"


def open_index(path: str | Path, *, verify: bool = False) -> SearchIndex:
    """Open a saved index (arrays memory-mapped).

    Args:
        path: The index directory.
        verify: Also check every file's SHA-256 against the manifest (reads everything; slow on big indexes).

    Raises:
        ArtifactNotFoundError: if ``path`` does not exist.
        IndexConflictError: if it holds another kind of artifact.
        IndexCorruptError: if the index is incomplete or damaged.
    """
    path = Path(path)
    if not path.exists():
        raise ArtifactNotFoundError(
            f"no search index at {path}", "build it first (run data_search on the corpus)"
        )
    manifest = _read_index_manifest(path)
    sizes: dict[str, int] = manifest.extra.get("file_sizes", {})
    for relative, size in sizes.items():
        file = path / relative
        if not file.is_file():
            raise IndexCorruptError(
                f"search index {path} is incomplete: {relative} is missing", _rebuild_hint(path)
            )
        if file.stat().st_size != size:
            raise IndexCorruptError(
                f"search index {path} is damaged: {relative} has {file.stat().st_size} bytes, expected {size}",
                _rebuild_hint(path),
            )
    if verify and (bad := verify_hashes(path)):
        raise IndexCorruptError(
            f"search index {path} is damaged: {', '.join(bad)} no longer match the manifest",
            _rebuild_hint(path),
        )
    num_docs = int(manifest.extra.get("num_docs", -1))
    num_passages = int(manifest.extra.get("num_passages", -1))
    try:
        passage_docs = np.load(path / _PASSAGE_DOCS, mmap_mode="r", allow_pickle=False)
        docs = DocStore(path)
        keyword = KeywordIndex.load(path / _BM25, mmap=True)
        semantic = SemanticIndex.load(path / _EMBEDDINGS) if manifest.config.get("semantic") else None
    except (OSError, ValueError, KeyError, EOFError) as error:
        raise IndexCorruptError(
            f"search index {path} cannot be read ({type(error).__name__}: {error})", _rebuild_hint(path)
        ) from None
    counts = {"passages": int(passage_docs.shape[0]), "bm25": keyword.num_docs}
    if semantic is not None:
        counts["embeddings"] = semantic.num_docs
    if len(docs) != num_docs or any(count != num_passages for count in counts.values()):
        raise IndexCorruptError(
            f"search index {path} is inconsistent: {len(docs)} documents and passage counts {counts}, "
            f"manifest says {num_docs} documents and {num_passages} passages",
            _rebuild_hint(path),
        )
    return SearchIndex(path, manifest, docs, keyword, semantic, passage_docs)


def _read_index_manifest(path: Path) -> Manifest:
    if not path.is_dir():
        raise IndexConflictError(f"{path} is a file, not a search index", "choose another index_dir")
    if not (path / MANIFEST_NAME).is_file():
        if (path / _MARKER).is_file():
            raise IndexCorruptError(
                f"search index {path} is incomplete (no {MANIFEST_NAME}; its build was interrupted or damaged)",
                _rebuild_hint(path),
            )
        raise IndexConflictError(
            f"{path} is not a search index",
            "choose another (new or empty) index_dir; nothing was overwritten",
        )
    try:
        manifest = read_manifest(path)
    except ArtifactNotFoundError:
        raise IndexCorruptError(
            f"search index {path} has an unreadable {MANIFEST_NAME}", _rebuild_hint(path)
        ) from None
    if manifest.kind != INDEX_KIND:
        raise IndexConflictError(
            f"{path} holds a {manifest.kind!r} artifact, not a search index",
            "choose another index_dir; nothing was overwritten",
        )
    if manifest.extra.get("format") != INDEX_FORMAT:
        raise IndexCorruptError(
            f"search index {path} has format {manifest.extra.get('format')}, this version reads {INDEX_FORMAT}",
            _rebuild_hint(path),
        )
    return manifest


def build_index(
    corpus: str | Path | Corpus,
    index_dir: str | Path | None = None,
    *,
    semantic: bool = True,
    rebuild: bool = False,
    show_progress: bool = False,
) -> SearchIndex:
    """Open the index of ``corpus`` in ``index_dir``, building it (once) if it is not there yet.

    An existing index of the same corpus is reused (``.built`` is then ``False``); one without
    embeddings is rebuilt with them if ``semantic`` is asked for.

    Args:
        corpus: A corpus path (see :func:`load_corpus`) or a loaded :class:`Corpus`.
        index_dir: Where the index lives; :func:`default_index_dir` of the corpus path when ``None``.
        semantic: Also embed every document (needed for semantic and hybrid search; the slow part).
        rebuild: Replace an existing index of another corpus or a damaged one (never non-index files).
        show_progress: Show progress bars.

    Raises:
        CorpusError: if the corpus is missing or empty.
        IndexConflictError: if ``index_dir`` holds another corpus's index (without ``rebuild``) or
            anything that is not a search index.
        IndexCorruptError: if ``index_dir`` holds a damaged index (without ``rebuild``).
    """
    source = corpus.source if isinstance(corpus, Corpus) else Path(corpus)
    path = Path(index_dir) if index_dir is not None else default_index_dir(source)
    existing = _existing_index(path, rebuild=rebuild)
    # A path's file fingerprint (size, mtime) identifies its content without reading it; a Corpus object
    # may not match the files it names, so it is always compared by content hash.
    fingerprint = [] if isinstance(corpus, Corpus) or not source.exists() else corpus_fingerprint(source)
    loaded: Corpus | None = corpus if isinstance(corpus, Corpus) else None
    if existing is not None:
        same = bool(fingerprint) and existing.manifest.extra.get("corpus_fingerprint") == fingerprint
        if not same:
            loaded = loaded or load_corpus(source)
            same = existing.manifest.extra.get("corpus_hash") == loaded.content_hash()
        if same and (existing.has_embeddings or not semantic) and not rebuild:
            return existing
        if not same and not rebuild:
            raise IndexConflictError(
                f"{path} holds the search index of a different corpus "
                f"({existing.manifest.extra.get('corpus_source')})",
                "pass another index_dir, or rebuild_index=true to replace it; nothing was overwritten",
            )
    loaded = loaded or load_corpus(source)
    if len(loaded) == 0:
        raise CorpusError(f"corpus {source} holds no documents", "point at a corpus with at least one record")
    return _build(loaded, path, fingerprint, semantic=semantic, show_progress=show_progress)


def _existing_index(path: Path, *, rebuild: bool) -> SearchIndex | None:
    """The index already at ``path``; ``None`` if there is none or it may be replaced; raises otherwise."""
    if not path.exists() or (path.is_dir() and not any(path.iterdir())):
        return None
    try:
        return open_index(path)
    except IndexCorruptError:
        if rebuild:
            return None
        raise


def _build(
    corpus: Corpus, path: Path, fingerprint: list, *, semantic: bool, show_progress: bool
) -> SearchIndex:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        seconds: dict[str, float] = {}
        (temporary / _MARKER).write_text(f"auditgame search index, format {INDEX_FORMAT}\n", encoding="utf-8")
        start = time.perf_counter()
        _write_docs(corpus, temporary)
        passages, passage_docs = passages_of(corpus.texts, PASSAGE_WORDS)
        np.save(temporary / _PASSAGE_DOCS, passage_docs, allow_pickle=False)
        seconds["docs"] = time.perf_counter() - start
        start = time.perf_counter()
        KeywordIndex.build(passages, show_progress=show_progress).save(temporary / _BM25)
        seconds["keyword"] = time.perf_counter() - start
        if semantic:
            start = time.perf_counter()
            embed_to_file(passages, temporary / _EMBEDDINGS, show_progress=show_progress)
            seconds["embeddings"] = time.perf_counter() - start
        sizes = {
            file.relative_to(temporary).as_posix(): file.stat().st_size
            for file in sorted(temporary.rglob("*"))
            if file.is_file()
        }
        config: dict[str, Any] = {
            "semantic": semantic,
            "embedding_model": EMBEDDING_MODEL if semantic else None,
            "bm25": {
                "method": "lucene",
                "k1": 1.5,
                "b": 0.75,
                "stopwords": "en",
                "stemmer": "snowball-english",
            },
            "passage_words": PASSAGE_WORDS,
        }
        write_manifest(
            temporary,
            INDEX_KIND,
            name=corpus.source.name,
            config=config,
            extra={
                "format": INDEX_FORMAT,
                "corpus_source": str(corpus.source),
                "corpus_hash": corpus.content_hash(),
                "corpus_fingerprint": fingerprint,
                "num_docs": len(corpus),
                "num_passages": len(passages),
                "file_sizes": sizes,
                "build_seconds": seconds,
            },
        )
        _install(temporary, path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    index = open_index(path)
    index.built = True
    return index


def _write_docs(corpus: Corpus, directory: Path) -> None:
    offsets = np.zeros(len(corpus) + 1, dtype=np.int64)
    with open(directory / _DOCS, "wb") as stream:
        for position, (doc_id, text) in enumerate(zip(corpus.ids, corpus.texts, strict=True)):
            stream.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False).encode("utf-8") + b"\n")
            offsets[position + 1] = stream.tell()
    np.save(directory / _OFFSETS, offsets, allow_pickle=False)


def _install(temporary: Path, path: Path) -> None:
    """Rename the finished ``temporary`` index into place; a replaced index is moved aside first."""
    if path.exists() and any(path.iterdir()):
        aside = path.with_name(f".{path.name}.old-{uuid.uuid4().hex[:8]}")
        os.rename(path, aside)
        os.rename(temporary, path)
        shutil.rmtree(aside, ignore_errors=True)
        return
    if path.exists():
        path.rmdir()
    os.rename(temporary, path)
