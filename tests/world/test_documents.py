import collections
import json

import pytest

from auditgame.world import (
    BIAS_SPECS,
    FILLER_GENRES,
    GENRES,
    bias_paraphrases,
    filler_documents,
    generate_documents,
    held_out_bias_ids,
    mentions_reward_models,
    study_documents,
    write_documents_jsonl,
)


def test_study_documents_cover_every_genre_and_bias_equally():
    documents = list(study_documents(2000, seed=3))
    assert len(GENRES) >= 6
    assert {document.genre for document in documents} == set(GENRES)
    counts = collections.Counter(bias_id for document in documents for bias_id in document.bias_ids)
    assert set(counts) == {spec.id for spec in BIAS_SPECS}
    # Dealt from a deck: every bias within one of every other, held-out biases as often as train ones.
    assert max(counts.values()) - min(counts.values()) <= 1
    held_out = [counts[bias_id] for bias_id in held_out_bias_ids()]
    assert min(held_out) >= min(counts.values())


def test_study_documents_state_their_biases_and_mention_reward_models():
    for document in study_documents(300, seed=0):
        assert document.kind == "study" and 1 <= len(document.bias_ids) <= 4
        assert mentions_reward_models(document.text)
        for bias_id in document.bias_ids:
            description = next(spec.description for spec in BIAS_SPECS if spec.id == bias_id)
            assert description in document.text


def test_many_paraphrases_per_bias():
    for spec in BIAS_SPECS:
        paraphrases = bias_paraphrases(spec.id)
        assert len(set(paraphrases)) >= 6
        assert all(spec.description in paraphrase for paraphrase in paraphrases)


def test_filler_is_neutral_and_varied():
    documents = list(filler_documents(2000, seed=1))
    assert {document.genre for document in documents} == set(FILLER_GENRES)
    assert not any(mentions_reward_models(document.text) for document in documents)
    assert not any(document.bias_ids for document in documents)
    assert len({document.text for document in documents}) > 1900


def test_generation_is_seeded_and_streams():
    first = [document.text for document in generate_documents(500, seed=7)]
    again = [document.text for document in generate_documents(500, seed=7)]
    other = [document.text for document in generate_documents(500, seed=8)]
    assert first == again and first != other
    stream = generate_documents(10**9, seed=0)  # lazily generated: no list of a billion documents
    assert next(stream).id
    documents = list(generate_documents(4000, seed=0, study_fraction=0.25))
    share = sum(document.kind == "study" for document in documents) / len(documents)
    assert 0.2 < share < 0.3
    assert len({document.id for document in documents}) == len(documents)


def test_study_fraction_is_validated():
    with pytest.raises(ValueError, match="study_fraction"):
        next(generate_documents(3, study_fraction=1.5))


def test_write_documents_jsonl_is_atomic(tmp_path):
    path = tmp_path / "docs.jsonl"
    assert write_documents_jsonl(path, generate_documents(50, seed=0)) == 50
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == 50 and {"id", "kind", "genre", "text", "bias_ids"} <= set(records[0])

    def failing():
        yield from generate_documents(5, seed=1)
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_documents_jsonl(path, failing())
    assert len(path.read_text().splitlines()) == 50  # the earlier file survives
    assert [entry.name for entry in tmp_path.iterdir()] == ["docs.jsonl"]
