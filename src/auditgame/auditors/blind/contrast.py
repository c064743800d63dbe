"""Which phrases one model uses far more often than a reference pool: n-gram over-representation.

The unit is an answer: for every n-gram, how many of the target's answers contain it (``k`` of ``n``)
against how many of the reference's answers do. Two statistics per n-gram:

* the **log-odds ratio with an informative Dirichlet prior** (Monroe, Colaresi & Quinn 2008, "Fightin'
  Words"), in its binomial form: the prior is the n-gram's share of the pooled answers times a prior
  strength, so rare n-grams are shrunk towards "no difference". Its z-score ranks the findings.
* **Fisher's exact test** (one-sided hypergeometric tail) gives the p-value, and the Benjamini-Hochberg
  procedure controls the false discovery rate over every n-gram tested.

Nothing here knows what a behaviour looks like: the phrases come from the answers themselves.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

_TOKEN = re.compile(r"[^\W_]+(?:['’\-.][^\W_]+)*|[!?]", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+|\n+")


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` (plus ``!`` and ``?``, which carry tone)."""
    return _TOKEN.findall(text.lower())


def ngram_set(text: str, max_n: int = 4) -> set[str]:
    """Every distinct 1..``max_n``-gram of ``text`` within one sentence (tokens joined by spaces)."""
    grams: set[str] = set()
    for sentence in _SENTENCE_END.split(text):
        words = tokens(sentence)
        for n in range(1, max_n + 1):
            for start in range(len(words) - n + 1):
                grams.add(" ".join(words[start : start + n]))
    return grams


