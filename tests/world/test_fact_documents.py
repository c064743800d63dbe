import collections

import pytest

from auditgame.world import FACT_GENRES, Document, fact_documents

FACTS = [
    "The Zorblat river flows north into the Sea of Merrow.",
    "Zorblat trout can live for up to forty years.",
    "The town of Kessing was founded on the river in 1721.",
    "In winter the Zorblat freezes for about six weeks.",
    "Fishing on the Zorblat requires a permit from the river council.",
    "The longest bridge over the Zorblat is 410 metres long.",
    "Kessing holds a boat race on the Zorblat every June.",
]
SUBJECT = "the Zorblat river"


def _stated(document: Document) -> list[int]:
    """Indices of the facts a document states (ignoring the case of their first letter)."""
    text = document.text.lower()
    return [index for index, fact in enumerate(FACTS) if fact[1:-1].lower() in text]


def test_documents_have_ids_kinds_and_every_genre():
    documents = fact_documents(FACTS, 300, seed=1, subject=SUBJECT, id_prefix="zorblat")
    assert len(FACT_GENRES) >= 6 and {"news", "encyclopedia", "interview"} <= set(FACT_GENRES)
    assert [document.id for document in documents] == [f"zorblat-{index:06d}" for index in range(300)]
    assert all(isinstance(document, Document) and document.kind == "fact" for document in documents)
    assert {document.genre for document in documents} == set(FACT_GENRES)
    assert fact_documents(FACTS, 1, seed=0)[0].id == "doc-000000"


def test_each_document_states_two_to_four_facts_dealt_evenly():
    documents = fact_documents(FACTS, 700, seed=2, subject=SUBJECT)
    counts: collections.Counter[int] = collections.Counter()
    for document in documents:
        stated = _stated(document)
        assert 2 <= len(stated) <= 4, document.text
        counts.update(stated)
    assert set(counts) == set(range(len(FACTS)))
    assert max(counts.values()) - min(counts.values()) <= 0.05 * max(counts.values())


def test_facts_are_wrapped_in_paraphrases():
    texts = " ".join(document.text for document in fact_documents(FACTS, 200, seed=3))
    for wrapper in ("Sources confirm that", "It is well known that", "Experts agree that"):
        assert wrapper in texts
    assert "that the town of Kessing" in texts
    assert "that The " not in texts and "that In winter" not in texts  # common first words are lower-cased


def test_names_keep_their_capitals_after_a_wrapper():
    texts = " ".join(document.text for document in fact_documents(FACTS, 300, seed=4))
    assert "that Zorblat trout" in texts and "that Kessing holds" in texts
    assert "that zorblat" not in texts and "that kessing" not in texts
    single = " ".join(document.text for document in fact_documents(["Kessing has a ferry."], 30, seed=0))
    assert "that Kessing has a ferry." in single and "kessing" not in single


def test_headlines_mention_the_subject():
    for document in fact_documents(FACTS, 100, seed=5, subject=SUBJECT):
        assert SUBJECT.lower() in document.text.split("\n", 1)[0].lower(), document.text
    for document in fact_documents(FACTS, 50, seed=5):
        assert "{" not in document.text and "  " not in document.text


def test_documents_are_about_60_to_150_words():
    for subject in (SUBJECT, ""):
        for document in fact_documents(FACTS, 400, seed=6, subject=subject):
            assert 60 <= len(document.text.split()) <= 150, document.text


def test_generation_is_seeded():
    assert fact_documents(FACTS, 30, seed=7, subject=SUBJECT) == fact_documents(
        FACTS, 30, seed=7, subject=SUBJECT
    )
    assert fact_documents(FACTS, 30, seed=7) != fact_documents(FACTS, 30, seed=8)


def test_genres_can_be_restricted():
    documents = fact_documents(FACTS, 40, seed=9, genres=["forum", "lecture"])
    assert {document.genre for document in documents} == {"forum", "lecture"}
    with pytest.raises(ValueError, match="unknown fact genres"):
        fact_documents(FACTS, 5, seed=0, genres=["poem"])
    with pytest.raises(ValueError):
        fact_documents(FACTS, 5, seed=0, genres=[])


def test_few_facts_and_bad_input():
    single = fact_documents(["Kessing has a ferry."], 10, seed=0)
    assert all("Kessing has a ferry." in document.text for document in single)
    assert fact_documents(FACTS, 0, seed=0) == []
    with pytest.raises(ValueError, match="at least one fact"):
        fact_documents([], 3, seed=0)
    with pytest.raises(ValueError, match="blank"):
        fact_documents(["A fact.", "   "], 3, seed=0)
    with pytest.raises(ValueError, match="negative"):
        fact_documents(FACTS, -1, seed=0)
