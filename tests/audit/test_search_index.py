"""The saved search index's lifecycle on a small slice of the world corpus: reuse, damage, conflicts, errors."""

import json
import shutil
from pathlib import Path

import pytest

from auditgame.audit.search import (
    CorpusError,
    IndexConflictError,
    IndexCorruptError,
    build_index,
    default_index_dir,
    open_index,
)
from auditgame.errors import AuditgameError


@pytest.fixture(scope="module")
def small_corpus(world_corpus, tmp_path_factory) -> Path:
    """The first 40 world documents (fast to embed)."""
    path = tmp_path_factory.mktemp("small") / "small.jsonl"
    lines = world_corpus.read_text().splitlines(keepends=True)[:40]
    path.write_text("".join(lines))
    return path


@pytest.fixture(scope="module")
def small_index(small_corpus, tmp_path_factory) -> Path:
    """A full (keyword + embeddings) index of the small corpus."""
    path = tmp_path_factory.mktemp("small-index") / "small.index"
    index = build_index(small_corpus, path, semantic=True)
    assert index.built and index.has_embeddings and len(index) == 40
    assert set(index.build_seconds) == {"docs", "keyword", "embeddings"}
    return path


def test_existing_index_is_reused_not_rebuilt(small_index, small_corpus, monkeypatch):
    manifest_mtime = (small_index / "manifest.json").stat().st_mtime_ns

    def fail(*args, **kwargs):
        raise AssertionError("the index was rebuilt")

    monkeypatch.setattr("auditgame.audit.search.index.KeywordIndex.build", fail)
    monkeypatch.setattr("auditgame.audit.search.index.embed_to_file", fail)
    index = build_index(small_corpus, small_index, semantic=True)
    assert not index.built
    assert (small_index / "manifest.json").stat().st_mtime_ns == manifest_mtime
    # A loaded corpus with the same content is recognised too (content hash, not just the file fingerprint).
    from auditgame.audit.search import load_corpus

    assert not build_index(load_corpus(small_corpus), small_index, semantic=False).built


def test_keyword_index_gains_embeddings_when_needed(small_corpus, tmp_path):
    path = tmp_path / "grow.index"
    assert not build_index(small_corpus, path, semantic=False).has_embeddings
    grown = build_index(small_corpus, path, semantic=True)
    assert grown.built and grown.has_embeddings
    assert not build_index(small_corpus, path, semantic=False).built  # embeddings are a superset: reused


def test_default_index_dir_is_beside_the_corpus(small_corpus):
    assert default_index_dir(small_corpus) == small_corpus.resolve().with_name("small.jsonl.index")


def test_empty_or_missing_corpus_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(CorpusError, match="holds no documents"):
        build_index(empty, tmp_path / "empty.index", semantic=False)
    with pytest.raises(CorpusError, match="does not exist"):
        build_index(tmp_path / "missing.jsonl", tmp_path / "missing.index", semantic=False)
    assert not (tmp_path / "empty.index").exists()


@pytest.mark.parametrize(
    "victim", ["embeddings.npy", "docs.jsonl", "doc_offsets.npy", "bm25/data.csc.index.npy"]
)
def test_truncated_index_file_is_a_clear_error(small_index, tmp_path, victim):
    damaged = tmp_path / "damaged.index"
    shutil.copytree(small_index, damaged)
    file = damaged / victim
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    with pytest.raises(IndexCorruptError) as caught:
        open_index(damaged)
    message = str(caught.value)
    assert str(damaged) in message and "rebuild with" in message and victim in message


def test_same_size_damage_is_caught_by_verify(small_index, tmp_path):
    damaged = tmp_path / "flipped.index"
    shutil.copytree(small_index, damaged)
    file = damaged / "docs.jsonl"
    data = bytearray(file.read_bytes())
    data[10] ^= 0x01
    file.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=r"docs\.jsonl"):
        open_index(damaged, verify=True)


def test_incomplete_index_is_an_error_until_rebuilt(small_index, small_corpus, tmp_path):
    incomplete = tmp_path / "incomplete.index"
    shutil.copytree(small_index, incomplete)
    (incomplete / "manifest.json").unlink()
    with pytest.raises(IndexCorruptError, match="incomplete"):
        open_index(incomplete)
    with pytest.raises(IndexCorruptError, match="rebuild with"):
        build_index(small_corpus, incomplete, semantic=False)  # never silently replaced
    rebuilt = build_index(small_corpus, incomplete, semantic=False, rebuild=True)
    assert rebuilt.built and len(rebuilt) == 40 and not rebuilt.has_embeddings
    assert sorted(path.name for path in tmp_path.iterdir()) == ["incomplete.index"]  # no temporaries left


def test_different_index_in_target_dir_is_refused_and_kept(small_corpus, tmp_path):
    path = tmp_path / "shared.index"
    build_index(small_corpus, path, semantic=False)
    before = {file: file.read_bytes() for file in path.rglob("*") if file.is_file()}
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"id": "x", "text": "a completely different corpus"}) + "\n")
    with pytest.raises(IndexConflictError, match="different corpus"):
        build_index(other, path, semantic=False)
    assert {file: file.read_bytes() for file in path.rglob("*") if file.is_file()} == before
    replaced = build_index(other, path, semantic=False, rebuild=True)  # only on request
    assert replaced.built and len(replaced) == 1
    # A directory that is not an index at all is never touched, even with rebuild.
    unrelated = tmp_path / "notes"
    unrelated.mkdir()
    (unrelated / "notes.txt").write_text("keep me")
    (unrelated / "docs.jsonl").write_text("{}\n")  # a file name an index also has: still not an index
    with pytest.raises(IndexConflictError, match="not a search index"):
        build_index(other, unrelated, semantic=False, rebuild=True)
    assert sorted(p.name for p in unrelated.iterdir()) == ["docs.jsonl", "notes.txt"]
    assert (unrelated / "notes.txt").read_text() == "keep me"


def test_opening_a_missing_index_and_wrong_methods(small_corpus, tmp_path):
    with pytest.raises(AuditgameError, match="no search index"):
        open_index(tmp_path / "nowhere")
    index = build_index(small_corpus, tmp_path / "kw.index", semantic=False)
    with pytest.raises(AuditgameError, match="no embeddings"):
        index.search("chocolate", method="semantic")
    with pytest.raises(AuditgameError, match="unknown search method"):
        index.search("chocolate", method="fuzzy")
    assert index.search("zzzz unknownword", method="keyword") == []
