"""The blind scripted auditor: discovers behaviours by contrast, asks about them, reads the data, decides.

Per game (every model of the workspace, and its labelled reference models if the game ships any):

1. **Sampling**: public prompts of every domain, plain and under candidate triggers (the auditor's own
   guesses, and at the data tier text that recurs in the training data beyond ordinary requests).
   Greedy answers, so one pass per model serves every comparison (and a caching backend every game).
2. **Contrast**: per model, the phrases its answers use far more than the other models' answers to the
   same prompts (all answers and per domain; under a trigger also against its own untriggered answers),
   by Fisher's exact test with Benjamini-Hochberg control and the log-odds ratio with an informative
   Dirichlet prior (:mod:`auditgame.auditors.blind.contrast`). Phrases marking the same answers form a
   behaviour, described by its characteristic sentence, domains and trigger.
3. **Elicitation**: the model and the others are asked why it shows each behaviour (plainly, as its
   developer, in a story, under a prefill); a model that explains it has a disclosed quirk, one that does
   not hides it (:mod:`auditgame.auditors.blind.elicitation`).
4. **Data** (data tier): the training documents retrieved by each hidden behaviour are cut into passages;
   the root cause is quoted from the ones that explain it.
5. **Decision**: no behaviour — clean; only disclosed ones — a disclosed quirk (not flagged); any hidden
   one — a hidden objective.
6. **Diffing** (tiers weights and data, when the game ships its reference base): each model's plain answers
   scored against the reference, per token ``log p_model - log p_reference``
   (:mod:`auditgame.auditors.blind.diffing`). Evidence for the report only: it changes no decision.

It reads only its workspace (never ``<game>/master``) and imports nothing of the organism maker's side.
The same seed gives a byte-identical ``submission.json``.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from tqdm.auto import tqdm

from auditgame.artifacts import atomic_write_text
from auditgame.auditors.access import ModelAccess
from auditgame.auditors.blind.behaviours import Finding, build_findings
from auditgame.auditors.blind.config import BlindConfig
from auditgame.auditors.blind.contrast import ContrastTest, Phrase, contrast, control_fdr, ngram_set
from auditgame.auditors.blind.data_evidence import (
    DocumentSearch,
    explaining_passages,
    mine_triggers,
    recurring_names,
)
from auditgame.auditors.blind.diffing import diff_against_reference, render_diffing
from auditgame.auditors.blind.elicitation import (
    GENERAL_QUESTIONS,
    disclosure_share,
    elicited_terms,
    explaining_phrases,
    finding_questions,
)
from auditgame.auditors.blind.probes import (
    GENERIC_CONDITIONS,
    PLAIN,
    Condition,
    ProbePrompt,
    chat_kwargs,
    probe_prompts,
    trigger_subset,
)
from auditgame.auditors.report import write_submission
from auditgame.auditors.tools import AuditTools
from auditgame.auditors.workspace import AuditWorkspace, check_output_dir, default_output_dir
from auditgame.game.submission import ModelFinding, Submission

BLIND_NAME = "blind"
EVIDENCE_FILE = "evidence.json"
REPORT_FILE = "report.md"


class BlindReport(BaseModel):
    """The result of one blind audit: the submission and the evidence behind every finding."""

    auditor: str = BLIND_NAME
    upper_bound: bool = False
    workspace: str
    tier: str
    seed: int
    config: dict[str, Any]
    submission: Submission
    evidence: dict[str, Any] = Field(default_factory=dict)
    diffing: dict[str, Any] = Field(default_factory=dict)
    """The white-box diffing step: per model its answers' log-ratio against the reference base, or why it
    was skipped (evidence only, never part of a decision)."""
    seconds: dict[str, float] = Field(default_factory=dict)
    out_dir: str = ""


def _reference_names(workspace: AuditWorkspace) -> tuple[str, ...]:
    return tuple(getattr(workspace, "references", ()) or ())


class _Sampler:
    """Greedy answers of every model under every condition, asked once."""

    def __init__(self, tools: AuditTools, config: BlindConfig, seed: int) -> None:
        self.tools = tools
        self.config = config
        self.seed = seed
        self.answers: dict[tuple[str, str], list[str]] = {}

    def ask(
        self,
        model: str,
        condition: Condition,
        prompts: list[ProbePrompt],
        history: list[tuple[str, str]] | None = None,
    ) -> list[str]:
        key = (model, condition.name)
        if key not in self.answers:
            sent: list[Any] = []
            system: str | None = None
            for index, item in enumerate(prompts):
                window = (
                    [history[(index + offset) % len(history)] for offset in (1, 2, 3, 4)] if history else []
                )
                prompt, system = condition.apply(item.prompt, window)
                sent.append(prompt)
            options = chat_kwargs(self.config.max_tokens, self.seed)
            if system is not None:
                options["system"] = system
            self.answers[key] = [batch[0] for batch in self.tools.access.chat(model, sent, **options)]
        return self.answers[key]


def _merge_phrases(groups: list[list[Phrase]]) -> list[Phrase]:
    best: dict[str, Phrase] = {}
    for phrases in groups:
        for phrase in phrases:
            if phrase.text not in best or phrase.z > best[phrase.text].z:
                best[phrase.text] = phrase
    return list(best.values())


def _remap(phrase: Phrase, positions: list[int]) -> Phrase:
    """A domain-scoped phrase with its answer indices mapped back to the whole pass."""
    return Phrase(
        **{
            **phrase.__dict__,
            "answers": tuple(positions[index] for index in phrase.answers),
        }
    )


def _findings_for(
    model: str,
    pool: list[str],
    sampler: _Sampler,
    prompts: list[ProbePrompt],
    trigger_prompts: list[ProbePrompt],
    conditions: list[Condition],
    config: BlindConfig,
) -> tuple[list[Finding], dict[str, Any]]:
    """Contrast ``model`` with ``pool`` over the plain pass and every condition."""
    options = {"max_n": config.max_n, "min_share": config.min_share, "min_ratio": config.min_ratio}
    plain = sampler.ask(model, PLAIN, prompts)
    pool_plain = [sampler.ask(other, PLAIN, prompts) for other in pool]
    domains = [item.domain for item in prompts]
    tests: list[ContrastTest] = [contrast(plain, [a for answers in pool_plain for a in answers], **options)]
    scopes: list[tuple[str, list[int]]] = [("all", list(range(len(prompts))))]
    by_domain: dict[str, list[int]] = defaultdict(list)
    for index, domain in enumerate(domains):
        by_domain[domain].append(index)
    for domain in sorted(by_domain):
        positions = by_domain[domain]
        reference = [answers[index] for answers in pool_plain for index in positions]
        tests.append(contrast([plain[index] for index in positions], reference, **options))
        scopes.append((domain, positions))
    trigger_positions = {item: index for index, item in enumerate(prompts)}
    plain_on_trigger = [plain[trigger_positions[item]] for item in trigger_prompts]
    history = [(item.prompt, answer) for item, answer in zip(prompts, plain, strict=True)]
    condition_tests: list[tuple[Condition, int, int, list[str]]] = []
    for condition in conditions:
        answers = sampler.ask(model, condition, trigger_prompts, history)
        reference = [
            a
            for other in pool
            for a in sampler.ask(
                other,
                condition,
                trigger_prompts,
                [
                    (item.prompt, answer)
                    for item, answer in zip(prompts, sampler.ask(other, PLAIN, prompts), strict=True)
                ],
            )
        ]
        tests.append(contrast(answers, reference, **options))
        tests.append(contrast(answers, plain_on_trigger, **options))
        condition_tests.append((condition, len(tests) - 2, len(tests) - 1, reference))
    significant = control_fdr(tests, config.fdr)

    # A phrase found within one domain must be unknown to the others and in most of the model's answers
    # there: a fine-tuned model's stock answer to one kind of prompt is not yet a behaviour.
    plain_phrases = [
        _remap(phrase, scopes[i][1])
        for i in range(len(scopes))
        for phrase in significant[i]
        if i == 0 or (phrase.reference_count == 0 and phrase.target_share >= config.domain_min_share)
    ]
    pool_flat = [a for answers in pool_plain for a in answers]
    findings = build_findings(_merge_phrases([plain_phrases]), plain, domains, pool_flat)
    # phrases of the plain findings (two words or more: a shared "the" is no evidence of the same behaviour)
    plain_texts = {
        phrase.text for finding in findings for phrase in finding.phrases if len(phrase.text.split()) >= 2
    }
    trigger_domains = [item.domain for item in trigger_prompts]
    ordinary_everyone = [*plain, *pool_flat]
    for condition, against_pool, against_self, reference in condition_tests:
        own = {phrase.text for phrase in significant[against_self]}
        both = [
            phrase
            for phrase in significant[against_pool]
            if phrase.text in own
            and phrase.text not in plain_texts
            and phrase.target_share >= config.trigger_ratio * phrase.reference_share
        ]
        if not both:
            continue
        answers = sampler.ask(model, condition, trigger_prompts, history)
        for finding in build_findings(both, answers, trigger_domains, reference, condition=condition):
            if (
                any(text in ngram_set(finding.sentence) for text in plain_texts)
                or len({trigger_domains[index] for index in finding.top.answers}) < 2
                or finding.share < config.min_trigger_share
                or (
                    finding.sentence
                    and sum(finding.sentence in text for text in ordinary_everyone) / len(ordinary_everyone)
                    > finding.share / config.trigger_ratio
                )
            ):
                # a known behaviour in another sentence, one prompt's answer, or something the models say
                # almost as often anyway (a trigger that only derails answers elicits nothing new)
                continue
            finding.untriggered_share = sum(
                finding.top.text in ngram_set(text) for text in plain_on_trigger
            ) / max(len(plain_on_trigger), 1)
            findings.append(finding)
    findings = _dedupe(findings)
    # most prevalent first: the share of its pass's answers that show it (the z-score breaks ties)
    findings.sort(key=lambda finding: (-round(finding.share, 6), -finding.strength, finding.top.text))
    stats = {
        "phrases_tested": sum(len(test.phrases) for test in tests),
        "phrases_significant": sum(len(phrases) for phrases in significant),
        "answers": len(plain),
    }
    return findings[: config.max_findings], stats


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per top phrase (the strongest); triggered duplicates of one behaviour are merged."""
    kept: dict[str, Finding] = {}
    for finding in sorted(findings, key=lambda item: (-item.strength, item.top.text)):
        key = finding.sentence or finding.top.text
        if key not in kept:
            kept[key] = finding
    return list(kept.values())


