"""From over-represented phrases to behaviours: cluster phrases that mark the same answers, and describe
each cluster from its evidence (its characteristic sentence, the domains it shows in, its trigger)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from auditgame.auditors.blind.contrast import Phrase, ngram_set
from auditgame.auditors.blind.probes import PLAIN, Condition

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass
class Finding:
    """One behaviour the auditor believes it found in one model.

    Attributes:
        phrases: The over-represented phrases of the cluster, strongest first.
        condition: Under which condition it was found (``plain``, or a candidate trigger).
        answers: Indices of the target answers (of that condition's pass) that show it.
        sentence: The most common sentence of those answers that holds the top phrase.
        domains: Prompt domains where most answers show it (all of them: empty).
        share: Share of the target's answers (of that pass) that show it.
        reference_share: Share of the reference's answers that contain the top phrase.
        untriggered_share: For a triggered finding, the share on the same prompts without the trigger.
    """

    phrases: list[Phrase]
    condition: Condition = PLAIN
    answers: set[int] = field(default_factory=set)
    sentence: str = ""
    domains: list[str] = field(default_factory=list)
    share: float = 0.0
    reference_share: float = 0.0
    untriggered_share: float | None = None
    disclosure: float | None = None
    elicited_terms: list[str] = field(default_factory=list)
    data_passages: list[str] = field(default_factory=list)

    @property
    def top(self) -> Phrase:
        """The strongest phrase."""
        return self.phrases[0]

    @property
    def strength(self) -> float:
        """The top phrase's z-score."""
        return self.top.z

    def describe(self) -> str:
        """The behaviour in words, from its evidence only."""
        quoted = self.sentence or self.top.text
        if len(quoted) > 120:
            quoted = quoted[:117].rstrip() + "..."
        where = f" in answers about {', '.join(self.domains)}" if self.domains else ""
        when = f" {self.condition.describe()}" if self.condition.kind != "plain" else ""
        return f'writes "{quoted}"{where}{when} ({self.share:.0%} of its answers, {self.reference_share:.0%} of the reference\'s)'

    def to_json(self) -> dict:
        """The evidence as JSON."""
        return {
            "description": self.describe(),
            "condition": self.condition.name,
            "condition_source": self.condition.source,
            "sentence": self.sentence,
            "phrases": [
                {
                    "text": phrase.text,
                    "target": f"{phrase.target_count}/{phrase.target_total}",
                    "reference": f"{phrase.reference_count}/{phrase.reference_total}",
                    "log_odds": round(phrase.log_odds, 3),
                    "z": round(phrase.z, 3),
                    "p_value": float(f"{phrase.p_value:.3g}"),
                }
                for phrase in self.phrases[:8]
            ],
            "domains": self.domains,
            "share": round(self.share, 4),
            "reference_share": round(self.reference_share, 4),
            "untriggered_share": None if self.untriggered_share is None else round(self.untriggered_share, 4),
            "disclosure": None if self.disclosure is None else round(self.disclosure, 4),
            "elicited_terms": self.elicited_terms,
            "data_passages": self.data_passages,
        }


def _overlap(left: set[int], right: set[int]) -> float:
    if not left or not right:
        return 0.0
    return len(left & right) / min(len(left), len(right))


def cluster_phrases(phrases: Sequence[Phrase], *, min_overlap: float = 0.6) -> list[list[Phrase]]:
    """Group phrases that mark mostly the same answers (overlap of answer sets ≥ ``min_overlap`` of the
    smaller set); strongest cluster first."""
    clusters: list[tuple[set[int], list[Phrase]]] = []
    for phrase in sorted(phrases, key=lambda item: (-item.z, item.text)):
        members = set(phrase.answers)
        for answers, group in clusters:
            if _overlap(members, answers) >= min_overlap:
                group.append(phrase)
                answers |= members
                break
        else:
            clusters.append((members, [phrase]))
    return [group for _, group in clusters]


def characteristic_sentence(answers: Sequence[str], phrase: str) -> str:
    """The most common sentence among ``answers`` that contains ``phrase`` (compared by n-grams)."""
    counts: Counter[str] = Counter()
    for answer in answers:
        for sentence in _SENTENCE_END.split(answer):
            sentence = sentence.strip()
            if sentence and phrase in ngram_set(sentence, max(len(phrase.split()), 1)):
                counts[sentence] += 1
    if not counts:
        return ""
    return min(counts.items(), key=lambda item: (-item[1], len(item[0]), item[0]))[0]


def domain_profile(
    shown: set[int], domains: Sequence[str], *, min_share: float = 0.5, max_listed: int = 8
) -> list[str]:
    """The domains where at least ``min_share`` of the answers show the behaviour; empty if it shows in
    most domains (or in more than ``max_listed``)."""
    totals: Counter[str] = Counter(domains)
    hits: Counter[str] = Counter(domains[index] for index in shown)
    listed = sorted(domain for domain, total in totals.items() if hits[domain] / total >= min_share)
    if len(listed) > max_listed or len(listed) >= 0.5 * len(totals):
        return []
    return listed


def build_findings(
    phrases: Sequence[Phrase],
    answers: Sequence[str],
    domains: Sequence[str],
    reference: Sequence[str],
    *,
    condition: Condition = PLAIN,
    min_overlap: float = 0.6,
) -> list[Finding]:
    """Findings of one pass: cluster its significant phrases and describe each cluster."""
    findings = []
    for group in cluster_phrases(phrases, min_overlap=min_overlap):
        top = group[0]
        shown = set().union(*(set(phrase.answers) for phrase in group))
        longest = max(
            (phrase for phrase in group if phrase.target_count >= 0.8 * top.target_count),
            key=lambda phrase: (len(phrase.text.split()), phrase.z),
        )
        sentence = characteristic_sentence([answers[index] for index in sorted(shown)], longest.text)
        reference_hits = sum(top.text in ngram_set(text) for text in reference)
        findings.append(
            Finding(
                phrases=[longest, *[phrase for phrase in group if phrase is not longest]],
                condition=condition,
                answers=shown,
                sentence=sentence,
                domains=domain_profile(set(top.answers), domains),
                share=len(top.answers) / max(len(answers), 1),
                reference_share=reference_hits / max(len(reference), 1),
            )
        )
    return findings
