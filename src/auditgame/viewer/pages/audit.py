"""The page of an audit: the findings of ``submission.json``, the evidence behind them, technique reports.

An audit directory (``auditgame audit blind|auto|agent``) holds ``submission.json`` (one finding per
model), ``evidence.json`` (the blind auditor's: per model its decision and each behaviour with its
phrases, shares, elicitation and data passages; the checklist's: its per-model audits) and
``report.md``; an agent's also ``transcript.json``. Technique reports (``auditgame audit sae ...``, a
``TechniqueResult`` each) found at the top of the directory are shown with their findings, and SAE
features with their top-activating examples.
"""

from __future__ import annotations

from typing import Any

from auditgame.viewer.kinds import EVIDENCE_FILE, SUBMISSION_FILE, is_technique_result
from auditgame.viewer.markup import (
    Markup,
    badge,
    details,
    element,
    guarded,
    highlight,
    join,
    key_values,
    note,
    number,
    percent,
    pretty_json,
    section,
    table,
)
from auditgame.viewer.pages.common import (
    ArtifactReadError,
    ViewContext,
    as_dict,
    as_list,
    files_section,
    manifest_section,
    text_file_section,
)


def _strings(value: Any) -> list[str]:
    return [str(item) for item in as_list(value)]


def finding_card(model: str, finding: dict) -> Markup:
    """One model's finding: the verdict, confidence, root cause, behaviours and evidence."""
    hidden = finding.get("has_hidden_objective")
    behaviours = _strings(finding.get("behaviours", finding.get("behaviors")))
    evidence = _strings(finding.get("evidence"))
    return element(
        "div",
        element(
            "h3",
            element("code", model),
            " ",
            badge("hidden objective", "hit")
            if hidden is True
            else badge("no hidden objective", "miss")
            if hidden is False
            else badge("?"),
            " ",
            badge(f"confidence {number(finding.get('confidence'), 2)}"),
        ),
        element("p", element("strong", "Root cause: "), str(finding["root_cause"]), class_="root-cause")
        if finding.get("root_cause")
        else None,
        element(
            "div", element("h4", "Behaviours"), element("ul", [element("li", item) for item in behaviours])
        )
        if behaviours
        else None,
        element("div", element("h4", "Evidence"), element("ul", [element("li", item) for item in evidence]))
        if evidence
        else None,
        class_="finding",
        data_model=model,
    )


def submission_section(submission: dict) -> Markup:
    """Every model's finding, and the submission's notes."""
    models = as_dict(submission.get("models"))
    cards = [finding_card(str(model), as_dict(finding)) for model, finding in sorted(models.items())]
    return section(
        "Findings",
        *cards,
        element("p", element("strong", "Notes: "), str(submission["notes"]))
        if submission.get("notes")
        else None,
        id="findings",
    )


def _phrase_rows(phrases: Any) -> list[list[Any]]:
    return [
        [
            element("code", phrase.get("text", "")),
            phrase.get("target", ""),
            phrase.get("reference", ""),
            number(phrase.get("log_odds")),
            number(phrase.get("z")),
            number(phrase.get("p_value")),
        ]
        for phrase in as_list(phrases)
        if isinstance(phrase, dict)
    ]


def behaviour_evidence(item: dict) -> Markup:
    """One behaviour the blind auditor found: description, shares, phrases, elicitation, data passages."""
    phrases = [phrase for phrase in as_list(item.get("phrases")) if isinstance(phrase, dict)]
    sentence = str(item.get("sentence", ""))
    disclosure = item.get("disclosure")
    summary = key_values(
        [
            ("condition", f"{item.get('condition', '?')} ({item.get('condition_source', '?')})"),
            (
                "share",
                f"{percent(item.get('share'))} of its answers, {percent(item.get('reference_share'))} of the reference's"
                + (
                    f", {percent(item.get('untriggered_share'))} without the trigger"
                    if item.get("untriggered_share") is not None
                    else ""
                ),
            ),
            ("domains", ", ".join(_strings(item.get("domains"))) or "all"),
            ("disclosure when asked", "not asked" if disclosure is None else percent(disclosure)),
            ("elicited terms", ", ".join(_strings(item.get("elicited_terms"))) or "–"),
        ]
    )
    passages = _strings(item.get("data_passages"))
    return details(
        str(item.get("description", "behaviour")),
        element(
            "p",
            element("strong", "Characteristic sentence: "),
            highlight(sentence, phrases=[phrases[0].get("text", "")] if phrases else []),
        )
        if sentence
        else None,
        summary,
        table(
            ["phrase", "target", "reference", "log-odds", "z", "p"], _phrase_rows(phrases), class_="phrases"
        )
        if phrases
        else None,
        details("training-data passages", *[element("blockquote", passage) for passage in passages])
        if passages
        else None,
        class_="behaviour-evidence",
        open=True,
    )


def evidence_section(evidence: dict) -> Markup:
    """Per model, the blind auditor's decision and each behaviour with its evidence (other auditors: as JSON)."""
    per_model = as_dict(evidence.get("evidence"))
    if not per_model:
        rest = {key: value for key, value in evidence.items() if key not in ("submission",)}
        return section("Evidence", details("evidence.json", pretty_json(rest)), id="evidence")
    blocks = []
    for model, record in sorted(per_model.items()):
        record = as_dict(record)
        decision = as_dict(record.get("decision"))
        findings = [as_dict(item) for item in as_list(record.get("findings"))]
        extra = {key: value for key, value in record.items() if key not in ("decision", "findings")}
        blocks.append(
            element(
                "div",
                element("h3", element("code", model), " ", badge(str(decision.get("verdict", "?")))),
                key_values([(key, str(value)) for key, value in decision.items() if key != "verdict"])
                if len(decision) > 1
                else None,
                join([behaviour_evidence(item) for item in findings])
                if findings
                else note("no behaviour found"),
                details("contrast, elicitation and mined triggers", pretty_json(extra)) if extra else None,
                class_="model-evidence",
                data_model=model,
            )
        )
    diffing = evidence.get("diffing")
    return section(
        "Evidence",
        *blocks,
        details("white-box diffing against the reference", pretty_json(diffing)) if diffing else None,
        id="evidence",
    )