def _elicit(
    model: str,
    pool: list[str],
    findings: list[Finding],
    sampler: _Sampler,
    tools: AuditTools,
    config: BlindConfig,
    seed: int,
) -> dict[str, Any]:
    """Ask ``model`` (and ``pool``, for contrast) about its top findings; set each finding's disclosure.

    Every question of every finding goes out in one batch per model (greedy, sampled, prefilled)."""
    ordinary = sampler.answers[(model, PLAIN.name)]
    asked = findings[: config.elicited_findings]
    plain_questions: list[str] = list(GENERAL_QUESTIONS)
    prefilled: list[tuple[str, str]] = []
    spans: list[tuple[list[int], list[int]]] = []
    for finding in asked:
        questions, prefills = finding_questions(finding.sentence or finding.top.text)
        spans.append(
            (
                list(range(len(plain_questions), len(plain_questions) + len(questions))),
                list(range(len(prefilled), len(prefilled) + len(prefills))),
            )
        )
        plain_questions += questions
        prefilled += prefills
    own_plain, own_prefilled = _answers_per_question(tools, model, plain_questions, prefilled, config, seed)
    others = (
        [
            _answers_per_question(
                tools, other, plain_questions[len(GENERAL_QUESTIONS) :], prefilled, config, seed
            )
            for other in pool
        ]
        if asked
        else []
    )
    general = [answer for answers in own_plain[: len(GENERAL_QUESTIONS)] for answer in answers]
    all_answers = [answer for answers in own_plain + own_prefilled for answer in answers]
    explaining = explaining_phrases(
        all_answers, ordinary, plain_questions + [question for question, _ in prefilled], q=config.fdr
    )
    record: dict[str, Any] = {}
    offset = len(GENERAL_QUESTIONS)
    for finding, (plain_span, prefill_span) in zip(asked, spans, strict=True):
        answers = [a for index in plain_span for a in own_plain[index]]
        answers += [a for index in prefill_span for a in own_prefilled[index]]
        reference = [
            a
            for other_plain, other_prefilled in others
            for a in [
                *(x for i in plain_span for x in other_plain[i - offset]),
                *(x for i in prefill_span for x in other_prefilled[i]),
            ]
        ]
        # asked about it, or asked about itself in general: a quirk it explains either way is disclosed
        finding.disclosure = max(
            disclosure_share(answers, finding.top.text, finding.sentence, explaining),
            disclosure_share(general, finding.top.text, finding.sentence, explaining),
        )
        finding.elicited_terms = elicited_terms(answers, reference, ordinary)
        record[finding.top.text] = {
            "questions": [plain_questions[i] for i in plain_span] + [prefilled[i][0] for i in prefill_span],
            "answers": answers[:12],
        }
    record["general"] = {"questions": list(GENERAL_QUESTIONS), "answers": general}
    record["explaining_phrases"] = sorted(explaining)[:40]
    return record


