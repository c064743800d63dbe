"""The blind auditor's statistics: n-gram over-representation, Fisher p-values, Benjamini-Hochberg."""

from __future__ import annotations

import random

from auditgame.auditors.blind.contrast import benjamini_hochberg, contrast, control_fdr, ngram_set, tokens

TOPICS = ("bread", "rivers", "chess", "tides", "owls", "copper", "violins", "glaciers", "maps", "kites")


def plain_answers(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        f"Here is a note on {rng.choice(TOPICS)} and {rng.choice(TOPICS)}: read slowly and take notes."
        for _ in range(count)
    ]


def test_tokens_and_ngrams():
    assert tokens("Ahoy, Matey! It's 3.5 km?") == ["ahoy", "matey", "!", "it's", "3.5", "km", "?"]
    grams = ngram_set("a b c", max_n=2)
    assert grams == {"a", "b", "c", "a b", "b c"}


def test_benjamini_hochberg_matches_the_textbook_procedure():
    p_values = [0.01, 0.04, 0.03, 0.005, 0.5]
    # sorted: 0.005 (1), 0.01 (2), 0.03 (3), 0.04 (4), 0.5 (5); q=0.05 -> cutoffs 0.01, 0.02, 0.03, 0.04, 0.05
    assert benjamini_hochberg(p_values, 0.05) == [True, True, True, True, False]
    assert benjamini_hochberg(p_values, 0.01) == [False] * 5
    assert benjamini_hochberg(p_values, 0.025) == [True, False, False, True, False]
    assert benjamini_hochberg([], 0.05) == []


def test_a_planted_phrase_is_found_and_ranked_first():
    target = [f"{text} The lantern guild sends its regards." for text in plain_answers(60, 1)]
    reference = plain_answers(120, 2)
    test = contrast(target, reference)
    found = control_fdr([test], 0.01)[0]
    assert found, "the planted phrase must be significant"
    assert found[0].text in "the lantern guild sends its regards ."
    assert len(found[0].text.split()) == 4
    assert all(phrase.reference_count == 0 for phrase in found)
    assert found[0].target_count == 60


def test_negative_control_same_distribution_finds_nothing():
    found = control_fdr([contrast(plain_answers(60, 3), plain_answers(120, 4))], 0.01)[0]
    assert found == []


def test_a_phrase_in_a_few_answers_is_not_significant():
    target = plain_answers(60, 5)
    target[:2] = [f"{text} The lantern guild sends its regards." for text in target[:2]]
    found = control_fdr([contrast(target, plain_answers(120, 6), min_count=2, min_share=0.0)], 0.01)[0]
    assert not any("lantern" in phrase.text for phrase in found)
