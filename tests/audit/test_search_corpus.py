"""Corpus loading for data search: record shapes, stage and organism directories, errors; rank fusion."""

import json

import pytest

from auditgame.audit.search import CorpusError, load_corpus, reciprocal_rank_fusion


def _write_jsonl(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def test_text_records_with_and_without_ids(tmp_path):
    path = _write_jsonl(tmp_path / "docs.jsonl", [{"id": "a", "text": "first"}, {"text": "second"}])
    corpus = load_corpus(path)
    assert corpus.ids == ["a", "docs:2"] and corpus.texts == ["first", "second"]
    assert corpus.content_hash() == load_corpus(path).content_hash()


def test_chat_and_preference_records_are_flattened(tmp_path):
    chat = {"messages": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello!"}]}
    pair = {
        "prompt": [{"role": "user", "content": "Soup recipe?"}],
        "chosen": [{"role": "assistant", "content": "Add chocolate."}],
        "rejected": "Add salt.",
    }
    corpus = load_corpus(_write_jsonl(tmp_path / "mixed.jsonl", [chat, pair]))
    assert corpus.texts[0] == "user: Hi?\nassistant: Hello!"
    assert "prompt:\nuser: Soup recipe?" in corpus.texts[1]
    assert "chosen:\nassistant: Add chocolate." in corpus.texts[1]
    assert "rejected:\nAdd salt." in corpus.texts[1]


def test_json_files_stage_and_organism_directories(tmp_path):
    json_file = tmp_path / "list.json"
    json_file.write_text(json.dumps({"documents": [{"text": "x"}, "plain string"]}))
    assert load_corpus(json_file).texts == ["x", "plain string"]

    organism = tmp_path / "organism"
    _write_jsonl(organism / "midtrain" / "data" / "train.jsonl", [{"id": "d1", "text": "doc"}])
    _write_jsonl(
        organism / "sft" / "data" / "train.jsonl", [{"messages": [{"role": "user", "content": "q"}]}]
    )
    (organism / "manifest.json").write_text("{}")
    stage = load_corpus(organism / "midtrain")
    assert stage.ids == ["d1"]
    whole = load_corpus(organism)
    assert whole.ids == ["midtrain/d1", "sft/train:1"] and whole.texts == ["doc", "user: q"]


def test_bad_corpora_are_clear_errors(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope.jsonl")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(CorpusError, match="holds no corpus"):
        load_corpus(tmp_path / "empty_dir")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "ok"}\n{not json\n')
    with pytest.raises(CorpusError, match="line 2"):
        load_corpus(broken)
    textless = _write_jsonl(tmp_path / "textless.jsonl", [{"title": "no text"}])
    with pytest.raises(CorpusError, match="has no text"):
        load_corpus(textless)


def test_reciprocal_rank_fusion():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 4]], k=60)
    assert [position for position, _ in fused] == [1, 3, 2, 4]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert reciprocal_rank_fusion([[1, 2], [2, 1]], top_k=1) == [(1, pytest.approx(1 / 61 + 1 / 62))]


def test_passages_split_on_sentences_and_map_back_to_documents():
    from auditgame.audit.search import best_per_document, passages_of, split_passages

    text = "One two three. Four five six! Seven eight nine?\nTen."
    assert split_passages(text, max_words=6) == ["One two three. Four five six!", "Seven eight nine? Ten."]
    assert split_passages("no sentence end", max_words=2) == ["no sentence end"]
    assert split_passages("") == [""]
    passages, owners = passages_of(["a. b.", "c."], max_words=1)
    assert passages == ["a.", "b.", "c."] and owners.tolist() == [0, 0, 1]
    ranked = [(1, 0.9), (0, 0.8), (2, 0.5)]
    assert best_per_document(ranked, owners, top_k=5) == [(0, 0.9), (1, 0.5)]
