"""The curriculum page and the generic page of any other artifact with a manifest."""

from __future__ import annotations

from typing import Any

from auditgame.viewer.markup import (
    Markup,
    element,
    guarded,
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

HELD_OUT_METRICS = (("reward_tampering", "reward tampering"), ("tamper_and_cover", "tampering + covering"))
"""On the held-out stage the curriculum reports tampering (``auditgame.envs.curriculum.render_report``)."""


def _stage_order(models: list[dict]) -> list[tuple[str, int]]:
    stages: dict[str, int] = {}
    for model in models:
        for name, rates in as_dict(model.get("rates")).items():
            number_ = as_dict(rates).get("stage")
            stages.setdefault(str(name), number_ if isinstance(number_, int) else 10**6)
    return sorted(stages.items(), key=lambda item: (item[1], item[0]))


def _seconds(value: Any) -> str:
    return f"{value:.0f} s" if isinstance(value, (int, float)) and not isinstance(value, bool) else "–"


def curriculum_table(report: dict) -> Markup:
    """Each model of the curriculum, its specification-gaming rate per stage; tampering on the held-out one."""
    models = [as_dict(model) for model in as_list(report.get("models"))]
    stages = _stage_order(models)
    held_out = stages[-1][0] if stages else ""
    headers: list[Any] = ["model"]
    for name, _ in stages:
        headers += (
            [f"{name}: {label}" for _, label in HELD_OUT_METRICS]
            if name == held_out
            else [f"{name}: spec gaming"]
        )
    rows = []
    for model in models:
        rates = as_dict(model.get("rates"))
        cells: list[Any] = [element("code", str(model.get("label", "?")))]
        for name, _ in stages:
            stage = as_dict(rates.get(name))
            metrics = [key for key, _ in HELD_OUT_METRICS] if name == held_out else ["spec_gaming"]
            cells += [rate_text(stage.get(metric)) if stage else "—" for metric in metrics]
        rows.append(cells)
    return table(headers, rows, id="curriculum-table")


def _in_stage_order(report: dict, kept: dict) -> list[tuple[str, Any]]:
    order = {
        name: index
        for index, (name, _) in enumerate(_stage_order([as_dict(m) for m in as_list(report.get("models"))]))
    }
    return sorted(kept.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def render_curriculum(context: ViewContext) -> tuple[str, list[Markup], Markup | None]:
    """A curriculum run's page: the rates table, its plot, the episodes kept per stage, the paper's numbers."""
    problems = []
    try:
        report = context.json_object("report.json") or {}
    except ArtifactReadError as error:
        report, problems = {}, [note(str(error), "error")]
    config = as_dict(report.get("config"))
    kept = as_dict(report.get("kept"))
    body = [
        *problems,
        section(
            "Curriculum",
            key_values(
                [
                    ("variant", str(config.get("variant", "–"))),
                    ("start model", str(report.get("start_model", "–"))),
                    ("time", _seconds(report.get("seconds"))),
                ]
            ),
            note("Exact (Clopper–Pearson) 95% intervals; the last stage is held out (never trained on)."),
            guarded("Curriculum table", lambda: curriculum_table(report)),
            id="curriculum",
        ),
        guarded(
            "Plots",
            lambda: (
                section("Plots", images(context, top_level_images(context, ("report.png",))), id="plots")
                if top_level_images(context, ("report.png",))
                else Markup("")
            ),
        ),
        section(
            "Episodes kept for fine-tuning",
            table(
                ["stage", "kept", "sampled"],
                [[name, *[*as_list(value), "", ""][:2]] for name, value in _in_stage_order(report, kept)],
                id="kept",
            ),
            id="kept-section",
        )
        if kept
        else Markup(""),
        section(
            "The paper's numbers",
            key_values([(key, str(value)) for key, value in as_dict(report.get("paper")).items()]),
            id="paper",
        )
        if report.get("paper")
        else Markup(""),
        text_file_section(context, "report.md", open=False),
        guarded("Manifest", lambda: manifest_section(context)),
        files_section(context),
    ]
    return f"Curriculum ({config.get('variant', '?')})", body, None


def render_artifact(context: ViewContext) -> tuple[str, list[Markup], Markup | None]:
    """Any artifact with a manifest: the manifest, its images, report/README, JSON files, nested stages, files."""
    manifest, _ = context.manifest
    title = (manifest.name or manifest.kind) if manifest is not None else context.display_path
    body = [
        guarded("Manifest", lambda: manifest_section(context, open=True)),
        guarded(
            "Images",
            lambda: (
                section("Images", images(context, top_level_images(context, ("report.png",))), id="images")
                if top_level_images(context)
                else Markup("")
            ),
        ),
        text_file_section(context, "report.md"),
        text_file_section(context, "README.md"),
        guarded("JSON files", lambda: json_files_section(context, skip=("manifest.json",))),
        guarded("Stage directories", lambda: stage_directories_section(context)),
        files_section(context),
    ]
    return title, body, None
