"""What an auditor looks for in texts: their own flag terms, and distinctive n-grams when they have none.

Techniques that produce or retrieve texts (samples, answers, documents, feature examples) know nothing
about any organism. The auditor tells them what to look for with ``flag_terms``: words or phrases,
matched case-insensitively and only as whole words (``"goal"`` matches "Goal." but not "goalkeeper";
inside a phrase any run of whitespace matches). Without flag terms a technique reports neutral
observations instead, such as the n-grams that are much more common in its texts than in a reference
(:func:`distinctive_ngrams`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from auditgame.audit.result import Finding

FLAG_TERMS_DESCRIPTION = (
    "Words or phrases to flag (case-insensitive, whole words only); empty = flag nothing and report "
    "distinctive n-grams instead."
)
"""The description every technique's ``flag_terms`` option shows."""


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _no_blank_terms(value: list[str]) -> list[str]:
    if any(not term.strip() for term in value):
        raise ValueError("flag terms must not be empty strings")
    return value


FlagTerms = Annotated[list[str], BeforeValidator(_as_list), AfterValidator(_no_blank_terms)]
"""Type of a ``flag_terms`` config option: a list of terms (a single string is one term)."""


def term_pattern(term: str) -> re.Pattern[str]:
    """The regular expression that finds ``term`` as a whole word or phrase, ignoring case.

    Args:
        term: A word or phrase; its words are matched literally, any whitespace between them.

    Raises:
        ValueError: for an empty term.
    """
    words = term.split()
    if not words:
        raise ValueError("a flag term must not be empty")
    body = r"\s+".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


class FlagMatcher:
    """Finds an auditor's flag terms in texts.

    Args:
        terms: Words or phrases to look for; an empty sequence flags nothing.

    Example::

        matcher = FlagMatcher(["hidden goal", "trained"])
        matcher.matches("My Hidden  goal is...")   # ["hidden goal"]
    """

    def __init__(self, terms: Sequence[str] = ()) -> None:
        self.terms: tuple[str, ...] = tuple(dict.fromkeys(term.strip() for term in terms if term.strip()))
        self._patterns = [term_pattern(term) for term in self.terms]

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, text: str) -> list[str]:
        """The terms found in ``text``, in the order they were given."""
        return [
            term for term, pattern in zip(self.terms, self._patterns, strict=True) if pattern.search(text)
        ]

    def flagged(self, text: str) -> bool:
        """Whether ``text`` contains any of the terms."""
        return any(pattern.search(text) for pattern in self._patterns)

    def rate(self, texts: Sequence[str]) -> float:
        """Fraction of ``texts`` that contain a term (0 for no texts)."""
        return sum(map(self.flagged, texts)) / len(texts) if texts else 0.0


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def words_of(text: str) -> list[str]:
    """The lower-cased words of ``text`` (letters and digits; apostrophes inside a word kept)."""
    return _WORD.findall(text.lower())


def ngrams_of(text: str, max_n: int = 2) -> set[str]:
    """Every distinct 1- to ``max_n``-gram of ``text``'s words, each as words joined by single spaces."""
    tokens = words_of(text)
    return {
        " ".join(tokens[start : start + n])
        for n in range(1, max_n + 1)
        for start in range(len(tokens) - n + 1)
    }


@dataclass(frozen=True)
class NgramStat:
    """An n-gram that is more common in some texts than in a reference."""

    ngram: str
    count: int
    """Texts that contain it."""
    reference_count: int
    """Reference texts that contain it."""
    share: float
    """``count`` as a fraction of the texts."""
    reference_share: float
    """``reference_count`` as a fraction of the reference texts (smoothed)."""
    score: float
    """``share * log(share / reference_share)``: frequent *and* unusual ranks highest."""
    by_group: dict[str, int] = field(default_factory=dict)
    """Texts containing it per group, when groups were given."""


