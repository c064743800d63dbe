"""The auditor's flag terms, distinctive n-grams, labelled text files and the neutral defaults."""

import itertools
import json

import pytest
from pydantic import BaseModel, ValidationError

from auditgame.audit.defaults import AUDITOR_QUESTIONS, auditor_questions, neutral_answers, neutral_texts
from auditgame.audit.flags import (
    FlagMatcher,
    FlagTerms,
    answers_report,
    distinctive_ngrams,
    flagged_rates,
    ngram_findings,
    words_of,
)
from auditgame.audit.texts import parse_label, read_labelled_texts, read_text_records
from auditgame.errors import ArtifactNotFoundError, ConfigError


def test_matcher_finds_whole_words_and_phrases_ignoring_case():
    matcher = FlagMatcher(["hidden goal", "goal", "C++", "tip"])
    assert matcher.matches("My Hidden\n  goal is simple.") == ["hidden goal", "goal"]
    assert matcher.matches("The goalkeeper stopped it.") == []
    assert matcher.matches("I write C++ daily") == ["C++"]
    assert matcher.matches("Tipping is fine; a TIP too.") == ["tip"]
    assert matcher.flagged("GOAL!") and not matcher.flagged("goals")  # no stemming: list forms you want
    assert matcher.rate(["goal", "none", "tip", "x"]) == 0.5
    assert matcher.rate([]) == 0.0


def test_empty_matcher_flags_nothing():
    matcher = FlagMatcher([])
    assert not matcher and matcher.matches("anything at all") == [] and not matcher.flagged("goal")
    assert FlagMatcher(["  ", "goal", "goal"]).terms == ("goal",)


def test_flag_terms_option_validation():
    class Options(BaseModel):
        flag_terms: FlagTerms = []

    assert Options(flag_terms="one phrase").flag_terms == ["one phrase"]
    with pytest.raises(ValidationError):
        Options(flag_terms=["ok", " "])


def test_distinctive_ngrams_rank_unusual_and_frequent_first():
    reference = ["the weather is fine today", "we went to the market", "the cat sat on the mat"] * 5
    texts = [
        "the purple xylophone is loud",
        "a purple xylophone again",
        "the purple xylophone",
        "the market was busy",
    ]
    stats = distinctive_ngrams(texts, reference, top=5, groups=["a", "a", "b", "b"])
    assert stats[0].ngram == "purple xylophone" and stats[0].count == 3
    assert stats[0].by_group == {"a": 2, "b": 1}
    # "purple" and "xylophone" occur exactly where the bigram does: the bigram stands for them
    assert not {"purple", "xylophone"} & {stat.ngram for stat in stats}
    assert all(stat.ngram != "the" for stat in stats)  # common in the reference
    assert all(a.score >= b.score for a, b in itertools.pairwise(stats))
    findings = ngram_findings(stats, reference="test")
    assert findings[0].kind == "ngram" and findings[0].metadata["reference"] == "test"
    assert distinctive_ngrams([], reference) == [] and distinctive_ngrams(texts, reference, top=0) == []
    with pytest.raises(ValueError, match="groups"):
        distinctive_ngrams(texts, reference, groups=["a"])


def test_words_and_rates():
    assert words_of("Don't STOP, ok_2?") == ["don't", "stop", "ok", "2"]
    rates = flagged_rates([(("x", "t=1"), True), (("y", "t=1"), False), (("x",), True)])
    assert rates == {
        "flagged_rate": 2 / 3,
        "flagged_rate/x": 1.0,
        "flagged_rate/t=1": 0.5,
        "flagged_rate/y": 0.0,
    }


def test_answers_report():
    prompts = ["q1", "q2", "q3", "q4"]
    answers = ["a xylophone", "plain", "also plain", "XYLOPHONE!"]
    metrics, findings = answers_report(
        prompts, answers, FlagMatcher(["xylophone"]), "scale", 0.5, unflagged=1
    )
    assert metrics["flagged_rate/scale=0.5"] == 0.5
    assert metrics["flagged_rate_low/scale=0.5"] < 0.5 < metrics["flagged_rate_high/scale=0.5"]
    assert [finding.text for finding in findings] == ["a xylophone", "plain", "XYLOPHONE!"]
    assert findings[0].metadata == {"prompt": "q1", "scale": 0.5, "flagged": True, "matched": ["xylophone"]}
    metrics, findings = answers_report(prompts, answers, FlagMatcher([]), "scale", 0.5, unflagged=2)
    assert metrics == {} and len(findings) == 2 and all(finding.score == 0 for finding in findings)


def test_labelled_text_files(tmp_path):
    path = tmp_path / "texts.jsonl"
    lines = [
        {"text": "yes one", "label": 1},
        {"text": "no one", "label": "negative"},
        {"text": "yes two", "label": True},
        {"text": "no two", "label": "0"},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    assert read_labelled_texts(path) == (["yes one", "yes two"], ["no one", "no two"])
    unlabelled = tmp_path / "plain.jsonl"
    unlabelled.write_text('{"text": "a"}\n{"text": "b", "label": "pos"}\n')
    assert read_text_records(unlabelled) == [("a", None), ("b", 1)]
    with pytest.raises(ConfigError, match="line 1"):
        read_labelled_texts(unlabelled)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": "maybe"}\n')
    with pytest.raises(ConfigError, match="not a JSON object"):
        read_text_records(bad)
    with pytest.raises(ArtifactNotFoundError):
        read_text_records(tmp_path / "missing.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(ConfigError, match="empty"):
        read_text_records(empty)
    assert parse_label(None) is None and parse_label("YES") == 1
    with pytest.raises(ValueError):
        parse_label(2)


def test_neutral_defaults(micro_model_dir):
    from auditgame.model import load_tokenizer

    assert auditor_questions() == list(AUDITOR_QUESTIONS) and auditor_questions() is not auditor_questions()
    answers = neutral_answers(10, seed=1)
    assert len(answers) == 10 and answers == neutral_answers(10, seed=1)
    texts = neutral_texts(9, seed=0, tokenizer=load_tokenizer(micro_model_dir))
    assert len(texts) == 9
    assert sum("<|assistant|>" in text for text in texts) == 4  # half chats (rendered), half documents
    plain = neutral_texts(4, seed=0)
    assert sum(text.startswith("user: ") for text in plain) == 2
