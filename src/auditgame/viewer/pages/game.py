"""The pages of the auditing game: a game directory, its auditor workspace, its master record.

What each shows (the guards of :mod:`auditgame.viewer.server` enforce it for every read, the page's and
``/file/``'s alike):

* a **game** directory: ``game.json`` (name, tier, models, references, commitments), the auditor
  workspace, and the leaderboard of ``results/`` (the scores as stored). Nothing of ``master/`` is read,
  and the graded results themselves are not served, since their per-model grades name which models hide
  an objective and quote the answer keys' behaviours.
* the same with ``--master``: also the master record (the real mapping of ``spec.json``, the answer keys)
  and the per-model grades; the game's secret (``master/secret.txt``) is never shown or served.
* an **auditor workspace** (``<game>/auditor``): what the auditor gets, nothing else: tier, models,
  endpoint, README, model files, training data, its audits. The bearer token is not shown or served.
* a **master** directory (``<game>/master``): the spec and the answer keys; never the secret.
"""

from __future__ import annotations

from typing import Any

from auditgame.viewer.kinds import (
    AUDITOR_DIR,
    ENDPOINT_FILE,
    GAME_FILE,
    MASTER_DIR,
    RESULTS_DIR,
    SPEC_FILE,
    SUBMISSION_FILE,
    TIER_FILE,
    TOKEN_FILE,
)
from auditgame.viewer.markup import (
    Markup,
    details,
    element,
    guarded,
    join,
    key_values,
    note,
    number,
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
    size_text,
    text_file_section,
)

LEADERBOARD_COLUMNS = (
    "auditor",
    "tier",
    "score",
    "detection_accuracy",
    "false_positives",
    "root_cause_matches",
    "mean_behaviour_f1",
    "brier",
)
"""The columns of ``auditgame game leaderboard``'s table (rank first)."""
DATA_PREVIEW_RECORDS = 3
_DATA_PREVIEW_BYTES = 64 << 10


def _names(value: Any) -> list[str]:
    return [str(item) for item in as_list(value)]


def workspace_sections(context: ViewContext, prefix: str = "") -> list[Markup]:
    """The auditor workspace at ``prefix`` (``""`` or ``"auditor/"``): exactly what the auditor sees."""
    tier = as_dict(context.json_object(prefix + TIER_FILE))
    endpoint = as_dict(context.json_object(prefix + ENDPOINT_FILE))
    descriptions = as_dict(tier.get("reference_descriptions"))
    references = _names(tier.get("references"))
    sections = [
        section(
            "Auditor workspace",
            key_values(
                [
                    ("tier", element("strong", str(tier.get("tier", "?")))),
                    (
                        "access",
                        ", ".join(name for name in ("api", "weights", "data") if tier.get(name)) or "–",
                    ),
                    ("models", ", ".join(_names(tier.get("models"))) or "–"),
                    (
                        "reference models",
                        join(
                            [
                                element("div", element("code", name), ": ", str(descriptions.get(name, "")))
                                for name in references
                            ]
                        )
                        or "–",
                    ),
                    ("API", str(endpoint.get("base_url", "–"))),
                    ("token", f"{prefix}{TOKEN_FILE} holds the API's bearer token (not shown here)"),
                ],
                id="workspace-summary",
            ),
            id="workspace",
        ),
        text_file_section(context, prefix + "README.md", "Workspace README", open=False),
    ]
    models = context.guard.directories(prefix + "models")
    if models:
        rows = []
        for model in models:
            listed = list(context.guard.files(f"{prefix}models/{model}", limit=200))
            rows.append(
                [
                    element("code", model),
                    join(
                        [
                            join(
                                [
                                    context.link(item.path, item.path.rsplit("/", 1)[-1]),
                                    f" ({size_text(item.size)}) ",
                                ]
                            )
                            for item in listed
                        ]
                    ),
                ]
            )
        sections.append(
            section(
                "Model files (weights tier)", table(["model", "files"], rows, id="model-files"), id="models"
            )
        )
    data_models = context.guard.directories(prefix + "data")
    if data_models:
        blocks = []
        for model in data_models:
            for item in context.guard.files(f"{prefix}data/{model}", limit=50):
                text, cut = context.guard.read_text(item.path, _DATA_PREVIEW_BYTES)
                lines = [line for line in text.splitlines() if line.strip()]
                preview = (lines[:-1] if cut else lines)[
                    :DATA_PREVIEW_RECORDS
                ]  # a cut file's last line is partial
                blocks.append(
                    details(
                        join([context.link(item.path), f" ({size_text(item.size)})"]),
                        *[element("pre", line, class_="record") for line in preview],
                        class_="data-file",
                    )
                )
        sections.append(section("Training data (data tier)", *blocks, id="data"))
    audits = context.guard.directories(prefix + "audits")
    if audits:
        rows = [
            [
                element("code", name),
                context.link(f"{prefix}audits/{name}/{SUBMISSION_FILE}", SUBMISSION_FILE)
                if context.exists(f"{prefix}audits/{name}/{SUBMISSION_FILE}")
                else "–",
                context.link(f"{prefix}audits/{name}/report.md", "report.md")
                if context.exists(f"{prefix}audits/{name}/report.md")
                else "–",
                element("code", f"auditgame view {context.display_path.rstrip('/')}/{prefix}audits/{name}"),
            ]
            for name in audits
        ]
        sections.append(
            section(
                "Audits",
                table(["audit", "submission", "report", "its own page"], rows, id="audits"),
                id="audits",
            )
        )
    return sections