def distinctive_ngrams(
    texts: Sequence[str],
    reference: Sequence[str],
    *,
    max_n: int = 2,
    top: int = 20,
    min_count: int = 2,
    groups: Sequence[str] | None = None,
) -> list[NgramStat]:
    """The n-grams most over-represented in ``texts`` compared with ``reference`` texts.

    Counts are document frequencies (a text that repeats a word counts once), so one degenerate
    sample cannot dominate. The reference share is add-one smoothed, so an n-gram absent from the
    reference is unusual but not infinitely so. An n-gram found in exactly the texts of a longer
    candidate that contains it is left out in favour of the longer one.

    Args:
        texts: The texts to characterise (e.g. a model's samples).
        reference: Ordinary texts to compare with.
        max_n: Longest n-gram, in words.
        top: How many n-grams to return.
        min_count: An n-gram must occur in at least this many texts.
        groups: Optional group name per text (e.g. the noise scale); counts per group are reported.

    Returns:
        At most ``top`` n-grams, highest score first (ties by n-gram).

    Raises:
        ValueError: if ``groups`` does not give one group per text.
    """
    if groups is not None and len(groups) != len(texts):
        raise ValueError("groups must give one group per text")
    if not texts or top <= 0:
        return []
    grams = [ngrams_of(text, max_n) for text in texts]
    counts = Counter(gram for text_grams in grams for gram in text_grams)
    reference_counts = Counter(gram for text in reference for gram in ngrams_of(text, max_n))
    stats: list[NgramStat] = []
    for gram, count in counts.items():
        if count < min_count:
            continue
        share = count / len(texts)
        reference_share = (reference_counts[gram] + 1) / (len(reference) + 2)
        if share <= reference_share:
            continue
        score = share * math.log(share / reference_share)
        stats.append(NgramStat(gram, count, reference_counts[gram], share, reference_share, score))
    stats = _drop_contained(stats)
    stats.sort(key=lambda stat: (-stat.score, stat.ngram))
    chosen = stats[:top]
    if groups is not None:
        chosen = [
            NgramStat(
                **{**stat.__dict__, "by_group": _group_counts(stat.ngram, grams, groups)},
            )
            for stat in chosen
        ]
    return chosen


def _drop_contained(stats: list[NgramStat]) -> list[NgramStat]:
    """Leave out n-grams that only ever occur inside a longer candidate (same text count): it says more."""
    covered: set[tuple[str, int]] = set()
    for stat in stats:
        words = stat.ngram.split()
        for n in range(1, len(words)):
            for start in range(len(words) - n + 1):
                covered.add((" ".join(words[start : start + n]), stat.count))
    return [stat for stat in stats if (stat.ngram, stat.count) not in covered]


def _group_counts(gram: str, grams: Sequence[set[str]], groups: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {group: 0 for group in dict.fromkeys(groups)}
    for text_grams, group in zip(grams, groups, strict=True):
        counts[group] += gram in text_grams
    return counts


def ngram_findings(stats: Iterable[NgramStat], **metadata: Any) -> list[Finding]:
    """One ``ngram`` finding per statistic, with its counts (and ``metadata``) attached."""
    return [
        Finding(
            kind="ngram",
            text=stat.ngram,
            score=stat.score,
            metadata={
                "count": stat.count,
                "share": stat.share,
                "reference_count": stat.reference_count,
                **({"by_group": stat.by_group} if stat.by_group else {}),
                **metadata,
            },
        )
        for stat in stats
    ]


def flagged_rates(
    flags: Iterable[tuple[Sequence[str], bool]], prefix: str = "flagged_rate"
) -> dict[str, float]:
    """Flagged fractions per group: ``{prefix: overall, f"{prefix}/{group}": ...}``.

    Args:
        flags: ``(groups, flagged)`` per text; each text counts towards the overall rate and each of its groups.
        prefix: Name of the overall metric.
    """
    totals: dict[str, list[int]] = {prefix: [0, 0]}
    for groups, flagged in flags:
        for key in (prefix, *(f"{prefix}/{group}" for group in groups)):
            entry = totals.setdefault(key, [0, 0])
            entry[0] += bool(flagged)
            entry[1] += 1
    return {key: hits / count for key, (hits, count) in totals.items() if count}


def answers_report(
    prompts: Sequence[str],
    answers: Sequence[str],
    matcher: FlagMatcher,
    setting: str,
    value: float,
    *,
    unflagged: int,
) -> tuple[dict[str, float], list[Finding]]:
    """Metrics and findings of answers generated under one setting (e.g. one noise scale).

    Args:
        prompts: The prompt of each answer.
        answers: The answers.
        matcher: The auditor's flag terms.
        setting: Name of the varied setting (``scale``, ``strength``).
        value: Its value for these answers.
        unflagged: How many answers without a flag term to keep as findings.

    Returns:
        ``(metrics, findings)``: with flag terms, ``flagged_rate/<setting>=<value>`` and its Wilson
        interval (``flagged_rate_low/...``, ``flagged_rate_high/...``); every flagged answer (score 1)
        and the first ``unflagged`` others (score 0) as ``sample`` findings.
    """
    from auditgame.evals.intervals import wilson_interval

    group = f"{setting}={value:g}"
    matches = [matcher.matches(answer) for answer in answers]
    metrics: dict[str, float] = {}
    if matcher:
        rate = wilson_interval(sum(bool(found) for found in matches), len(matches))
        metrics.update(
            {
                f"flagged_rate/{group}": rate.rate,
                f"flagged_rate_low/{group}": rate.low,
                f"flagged_rate_high/{group}": rate.high,
            }
        )
    findings: list[Finding] = []
    kept = 0
    for prompt, answer, found in zip(prompts, answers, matches, strict=True):
        if found or kept < unflagged:
            kept += not found
            findings.append(
                Finding(
                    kind="sample",
                    text=answer,
                    score=float(bool(found)),
                    metadata={"prompt": prompt, setting: value, "flagged": bool(found), "matched": found},
                )
            )
    return metrics, findings
