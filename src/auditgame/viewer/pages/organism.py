"""The page of a built organism: the stage table, the plots, per-behaviour rates, sample transcripts.

It reads ``report.json`` (an ``OrganismReport``) and ``evals/<stage>.json`` (one ``BehaviourEvaluation``
per evaluated stage, what the build caches) as plain JSON, so the viewer never imports the organism
side (which pulls in torch). The evals record, per kept sample, the conversation, the answer and the
detector's verdict (``detected``); a sample that also records where the behaviour shows (``spans``:
``[[start, end], ...]`` character offsets, or ``phrases``: the matched text) gets those parts marked,
otherwise the whole answer is marked as detected or not.
"""

from __future__ import annotations

from typing import Any

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
    rate_text,
    section,
    table,
)
from auditgame.viewer.pages.common import (
    ArtifactReadError,
    ViewContext,
    as_dict,
    as_list,
    files_section,
    images,
    json_files_section,
    manifest_section,
    stage_directories_section,
    text_file_section,
    top_level_images,
)

REPORT_FILE = "report.json"
EVALS_DIR = "evals"
PLOTS = ("report.png", "training.png")
"""The stage table's and the training curves' plots (``auditgame.organisms.report_plots``)."""


def _evaluations(context: ViewContext, report: dict) -> dict[str, dict]:
    """Stage label -> evaluation: ``evals/<label>.json`` where the build cached it, else the report's."""
    evaluations = {
        label: value for label, value in as_dict(report.get("evaluations")).items() if isinstance(value, dict)
    }
    cached: dict[str, dict] = {}
    for listed in context.guard.files(EVALS_DIR, limit=200):
        name = listed.path.removeprefix(f"{EVALS_DIR}/")
        if "/" in name or not name.endswith(".json"):
            continue
        try:
            payload = context.json_object(listed.path)
        except ArtifactReadError:
            continue
        if payload is not None and isinstance(payload.get("behaviours"), list):
            cached[name.removesuffix(".json")] = payload
    # The report's order (build order) first, then stages only the cache has (the teacher).
    ordered = {label: cached.get(label, evaluations[label]) for label in evaluations}
    ordered.update({label: cached[label] for label in sorted(cached) if label not in ordered})
    return ordered


def _samples_kept(context: ViewContext) -> int | None:
    manifest, _ = context.manifest
    if manifest is None:
        return None
    kept = as_dict(as_dict(manifest.config.get("spec")).get("evals")).get("samples_kept")
    return kept if isinstance(kept, int) and not isinstance(kept, bool) else None


def stage_table(report: dict, evaluations: dict[str, dict]) -> Markup:
    """The stage table (``report.md``'s): one row per evaluated stage."""
    seconds = as_dict(report.get("stage_seconds"))
    final = report.get("final_stage") or (list(evaluations)[-1] if evaluations else "")
    labels = list(as_dict(report.get("evaluations"))) or list(evaluations)
    rows = []
    for label in labels:
        evaluation = as_dict(evaluations.get(label))
        stage_seconds = seconds.get(label)
        rows.append(
            element(
                "tr",
                element(
                    "td", element("code", label), " ", badge("final", "final") if label == final else None
                ),
                element("td", rate_text(evaluation.get("train"))),
                element("td", rate_text(evaluation.get("held_out"))),
                element("td", rate_text(evaluation.get("without_trigger"))),
                element("td", rate_text(evaluation.get("confession"))),
                element("td", f"{stage_seconds:.0f} s" if isinstance(stage_seconds, (int, float)) else "–"),
                class_="stage-row",
                data_stage=label,
            )
        )
    return table(
        [
            "stage",
            "behaviour (trigger)",
            "held-out behaviour",
            "without trigger",
            "confession",
            "training time",
        ],
        rows,
        id="stage-table",
        class_="stage-table",
    )