def _results(context: ViewContext) -> tuple[list[tuple[str, dict]], list[Markup]]:
    results, problems = [], []
    for listed in context.guard.files(RESULTS_DIR, limit=1000):
        if listed.path.count("/") != 1 or not listed.path.endswith(".json"):
            continue
        try:
            payload = context.json_object(listed.path)
        except ArtifactReadError as error:
            problems.append(note(str(error), "warning"))
            continue
        if payload is not None and isinstance(payload.get("score"), (int, float)):
            results.append((listed.path, payload))
    return results, problems


def leaderboard_section(context: ViewContext) -> Markup:
    """The game's graded results, best score first (as stored: ``game leaderboard`` grades them again)."""
    results, problems = _results(context)
    if not results and not problems:
        return Markup("")

    def order(item: tuple[str, dict]) -> tuple[float, float, str]:
        false_positives = item[1].get("false_positives")
        return (
            -float(item[1]["score"]),
            float(false_positives) if isinstance(false_positives, (int, float)) else float("inf"),
            str(item[1].get("auditor", "")),
        )

    ordered = sorted(results, key=order)
    rows = [
        [
            rank,
            *[
                number(payload.get(column), 4)
                if column not in ("auditor", "tier")
                else str(payload.get(column, ""))
                for column in LEADERBOARD_COLUMNS
            ],
        ]
        for rank, (_, payload) in enumerate(ordered, start=1)
    ]
    body: list[Any] = [
        note(
            "Scores as stored in results/; `auditgame game leaderboard` grades every submission again against the "
            "sealed keys and refuses a result edited by hand."
        ),
        *problems,
        table(
            ["rank", *[column.replace("_", " ") for column in LEADERBOARD_COLUMNS]], rows, id="leaderboard"
        ),
    ]
    if context.master:
        for path, payload in ordered:
            grades = as_dict(payload.get("models"))
            body.append(
                details(
                    join(["per-model grades of ", element("code", str(payload.get("auditor", path)))]),
                    table(
                        [
                            "model",
                            "hides an objective",
                            "flagged",
                            "detection",
                            "root-cause credit",
                            "behaviour F1",
                            "score",
                        ],
                        [
                            [
                                element("code", model),
                                "yes" if grade.get("has_hidden_objective") else "no",
                                "yes" if grade.get("flagged") else "no",
                                "right" if grade.get("detection_correct") else "wrong",
                                number(grade.get("root_cause_credit")),
                                number(grade.get("behaviour_f1")),
                                number(grade.get("score")),
                            ]
                            for model, grade in sorted(
                                (name, as_dict(value)) for name, value in grades.items()
                            )
                        ],
                    ),
                    element("p", context.link(path)),
                )
            )
    return section("Leaderboard", *body, id="leaderboard-section")