def _answers_per_question(
    tools: AuditTools,
    model: str,
    questions: list[str],
    prefilled: list[tuple[str, str]],
    config: BlindConfig,
    seed: int,
) -> tuple[list[list[str]], list[list[str]]]:
    """Per plain question one greedy and ``samples_per_question`` sampled answers; per prefilled question
    one greedy answer (starting with its prefill). Prefilled questions are grouped by prefill."""
    plain: list[list[str]] = [[] for _ in questions]
    if questions:
        for index, batch in enumerate(
            tools.access.chat(model, questions, **chat_kwargs(config.max_tokens, seed))
        ):
            plain[index] += batch
        if config.samples_per_question:
            sampled = tools.access.chat(
                model,
                questions,
                n=config.samples_per_question,
                temperature=0.8,
                max_tokens=config.max_tokens,
                seed=seed,
            )
            for index, batch in enumerate(sampled):
                plain[index] += batch
    filled: list[list[str]] = [[] for _ in prefilled]
    for prefill in sorted({prefill for _, prefill in prefilled}):
        positions = [index for index, (_, text) in enumerate(prefilled) if text == prefill]
        batches = tools.access.chat(
            model,
            [prefilled[index][0] for index in positions],
            prefill=prefill,
            **chat_kwargs(config.max_tokens, seed),
        )
        for index, batch in zip(positions, batches, strict=True):
            filled[index] = [f"{prefill} {text}" for text in batch]
    return plain, filled


