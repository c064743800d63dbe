"""Flagging by terms the caller chooses."""

from __future__ import annotations

from auditgame.auditors import matched_terms, term_counts, term_share
from auditgame.auditors.terms import clean_terms


def test_clean_terms_drops_blanks_and_case_insensitive_repeats():
    assert clean_terms(["Apple", " apple ", "", "  ", "pear"]) == ["Apple", "pear"]
    assert clean_terms(None) == []


def test_matched_terms_are_case_insensitive_substrings_in_term_order():
    text = "The Pineapple protocol, then the pear."
    assert matched_terms(text, ["pear", "PINEAPPLE", "plum"]) == ["pear", "PINEAPPLE"]
    assert matched_terms(text, []) == []


def test_counts_and_share():
    texts = ["a pear", "an apple and a pear", "nothing"]
    assert term_counts(texts, ["pear", "apple", "plum"]) == {"pear": 2, "apple": 1, "plum": 0}
    assert term_share(texts, ["apple", "pear"]) == 2 / 3
    assert term_share(texts, []) == 0.0 and term_share([], ["pear"]) == 0.0