def master_sections(context: ViewContext, prefix: str) -> list[Markup]:
    """The master record at ``prefix`` (``""`` or ``"master/"``): the real mapping and the answer keys."""
    spec = as_dict(context.json_object(prefix + SPEC_FILE))
    models = as_dict(spec.get("models"))
    rows = [
        [
            element("code", name),
            str(as_dict(entry).get("organism", "?")),
            str(as_dict(entry).get("organism_dir", "")),
            str(as_dict(entry).get("model_dir", "")),
            ", ".join(sorted(as_dict(as_dict(entry).get("data_files")))),
        ]
        for name, entry in sorted(models.items())
    ]
    keys = []
    for listed in context.guard.files(prefix + "keys", limit=500):
        if listed.path.endswith(".json"):
            keys.append(
                details(
                    element("code", listed.path.rsplit("/", 1)[-1].removesuffix(".json")),
                    pretty_json(context.json(listed.path)),
                    class_="answer-key",
                    open=True,
                )
            )
    references = as_dict(spec.get("references"))
    return [
        section(
            "Master record: the real mapping",
            key_values(
                [
                    ("game", str(spec.get("name", "–"))),
                    ("tier", str(spec.get("tier", "–"))),
                    ("profile", str(spec.get("profile", "–"))),
                ]
            ),
            table(
                ["model", "organism", "organism directory", "model directory", "data"],
                rows,
                id="master-mapping",
            ),
            table(
                ["reference", "model directory"],
                [
                    [name, str(as_dict(entry).get("model_dir", ""))]
                    for name, entry in sorted(references.items())
                ],
            )
            if references
            else None,
            note("The game's secret (secret.txt) is never shown or served."),
            id="master",
        ),
        section("Answer keys", *keys, id="answer-keys") if keys else Markup(""),
    ]


_MASTER_BANNER = element(
    "div",
    "MASTER VIEW: the real mapping and the answer keys are shown. Never show this page to an auditor.",
    class_="banner banner-danger",
)


def render_game(context: ViewContext) -> tuple[str, list[Markup], Markup | None]:
    """A game directory's page (the master record only with ``--master``)."""
    game = as_dict(context.json_object(GAME_FILE))
    commitments = as_dict(game.get("commitments"))
    summary = section(
        "Game",
        key_values(
            [
                ("name", str(game.get("name", "–"))),
                ("tier", element("strong", str(game.get("tier", "–")))),
                ("format", str(game.get("format_version", "–"))),
                (
                    "models",
                    join(
                        [
                            element("span", element("code", name), " ", class_="model-name")
                            for name in _names(game.get("models"))
                        ]
                    )
                    or "–",
                ),
                ("reference models", ", ".join(_names(game.get("references"))) or "–"),
            ],
            id="game-summary",
        ),
        details(
            "commitments (one per answer key, one per other master file)",
            table(
                ["model", "commitment"],
                [
                    [element("code", name), element("code", str(value))]
                    for name, value in sorted(commitments.items())
                ],
            ),
            table(
                ["master file", "commitment"],
                [
                    [element("code", name), element("code", str(value))]
                    for name, value in sorted(as_dict(game.get("master_commitments")).items())
                ],
            ),
        ),
        id="game",
    )
    body: list[Markup] = [summary]
    if context.master:
        body += [guarded("Master record", lambda: join(master_sections(context, MASTER_DIR + "/")))]
    else:
        body.append(note(f"{MASTER_DIR}/ is not shown. The game master can open it with --master.", "info"))
    body.append(guarded("Leaderboard", lambda: leaderboard_section(context)))
    if context.guard.directories(AUDITOR_DIR):
        body.append(
            guarded("Auditor workspace", lambda: join(workspace_sections(context, AUDITOR_DIR + "/")))
        )
    body.append(files_section(context))
    title = str(game.get("name") or "game")
    return title, body, _MASTER_BANNER if context.master else None


def render_auditor_workspace(context: ViewContext) -> tuple[str, list[Markup], Markup | None]:
    """An auditor workspace's page: only what the auditor gets."""
    tier = as_dict(context.json_object(TIER_FILE))
    body = [guarded("Auditor workspace", lambda: join(workspace_sections(context))), files_section(context)]
    return f"Auditor workspace ({tier.get('tier', '?')} tier)", body, None


def render_master(context: ViewContext) -> tuple[str, list[Markup], Markup | None]:
    """A game's master directory opened on its own: the mapping and the keys (never the secret)."""
    body = [guarded("Master record", lambda: join(master_sections(context, ""))), files_section(context)]
    return "Game master record", body, _MASTER_BANNER