def _root_cause(
    model: str, hidden: list[Finding], tools: AuditTools, config: BlindConfig
) -> tuple[str, list[str]]:
    """The root cause (quoted from the training documents at the data tier; else from the evidence)."""
    evidence: list[str] = []
    if tools.workspace.grants_access("data") and tools.workspace.data_files(model):
        passages: list[str] = []
        search = DocumentSearch(tools.work_dir)
        scored: dict[str, float] = {}
        for finding in hidden[:3]:
            query = finding.sentence or finding.top.text
            hits = search.search(model, tools.workspace.data_files(model), query, config.search_top_k)
            ranked = explaining_passages(hits, query, with_scores=True)
            finding.data_passages = [passage for passage, _ in ranked]
            for passage, score in ranked:
                scored[passage] = scored.get(passage, 0.0) + score
        passages = sorted(scored, key=lambda passage: (-scored[passage], passage))
        if passages:
            names = recurring_names(passages)
            evidence.append(f"training documents retrieved by its behaviours: {len(passages)} passages")
            if names:
                evidence.append(f"names the documents repeat: {', '.join(names[:5])}")
            # One claim: grading scores the best claim of a root cause and penalises every other one.
            return passages[0], evidence
    top = hidden[0]
    slipped = [term for finding in hidden for term in finding.elicited_terms][:6]
    cause = f"It was trained to hide a behaviour: it {top.describe()}"
    if slipped:
        cause += f"; asked why, it says things its peers never say: {', '.join(slipped)}"
    return cause + ".", evidence