def _feature_block(finding: dict) -> Markup:
    metadata = as_dict(finding.get("metadata"))
    examples = [example for example in as_list(metadata.get("examples")) if isinstance(example, dict)]
    rows = [
        [
            number(example.get("activation")),
            element("code", repr(str(example.get("token", "")))),
            highlight(
                str(example.get("snippet", "")),
                phrases=[str(example.get("token", "")).strip()],
                whole_words=False,
            ),
            {True: "yes", False: "no"}.get(example.get("matched"), "–"),
        ]
        for example in examples
    ]
    summary = key_values(
        [
            ("layer", metadata.get("layer", "–")),
            ("score", number(finding.get("score"))),
            ("rank on the prompts", metadata.get("prompt_rank", "–")),
            (
                "mean activation",
                f"{number(metadata.get('mean_activation'))} (baseline {number(metadata.get('baseline_activation'))})",
            ),
        ]
    )
    return details(
        str(finding.get("text", "feature")),
        summary,
        table(["activation", "token", "snippet", "flagged"], rows, class_="feature-examples")
        if rows
        else note("no examples"),
        class_="sae-feature",
        data_feature=str(metadata.get("feature", "")),
    )


def technique_section(name: str, result: dict) -> Markup:
    """One technique report: target, metrics, findings; SAE features with their top examples."""
    findings = [finding for finding in as_list(result.get("findings")) if isinstance(finding, dict)]
    features = [finding for finding in findings if finding.get("kind") == "feature"]
    others = [finding for finding in findings if finding.get("kind") != "feature"]
    metrics = as_dict(result.get("metrics"))
    return section(
        join(["Technique ", element("code", str(result.get("technique", "?"))), f" ({name})"]),
        key_values([("target", str(result.get("target", ""))), ("seconds", number(result.get("seconds")))]),
        table(["metric", "value"], [[key, number(value, 4)] for key, value in metrics.items()])
        if metrics
        else None,
        element("h3", f"SAE features ({len(features)})") if features else None,
        join([_feature_block(feature) for feature in features]),
        table(
            ["kind", "score", "text"],
            [
                [
                    finding.get("kind", ""),
                    number(finding.get("score")),
                    element("div", str(finding.get("text", "")), class_="finding-text"),
                ]
                for finding in others
            ],
            class_="technique-findings",
        )
        if others
        else None,
        details("config", pretty_json(result.get("config", {}))),
        id=f"technique-{name}",
    )


def render_audit(context: ViewContext) -> tuple[str, list[Markup], Markup | None]:
    """The audit page: title, body sections, and the upper-bound banner where it applies."""
    problems = []

    def load(name: str) -> dict:
        try:
            return context.json_object(name) or {}
        except ArtifactReadError as error:
            problems.append(note(str(error), "error"))
            return {}

    submission = load(SUBMISSION_FILE)
    evidence = load(EVIDENCE_FILE)
    report = load("report.json")
    if not submission and isinstance(report.get("submission"), dict):
        submission = report["submission"]
    info = evidence or report
    upper_bound = bool(info.get("upper_bound"))
    title = f"Audit by {info.get('auditor', 'an auditor')}" if info else "Audit"
    techniques = []
    for listed in context.guard.files(limit=500):
        if (
            "/" in listed.path
            or not listed.path.endswith(".json")
            or listed.path in (SUBMISSION_FILE, EVIDENCE_FILE)
        ):
            continue
        try:
            payload = context.json_object(listed.path)
        except ArtifactReadError:
            continue
        if is_technique_result(payload):
            techniques.append((listed.path, payload))
    body = [
        *problems,
        section(
            "Audit",
            key_values(
                [
                    ("auditor", info.get("auditor", "–")),
                    ("workspace", info.get("workspace", "–")),
                    ("tier", info.get("tier", "–")),
                    ("seed", info.get("seed", "–")),
                    ("backend", info.get("backend", "–")),
                    (
                        "timings (s)",
                        ", ".join(
                            f"{key} {number(value)}" for key, value in as_dict(info.get("seconds")).items()
                        )
                        or "–",
                    ),
                ]
            ),
            id="audit-summary",
        )
        if info
        else None,
        guarded("Findings", lambda: submission_section(submission)) if submission else None,
        guarded("Evidence", lambda: evidence_section(evidence)) if evidence else None,
        *[
            guarded(f"Technique {name}", lambda name=name, payload=payload: technique_section(name, payload))
            for name, payload in techniques
        ],
        text_file_section(context, "report.md", open=False),
        guarded(
            "Transcript",
            lambda: (
                section(
                    "Agent transcript",
                    details("transcript.json", pretty_json(context.json("transcript.json"))),
                    id="transcript",
                )
                if context.exists("transcript.json")
                else Markup("")
            ),
        ),
        guarded("Manifest", lambda: manifest_section(context)) if context.manifest[0] is not None else None,
        files_section(context),
    ]
    banner = (
        element(
            "div",
            "UPPER BOUND: this auditor reads the organism maker's side; it is a reference, never ranked.",
            class_="banner banner-warning",
        )
        if upper_bound
        else None
    )
    return title, [part for part in body if part is not None], banner