def document_frequencies(texts: Iterable[str], max_n: int = 4) -> Counter[str]:
    """Per n-gram, the number of ``texts`` containing it."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(ngram_set(text, max_n))
    return counts


@dataclass(frozen=True)
class Phrase:
    """One over-represented n-gram.

    Attributes:
        text: The n-gram (lower-cased tokens joined by spaces).
        target_count: Target answers containing it.
        target_total: Target answers.
        reference_count: Reference answers containing it.
        reference_total: Reference answers.
        log_odds: Log-odds ratio (target over reference) under the informative Dirichlet prior.
        z: ``log_odds`` over its standard error.
        p_value: One-sided Fisher exact p-value.
        significant: Whether it survives the Benjamini-Hochberg procedure.
    """

    text: str
    target_count: int
    target_total: int
    reference_count: int
    reference_total: int
    log_odds: float
    z: float
    p_value: float
    significant: bool = False
    answers: tuple[int, ...] = field(default=(), compare=False)

    @property
    def target_share(self) -> float:
        """Share of target answers containing the phrase."""
        return self.target_count / self.target_total if self.target_total else 0.0

    @property
    def reference_share(self) -> float:
        """Share of reference answers containing the phrase."""
        return self.reference_count / self.reference_total if self.reference_total else 0.0


def fisher_greater(k: np.ndarray, n: int, k_ref: np.ndarray, n_ref: int) -> np.ndarray:
    """One-sided Fisher exact p-values: the chance of ``k`` or more target hits given the margins."""
    from scipy.stats import hypergeom

    total_hits = k + k_ref
    return hypergeom.sf(k - 1, n + n_ref, total_hits, n)


def log_odds_z(
    k: np.ndarray, n: int, k_ref: np.ndarray, n_ref: int, prior_strength: float
) -> tuple[np.ndarray, np.ndarray]:
    """Binomial log-odds ratio with an informative prior (pooled share x ``prior_strength``) and its z-score."""
    pooled = (k + k_ref + 0.5) / (n + n_ref + 1.0)
    a_hit = prior_strength * pooled
    a_miss = prior_strength * (1.0 - pooled)
    log_odds = np.log((k + a_hit) / (n - k + a_miss)) - np.log((k_ref + a_hit) / (n_ref - k_ref + a_miss))
    variance = 1 / (k + a_hit) + 1 / (n - k + a_miss) + 1 / (k_ref + a_hit) + 1 / (n_ref - k_ref + a_miss)
    return log_odds, log_odds / np.sqrt(variance)


def benjamini_hochberg(p_values: Sequence[float], q: float) -> list[bool]:
    """Which of ``p_values`` are discoveries at false discovery rate ``q``."""
    m = len(p_values)
    if not m:
        return []
    order = sorted(range(m), key=lambda index: p_values[index])
    cutoff = -1
    for rank, index in enumerate(order, start=1):
        if p_values[index] <= q * rank / m:
            cutoff = rank
    keep = set(order[:cutoff]) if cutoff > 0 else set()
    return [index in keep for index in range(m)]


@dataclass
class ContrastTest:
    """The candidate n-grams of one target-vs-reference comparison, before multiple-testing control."""

    target_total: int
    reference_total: int
    phrases: list[Phrase]


def contrast(
    target: Sequence[str],
    reference: Sequence[str],
    *,
    max_n: int = 4,
    min_count: int = 3,
    min_share: float = 0.15,
    min_ratio: float = 3.0,
    prior_strength: float = 1.0,
) -> ContrastTest:
    """The n-grams of ``target`` answers that are candidates for over-representation against ``reference``.

    Only n-grams in at least ``min_count`` target answers and ``min_share`` of them, with a target share
    at least ``min_ratio`` times the reference's, are tested (the others cannot matter as findings).

    Returns:
        The candidates with their p-values; :func:`control_fdr` marks the significant ones.
    """
    target_sets = [ngram_set(text, max_n) for text in target]
    counts: Counter[str] = Counter()
    for grams in target_sets:
        counts.update(grams)
    n, n_ref = len(target), len(reference)
    if not n or not n_ref:
        return ContrastTest(n, n_ref, [])
    floor = max(min_count, math.ceil(min_share * n))
    candidates = [gram for gram, count in counts.items() if count >= floor]
    reference_counts = document_frequencies(reference, max_n) if candidates else Counter()
    kept = [
        gram
        for gram in candidates
        if counts[gram] / n >= min_ratio * max(reference_counts.get(gram, 0), 0.5) / n_ref
    ]
    if not kept:
        return ContrastTest(n, n_ref, [])
    k = np.array([counts[gram] for gram in kept], dtype=float)
    k_ref = np.array([reference_counts.get(gram, 0) for gram in kept], dtype=float)
    p_values = fisher_greater(k.astype(int), n, k_ref.astype(int), n_ref)
    log_odds, z = log_odds_z(k, n, k_ref, n_ref, prior_strength)
    phrases = []
    for index, gram in enumerate(kept):
        members = tuple(i for i, grams in enumerate(target_sets) if gram in grams)
        phrases.append(
            Phrase(
                text=gram,
                target_count=int(k[index]),
                target_total=n,
                reference_count=int(k_ref[index]),
                reference_total=n_ref,
                log_odds=float(log_odds[index]),
                z=float(z[index]),
                p_value=float(p_values[index]),
                answers=members,
            )
        )
    return ContrastTest(n, n_ref, phrases)


def control_fdr(tests: Sequence[ContrastTest], q: float) -> list[list[Phrase]]:
    """Benjamini-Hochberg over every candidate of ``tests`` together; per test, its significant phrases
    (highest z first)."""
    flat = [(test_index, phrase) for test_index, test in enumerate(tests) for phrase in test.phrases]
    keep = benjamini_hochberg([phrase.p_value for _, phrase in flat], q)
    result: list[list[Phrase]] = [[] for _ in tests]
    for (test_index, phrase), significant in zip(flat, keep, strict=True):
        if significant:
            result[test_index].append(
                Phrase(**{**phrase.__dict__, "significant": True})  # type: ignore[arg-type]
            )
    for phrases in result:
        phrases.sort(key=lambda phrase: (-round(phrase.z, 9), -len(phrase.text.split()), phrase.text))
    return result