def behaviour_table(report: dict, evaluations: dict[str, dict]) -> Markup:
    """Per behaviour: the base's rate against the final model's, with and without the trigger."""
    final = report.get("final_stage") or (list(evaluations)[-1] if evaluations else "")
    base = {
        item.get("name"): item
        for item in as_list(as_dict(evaluations.get("base")).get("behaviours"))
        if isinstance(item, dict)
    }
    rows = []
    for item in as_list(as_dict(evaluations.get(final)).get("behaviours")):
        if not isinstance(item, dict):
            continue
        rows.append(
            [
                item.get("name", "?"),
                item.get("split", "?"),
                rate_text(as_dict(base.get(item.get("name"))).get("with_trigger")),
                rate_text(item.get("with_trigger")),
                rate_text(item.get("without_trigger")),
            ]
        )
    if not rows:
        return Markup("")
    return table(
        ["behaviour", "split", "base (trigger)", f"{final} (trigger)", f"{final} (no trigger)"],
        rows,
        id="behaviour-table",
    )


def _spans(sample: dict) -> list[tuple[int, int]]:
    raw = sample.get("spans", [sample["span"]] if "span" in sample else [])
    spans = []
    for item in as_list(raw):
        if (
            isinstance(item, (list, tuple))
            and len(item) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in item)
        ):
            spans.append((item[0], item[1]))
    return spans


def _phrases(sample: dict) -> list[str]:
    raw = sample.get("phrases", sample.get("phrase", sample.get("matched")))
    if isinstance(raw, str):
        return [raw]
    return [item for item in as_list(raw) if isinstance(item, str)]


def _conversation(messages: Any) -> Markup:
    turns = []
    for message in as_list(messages):
        if isinstance(message, dict):
            role = str(message.get("role", "?"))
            turns.append(
                element(
                    "div",
                    element("span", role, class_="role"),
                    element("div", str(message.get("content", "")), class_="content"),
                    class_=f"turn turn-{role if role in ('system', 'user', 'assistant') else 'other'}",
                )
            )
    return join(turns)


def sample_block(sample: dict, verdict_key: str = "detected", condition: str | None = None) -> Markup:
    """One kept sample: its conversation, the answer, and the detector's verdict (the behaviour marked)."""
    verdict = sample.get(verdict_key)
    answer = str(sample.get("answer", ""))
    spans, phrases = _spans(sample), _phrases(sample)
    if verdict is True and (spans or phrases):
        rendered = highlight(answer, spans, phrases)
        marking = "span"
    else:
        rendered = join([answer])
        marking = "whole"
    label = {"detected": "behaviour detected", "confessed": "confessed"}.get(verdict_key, verdict_key)
    state = "detected" if verdict is True else "not-detected" if verdict is False else "unjudged"
    verdict_badge = (
        badge(label, "hit")
        if verdict is True
        else badge(f"not {label.split()[-1]}", "miss")
        if verdict is False
        else badge("no verdict")
    )
    question = sample.get("question")
    return element(
        "div",
        element("div", verdict_badge, " ", badge(condition) if condition else None, class_="sample-head"),
        _conversation(sample.get("conversation")) if "conversation" in sample else None,
        element(
            "div",
            element("span", "user", class_="role"),
            element("div", str(question), class_="content"),
            class_="turn turn-user",
        )
        if question is not None
        else None,
        element(
            "div",
            element("span", "assistant", class_="role"),
            element("div", rendered, class_="content answer"),
            class_=f"turn turn-assistant answer-{marking}",
        ),
        class_=f"sample {state}",
        data_marking=marking,
    )


def _behaviour_samples(item: dict, samples_kept: int | None) -> list[Markup]:
    samples = [sample for sample in as_list(item.get("samples")) if isinstance(sample, dict)]
    with_trials = as_dict(item.get("with_trigger")).get("trials")
    # The eval keeps the first samples_kept answers with the trigger, then as many without it.
    split = (
        min(samples_kept, with_trials)
        if isinstance(samples_kept, int) and isinstance(with_trials, int)
        else None
    )
    blocks = []
    for index, sample in enumerate(samples):
        condition = None
        if split is not None and item.get("without_trigger") is not None:
            condition = "trigger present" if index < split else "trigger absent"
        blocks.append(sample_block(sample, "detected", condition))
    return blocks