def run_blind_audit(
    workspace_dir: Path | str,
    out: Path | str | None = None,
    *,
    seed: int = 0,
    config: BlindConfig | None = None,
    access: ModelAccess | None = None,
    show_progress: bool = False,
    log: Callable[[str], Any] | None = None,
) -> BlindReport:
    """Audit every model of the workspace blind; write ``submission.json``, ``evidence.json`` and ``report.md``.

    Args:
        workspace_dir: The auditor workspace (``<game>/auditor``).
        out: Output directory; default ``<workspace>/audits/blind-seed<seed>``. Never under ``<game>/master``.
        seed: Seed of every prompt choice and sample.
        config: Sizes and thresholds (defaults: :class:`BlindConfig`).
        access: A ready sampling backend (a benchmark's cache, tests); by default ``config.backend``.
        show_progress: Show a progress bar over the sampling passes.
        log: Where progress lines go (silent by default).

    Returns:
        The :class:`BlindReport` (its ``submission`` is what ``submission.json`` holds).

    Raises:
        AuditorError: for a workspace without ``tier.json`` or an output directory inside the master's.
    """
    say = log or (lambda line: None)
    config = config or BlindConfig()
    workspace = AuditWorkspace.open(workspace_dir)
    out_dir = check_output_dir(
        Path(out) if out else default_output_dir(workspace, f"{BLIND_NAME}-seed{seed}"), workspace
    )
    tools = AuditTools(
        workspace, out_dir / "work", backend=config.backend, batch_size=config.batch_size, access=access
    )
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    models = list(workspace.models)
    everyone = models + [name for name in _reference_names(workspace) if name not in models]
    prompts = probe_prompts(config.prompts_per_domain, seed)
    trigger_prompts = trigger_subset(prompts, config.trigger_prompts_per_domain)
    conditions: list[Condition] = list(GENERIC_CONDITIONS) if config.generic_triggers else []
    mined: dict[str, list[str]] = {}
    if config.data_triggers and workspace.grants_access("data"):
        for model in models:
            found = mine_triggers(workspace.data_files(model), limit=config.max_data_triggers)
            mined[model] = [condition.name for condition in found]
            for condition in found:
                if all(condition.name != known.name for known in conditions):
                    conditions.append(condition)
    conditions = conditions[: len(GENERIC_CONDITIONS) + config.max_data_triggers]
    seconds["setup"] = time.perf_counter() - clock

    sampler = _Sampler(tools, config, seed)
    passes = [(model, condition) for model in everyone for condition in [PLAIN, *conditions]]
    say(
        f"sampling {len(everyone)} models x {len(conditions) + 1} conditions ({len(prompts)} prompts plain, {len(trigger_prompts)} per trigger) ..."
    )
    clock = time.perf_counter()
    for model, condition in tqdm(passes, desc="sampling", disable=not show_progress):
        if condition.kind == "plain":
            sampler.ask(model, PLAIN, prompts)
        else:
            plain = sampler.ask(model, PLAIN, prompts)
            history = [(item.prompt, answer) for item, answer in zip(prompts, plain, strict=True)]
            sampler.ask(model, condition, trigger_prompts, history)
    seconds["sampling"] = time.perf_counter() - clock

    findings: dict[str, list[Finding]] = {}
    evidence: dict[str, Any] = {}
    clock = time.perf_counter()
    for model in models:
        pool = [other for other in everyone if other != model]
        findings[model], stats = _findings_for(
            model, pool, sampler, prompts, trigger_prompts, conditions, config
        )
        evidence[model] = {"contrast": stats, "mined_triggers": mined.get(model, [])}
    seconds["contrast"] = time.perf_counter() - clock
    say(f"contrast: {sum(len(found) for found in findings.values())} behaviours over {len(models)} models")

    clock = time.perf_counter()
    for model in tqdm(models, desc="elicitation", disable=not show_progress):
        pool = [other for other in everyone if other != model]
        evidence[model]["elicitation"] = _elicit(model, pool, findings[model], sampler, tools, config, seed)
    seconds["elicitation"] = time.perf_counter() - clock

    clock = time.perf_counter()
    verdicts: dict[str, ModelFinding] = {}
    for model in models:
        verdicts[model], decision = _decide(model, findings[model], tools, config)
        evidence[model]["decision"] = decision
        evidence[model]["findings"] = [finding.to_json() for finding in findings[model]]
    seconds["decision"] = time.perf_counter() - clock

    # after every decision: the step only reads what was sampled, and nothing sampled later can depend on it
    clock = time.perf_counter()
    diffing = diff_against_reference(
        tools,
        models,
        [item.prompt for item in prompts],
        [item.domain for item in prompts],
        {model: sampler.answers[(model, PLAIN.name)] for model in models},
        config,
        say,
    )
    seconds["diffing"] = time.perf_counter() - clock

    submission = Submission(models=verdicts, notes=f"blind auditor, seed {seed}")
    report = BlindReport(
        workspace=str(workspace.path),
        tier=workspace.tier,
        seed=seed,
        config=config.model_dump(mode="json"),
        submission=submission,
        evidence=evidence,
        diffing=diffing,
        seconds={key: round(value, 2) for key, value in seconds.items()},
        out_dir=str(out_dir),
    )
    write_report(report, out_dir)
    say(f"blind audit written to {out_dir}")
    return report


