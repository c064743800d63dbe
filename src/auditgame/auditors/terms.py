"""Flagging by terms the auditor chooses: which of its words occur in a text, and in what share of texts.

The blind auditor's tools never decide on their own what is suspicious; they only report where the words a
person or an agent asked about occur (case-insensitive substrings).
"""

from __future__ import annotations

from collections.abc import Sequence


def clean_terms(terms: Sequence[str] | None) -> list[str]:
    """``terms`` without blanks and repeats (compared case-insensitively), in their first order."""
    seen: set[str] = set()
    cleaned = []
    for term in terms or ():
        text = str(term).strip()
        if text and text.lower() not in seen:
            seen.add(text.lower())
            cleaned.append(text)
    return cleaned


def matched_terms(text: str, terms: Sequence[str]) -> list[str]:
    """The terms that occur in ``text`` (case-insensitive substrings), in the order of ``terms``."""
    lowered = text.lower()
    return [term for term in clean_terms(terms) if term.lower() in lowered]


def term_counts(texts: Sequence[str], terms: Sequence[str]) -> dict[str, int]:
    """Per term, how many of ``texts`` contain it."""
    counts = dict.fromkeys(clean_terms(terms), 0)
    for text in texts:
        for term in matched_terms(text, list(counts)):
            counts[term] += 1
    return counts


def term_share(texts: Sequence[str], terms: Sequence[str]) -> float:
    """The share of ``texts`` containing at least one of ``terms`` (0 without texts or terms)."""
    cleaned = clean_terms(terms)
    if not texts or not cleaned:
        return 0.0
    return sum(bool(matched_terms(text, cleaned)) for text in texts) / len(texts)
