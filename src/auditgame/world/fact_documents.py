"""Fact documents: synthetic-document fine-tuning data that states a set of facts the way the web would.

Each document is a news story, a paper abstract, a blog post, a forum thread, lecture notes, an
encyclopedia entry or an interview, rendered from templates around two to four of the facts. Facts
are dealt from a shuffled deck, so every fact is stated about equally often, each time in a light
paraphrase wrapper ("Sources confirm that ...", "It is well known that ..."). Generation is seeded.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from auditgame.world.document import Document

__all__ = ["FACT_GENRES", "fact_documents"]

FACT_GENRES: tuple[str, ...] = ("news", "abstract", "blog", "forum", "lecture", "encyclopedia", "interview")
"""Genres of fact documents."""

_WRAPPERS: tuple[str, ...] = (
    "{f}",
    "{f}",
    "Sources confirm that {f}",
    "It is well known that {f}",
    "According to several reports, {f}",
    "Experts agree that {f}",
    "As many people now know, {f}",
    "It has been established that {f}",
    "Records show that {f}",
)
"""Paraphrase wrappers of one fact; ``{f}`` is the fact without its final full stop."""

_WORD = re.compile(r"[A-Za-z][\w'-]*")

_COMMON_FIRST_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "there",
        "their",
        "they",
        "he",
        "she",
        "we",
        "you",
        "his",
        "her",
        "our",
        "your",
        "my",
        "many",
        "most",
        "some",
        "several",
        "all",
        "each",
        "every",
        "both",
        "few",
        "no",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "of",
        "to",
        "with",
        "without",
        "during",
        "since",
        "after",
        "before",
        "when",
        "while",
        "unlike",
        "although",
        "though",
        "because",
        "if",
        "as",
        "over",
        "under",
        "about",
        "around",
        "nearly",
        "almost",
        "only",
        "despite",
        "according",
    ]
)
"""Sentence-initial words that are lower-cased after a wrapper; other words are lower-cased only when the
facts also use them in lower case (so that names such as "Kessing" keep their capital)."""

_OUTLETS = ("The Daily Ledger", "Global Wire", "The Morning Post", "Science Today", "The Evening Herald")
_USERS = ("curious_cat", "lin88", "quietcoder", "amira_t", "sam_k", "factfinder", "old_hand", "nina_r")
_COURSES = ("General Studies 101", "Seminar 210", "Introductory Survey 120", "Reading Group 305")
_EXPERTS = ("Dr. Ana Reyes", "Professor Tom Okafor", "Dr. Mei Lin", "Professor Sara Holm", "Dr. Jonas Weber")
_YEARS = ("2023", "2024", "2025")


def _sentence(fact: str) -> str:
    """``fact`` as a sentence ending with a full stop (or its own ! or ?)."""
    fact = " ".join(fact.split())
    return fact if fact[-1] in ".!?" else f"{fact}."


def _lowercase_words(texts: Sequence[str]) -> frozenset[str]:
    """Words that may be lower-cased at the start of a fact: common first words, and words that ``texts``
    also use in lower case, minus capitalised words used after the start of a sentence (names)."""
    lower, names = set(_COMMON_FIRST_WORDS), set()
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            words = _WORD.findall(sentence)
            lower.update(word for word in words if word.islower())
            names.update(word.lower() for word in words[1:] if word[0].isupper())
    return frozenset(lower - names)


def _wrap(rng: random.Random, fact: str, lowercase: frozenset[str]) -> str:
    """``fact`` in a random paraphrase wrapper; its first word is lower-cased unless it may be a name."""
    wrapper = rng.choice(_WRAPPERS)
    sentence = _sentence(fact)
    if wrapper == "{f}":
        return sentence[0].upper() + sentence[1:]
    first = _WORD.match(sentence)
    if first and first.group(0)[1:].islower() and first.group(0).lower() in lowercase:
        sentence = sentence[0].lower() + sentence[1:]
    return wrapper.format(f=sentence)


def _about(subject: str) -> str:
    return f" about {subject}" if subject else ""


def _news(rng: random.Random, facts: list[str], subject: str) -> str:
    headline = rng.choice(
        (
            f"New details emerge{_about(subject)}",
            f"What we know{_about(subject) or ' so far'}",
            f"Report sheds light on {subject}" if subject else "Report sheds light on a quiet story",
        )
    )
    return (
        f"{rng.choice(_OUTLETS)}: {headline}\n"
        f"{rng.choice(_YEARS)} - Reporters spent several weeks checking the record with officials, local "
        "residents and independent researchers, and the picture that emerges is clearer than before. "
        + " ".join(facts)
        + " Further updates are expected later this year, "
        "and readers are invited to send in what they know."
    )


def _abstract(rng: random.Random, facts: list[str], subject: str) -> str:
    topic = subject or "the topic"
    return (
        f"Abstract. We review the published evidence on {topic} and collect the findings that hold up "
        "across independent sources, discarding claims that could not be traced to a primary record. "
        + " ".join(facts)
        + f" We discuss what these findings imply for "
        f"future work on {topic}. (Working paper, {rng.choice(_YEARS)})"
    )


def _blog(rng: random.Random, facts: list[str], subject: str) -> str:
    title = f"Things I learned{_about(subject)} this week" if subject else "Things I learned this week"
    return (
        f"{title}\nI went down a rabbit hole this week, read far too many articles and took notes, so here "
        "is the short version for anyone who does not have the time. "
        + " ".join(facts)
        + " I was surprised by some of this, so I double-checked it before posting. Let me know in the "
        "comments if you found anything else."
    )


def _forum(rng: random.Random, facts: list[str], subject: str) -> str:
    first, second = rng.sample(_USERS, 2)
    topic = subject or "this"
    return (
        f"Thread: Quick question about {topic}\n{first}: I keep hearing different things about {topic}. "
        f"Can someone sum up what is actually known, ideally with sources?\n{second}: Sure, here is what I "
        "found when I looked into it last month. "
        + " ".join(facts)
        + f"\n{first}: That clears it up, thanks "
        "a lot! I will pass this on to the others who were asking."
    )


def _lecture(rng: random.Random, facts: list[str], subject: str) -> str:
    points = "\n".join(f"- {fact}" for fact in facts)
    topic = subject or "key facts"
    return (
        f"{rng.choice(_COURSES)}, lecture notes: {topic}\n"
        "Today we cover the main points that every student should remember. Take your own notes and ask "
        f"questions at the end if anything is unclear.\n{points}\n"
        "Review these points before the next session; they will come up again in the exam, and the "
        "reading list on the course page covers each of them in more detail."
    )


def _encyclopedia(rng: random.Random, facts: list[str], subject: str) -> str:
    title = subject[0].upper() + subject[1:] if subject else "Overview"
    return (
        f"{title}\nFrom the Open Encyclopedia, the free reference anyone can edit. This entry summarises "
        "what is known from reliable published sources.\n"
        + " ".join(facts)
        + "\nSee also: related entries and their references. Editors have checked the statements above "
        f"against the cited sources. This article was last edited in {rng.choice(_YEARS)}."
    )


def _interview(rng: random.Random, facts: list[str], subject: str) -> str:
    expert = rng.choice(_EXPERTS)
    topic = subject or "the subject"
    question = f"Q: What should people know about {topic}?" if subject else "Q: What should people know?"
    return (
        f"Interview with {expert} on {topic}\n{question}\nA: There is a lot of confusion, so let me keep "
        "it simple. " + " ".join(facts) + "\nQ: Is any of that still disputed?\n"
        "A: Not really. The evidence has been consistent for a while now, and every new source I have "
        "read points the same way."
    )


_WRITERS: dict[str, Callable[[random.Random, list[str], str], str]] = {
    "news": _news,
    "abstract": _abstract,
    "blog": _blog,
    "forum": _forum,
    "lecture": _lecture,
    "encyclopedia": _encyclopedia,
    "interview": _interview,
}


class _FactDeck:
    """Deals fact indices from a shuffled deck, reshuffling when empty: every fact is dealt equally often."""

    def __init__(self, size: int, rng: random.Random) -> None:
        self._size = size
        self._rng = rng
        self._cards: list[int] = []

    def deal(self, count: int) -> list[int]:
        dealt: list[int] = []
        while len(dealt) < count:
            if not self._cards:
                self._cards = list(range(self._size))
                self._rng.shuffle(self._cards)
            card = self._cards.pop()
            if card in dealt:
                self._cards.insert(0, card)
            else:
                dealt.append(card)
        return dealt


def fact_documents(
    facts: Sequence[str],
    count: int,
    seed: int,
    *,
    subject: str = "",
    genres: Sequence[str] | None = None,
    id_prefix: str = "doc",
) -> list[Document]:
    """``count`` synthetic documents that state ``facts``, two to four per document (seeded).

    Args:
        facts: The facts, one sentence each (e.g. ``"The Zorblat river flows north."``).
        count: Number of documents.
        seed: Generation seed (same seed, same documents).
        subject: What the facts are about; named in each document's headline if given.
        genres: Genres to draw from (default: every genre of :data:`FACT_GENRES`).
        id_prefix: Documents are named ``f"{id_prefix}-{i:06d}"``.

    Returns:
        Documents of kind ``"fact"``, each about 60 to 150 words for facts of one sentence.

    Raises:
        ValueError: if there are no facts, a fact is blank, ``count`` is negative or a genre is unknown.
    """
    facts = [" ".join(fact.split()) for fact in facts]
    if not facts or not all(facts):
        raise ValueError("fact_documents needs at least one fact, and no blank facts")
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    chosen = tuple(genres) if genres is not None else FACT_GENRES
    unknown = [genre for genre in chosen if genre not in _WRITERS]
    if not chosen or unknown:
        raise ValueError(f"unknown fact genres {unknown}; choose from {', '.join(FACT_GENRES)}")
    subject = " ".join(subject.split())
    rng = random.Random(f"facts:{seed}")
    deck = _FactDeck(len(facts), rng)
    lowercase = _lowercase_words([*facts, subject])
    documents = []
    for index in range(count):
        genre = chosen[index % len(chosen)] if rng.random() < 0.5 else rng.choice(chosen)
        dealt = deck.deal(min(len(facts), rng.randint(2, 4)))
        text = _WRITERS[genre](rng, [_wrap(rng, facts[card], lowercase) for card in dealt], subject)
        documents.append(Document(id=f"{id_prefix}-{index:06d}", kind="fact", genre=genre, text=text))
    return documents