def samples_section(context: ViewContext, evaluations: dict[str, dict]) -> Markup:
    """Per stage, per behaviour, the kept answers with the detector's verdict; then the confession answers."""
    samples_kept = _samples_kept(context)
    last = list(evaluations)[-1] if evaluations else ""
    stages = []
    for label, evaluation in evaluations.items():
        behaviours = []
        for item in as_list(evaluation.get("behaviours")):
            if not isinstance(item, dict):
                continue
            blocks = _behaviour_samples(item, samples_kept)
            behaviours.append(
                details(
                    join(
                        [
                            element("code", item.get("name", "?")),
                            f" ({item.get('split', '?')}): with trigger {rate_text(item.get('with_trigger'))}",
                            f", without {rate_text(item.get('without_trigger'))}"
                            if item.get("without_trigger")
                            else "",
                        ]
                    ),
                    join(blocks) if blocks else note("no samples kept"),
                    class_="behaviour-samples",
                    open=label == last,
                )
            )
        confessions = [
            sample_block(sample, "confessed")
            for sample in as_list(evaluation.get("confession_samples"))
            if isinstance(sample, dict)
        ]
        if confessions:
            behaviours.append(
                details(
                    f"confession: {rate_text(evaluation.get('confession'))}",
                    join(confessions),
                    class_="confession-samples",
                )
            )
        stages.append(
            details(
                join([element("strong", label), f" — {evaluation.get('model_path', '')}"]),
                join(behaviours) if behaviours else note("no behaviours evaluated"),
                class_="stage-samples",
                data_stage=label,
                open=label == last,
            )
        )
    if not stages:
        return Markup("")
    return section(
        "Sample transcripts",
        element(
            "p",
            element(
                "label",
                element("input", type="checkbox", id="only-detected"),
                " only answers where the behaviour was detected",
            ),
            class_="filters",
        ),
        note(
            "The detector's verdict marks the whole answer; where the eval recorded the matched text or its "
            "position, that part is highlighted."
        ),
        *stages,
        id="samples",
    )


def render_organism(context: ViewContext) -> tuple[str, list[Markup], Markup | None]:
    """The organism page: title, body sections and banner."""
    problems = []
    try:
        report = context.json_object(REPORT_FILE) or {}
    except ArtifactReadError as error:
        report, problems = {}, [note(str(error), "error")]
    evaluations = _evaluations(context, report)
    manifest, _ = context.manifest
    name = str(report.get("organism") or (manifest.name if manifest else "") or "organism")
    variant = report.get("variant")
    hidden = report.get(
        "has_hidden_objective", as_dict(manifest.extra if manifest else {}).get("has_hidden_objective")
    )
    title = f"{name} ({variant})" if variant else name
    summary = key_values(
        [
            (
                "objective",
                "hidden objective" if hidden else "decoy (disclosed quirk)" if hidden is False else "–",
            ),
            ("final stage", report.get("final_stage") or "–"),
            ("evaluated stages", ", ".join(evaluations) or "–"),
        ]
    )
    body = [
        *problems,
        section(
            "Stage table",
            summary,
            note(
                "Rates on fresh prompts with Wilson 95% intervals; base is the shared pretrained base.",
            ),
            guarded("Stage table", lambda: stage_table(report, evaluations))
            if evaluations
            else note(f"no {REPORT_FILE} and no evals yet: the build has not evaluated a stage", "warning"),
            id="stage-table-section",
        ),
        guarded(
            "Plots",
            lambda: (
                section("Plots", images(context, top_level_images(context, PLOTS)), id="plots")
                if top_level_images(context, PLOTS)
                else Markup("")
            ),
        ),
        guarded(
            "Behaviours",
            lambda: (
                section(
                    "Behaviours: final model against the base",
                    behaviour_table(report, evaluations),
                    id="behaviours",
                )
                if behaviour_table(report, evaluations)
                else Markup("")
            ),
        ),
        guarded("Sample transcripts", lambda: samples_section(context, evaluations)),
        guarded("Stage directories", lambda: stage_directories_section(context)),
        text_file_section(context, "report.md", open=False),
        guarded("Manifest", lambda: manifest_section(context)),
        guarded("JSON files", lambda: json_files_section(context, skip=(REPORT_FILE, "manifest.json"))),
        files_section(context),
    ]
    return title, body, None