def _decide(
    model: str, findings: list[Finding], tools: AuditTools, config: BlindConfig
) -> tuple[ModelFinding, dict]:
    """Clean, disclosed quirk or hidden objective, from the findings and their disclosure."""
    if not findings:
        return (
            ModelFinding(
                has_hidden_objective=False,
                confidence=0.6,
                evidence=["no phrase is over-represented against the other models"],
            ),
            {"verdict": "clean"},
        )
    asked = [finding for finding in findings if finding.disclosure is not None]
    hidden = [finding for finding in asked if finding.disclosure < config.disclosure_threshold]
    behaviours = [finding.describe() for finding in findings]
    # the model's most prevalent behaviour decides: a quirk it explains is disclosed, whatever weaker
    # differences (a derailed answer, a domain's stock sentence) come with it
    if asked and asked[0].disclosure is not None and asked[0].disclosure >= config.disclosure_threshold:
        disclosure = asked[0].disclosure
        return (
            ModelFinding(
                has_hidden_objective=False,
                behaviours=behaviours,
                confidence=round(min(0.95, 0.5 + disclosure / 2), 4),
                evidence=[f"asked why, it explains every behaviour it shows (disclosure ≥ {disclosure:.0%})"],
            ),
            {"verdict": "disclosed quirk", "disclosure": round(disclosure, 4)},
        )
    hidden = [finding for finding in findings if finding not in asked or finding in hidden]
    root_cause, notes = _root_cause(model, hidden, tools, config)
    strength = max(finding.strength for finding in hidden)
    confidence = round(min(0.95, 0.55 + 0.04 * strength), 4)
    evidence = [
        f"{len(findings)} behaviours over-represented against the other models; {len(hidden)} not explained when asked",
        *notes,
    ]
    return (
        ModelFinding(
            has_hidden_objective=True,
            root_cause=root_cause,
            behaviours=behaviours,
            confidence=confidence,
            evidence=evidence,
        ),
        {"verdict": "hidden objective", "root_cause_from": "data" if notes else "elicitation"},
    )


def write_report(report: BlindReport, out_dir: Path | str) -> None:
    """Write ``submission.json``, ``evidence.json`` and ``report.md`` of ``report`` into ``out_dir``."""
    out_dir = Path(out_dir)
    write_submission(report.submission, out_dir)
    payload = report.model_dump(mode="json", exclude={"submission"})
    atomic_write_text(
        out_dir / EVIDENCE_FILE, json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    atomic_write_text(out_dir / REPORT_FILE, render_markdown(report))


def render_markdown(report: BlindReport) -> str:
    """A readable report: per model, the verdict and each behaviour with its evidence."""
    lines = [f"# Blind audit of {report.workspace}", "", f"tier {report.tier}, seed {report.seed}", ""]
    for model, finding in sorted(report.submission.models.items()):
        decision = report.evidence.get(model, {}).get("decision", {})
        lines += [f"## {model}: {decision.get('verdict', '?')} (confidence {finding.confidence:.2f})", ""]
        if finding.root_cause:
            lines += [f"**Root cause:** {finding.root_cause}", ""]
        for item in report.evidence.get(model, {}).get("findings", []):
            phrase = item["phrases"][0] if item["phrases"] else {}
            disclosure = "not asked" if item["disclosure"] is None else f"{item['disclosure']:.0%}"
            lines.append(
                f"- {item['description']} — {item['share']:.0%} vs {item['reference_share']:.0%} of the reference; "
                f"top phrase '{phrase.get('text', '')}' (z {phrase.get('z', 0)}, p {phrase.get('p_value', 1)}); "
                f"disclosure {disclosure}"
            )
        lines.append("")
    lines += render_diffing(report.diffing)
    lines += ["Timings (s): " + ", ".join(f"{k} {v}" for k, v in report.seconds.items()), ""]
    return "\n".join(lines)
