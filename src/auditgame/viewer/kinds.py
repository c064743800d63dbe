"""What a directory holds, for the viewer: from its manifest's ``kind`` and from its file layout.

The file names are those the writers use (``auditgame.game.keys``, ``auditgame.game.workspace``,
``auditgame.auditors``, ``auditgame.organisms.recipe``, ``auditgame.envs.curriculum``); they are repeated
here rather than imported because those modules pull in torch, and the viewer starts in a blink. A test
pins them to the writers' constants.
"""

from __future__ import annotations

import json
import os
from enum import Enum
from pathlib import Path

from auditgame.artifacts import MANIFEST_NAME, Manifest
from auditgame.viewer.guard import AUDITOR_DIR, GAME_FILE, MASTER_DIR, TOKEN_FILE, FileRefusedError, PathGuard

RESULTS_DIR = "results"
SECRET_FILE = "secret.txt"
SPEC_FILE = "spec.json"
TIER_FILE = "tier.json"
ENDPOINT_FILE = "endpoint.json"
SUBMISSION_FILE = "submission.json"
EVIDENCE_FILE = "evidence.json"
REPORT_JSON = "report.json"
ORGANISM_KIND = "organism"
CURRICULUM_KIND = "curriculum-report"
_MAX_SNIFFED_BYTES = 1 << 20

__all__ = [
    "AUDITOR_DIR",
    "CURRICULUM_KIND",
    "ENDPOINT_FILE",
    "EVIDENCE_FILE",
    "GAME_FILE",
    "MASTER_DIR",
    "ORGANISM_KIND",
    "REPORT_JSON",
    "RESULTS_DIR",
    "SECRET_FILE",
    "SPEC_FILE",
    "SUBMISSION_FILE",
    "TIER_FILE",
    "TOKEN_FILE",
    "ViewKind",
    "detect_kind",
    "is_master_dir",
    "is_technique_result",
    "read_view_manifest",
    "sniff_json",
]


class ViewKind(str, Enum):
    """The pages the viewer has; each directory gets one."""

    ORGANISM = "organism"
    AUDIT = "audit"
    GAME = "game"
    GAME_MASTER = "game-master"
    AUDITOR_WORKSPACE = "auditor-workspace"
    CURRICULUM = "curriculum"
    ARTIFACT = "artifact"
    """Anything else with a ``manifest.json``: the generic page."""


def read_view_manifest(guard: PathGuard) -> tuple[Manifest | None, str]:
    """The directory's manifest through ``guard`` (None if it has none), and why it could not be read."""
    try:
        text, cut = guard.read_text(MANIFEST_NAME, _MAX_SNIFFED_BYTES)
    except FileRefusedError:
        return None, ""
    if cut:
        return None, f"{MANIFEST_NAME} is larger than {_MAX_SNIFFED_BYTES // 1024} KiB"
    try:
        return Manifest.model_validate_json(text), ""
    except ValueError as error:
        return None, f"{MANIFEST_NAME} is not a valid manifest ({type(error).__name__})"


def sniff_json(guard: PathGuard, relative: str) -> dict | None:
    """The JSON object in ``relative`` if the guard lets it through, it is small enough and parses."""
    try:
        text, cut = guard.read_text(relative, _MAX_SNIFFED_BYTES)
    except FileRefusedError:
        return None
    if cut:
        return None
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None


def is_technique_result(payload: dict | None) -> bool:
    """Whether ``payload`` looks like an audit technique's JSON report (``TechniqueResult``)."""
    return (
        bool(payload)
        and isinstance(payload.get("technique"), str)
        and isinstance(payload.get("findings"), list)
    )


def is_master_dir(directory: Path) -> bool:
    """Whether ``directory`` is a game's ``master/`` (it sits beside ``game.json``, or holds the spec and keys)."""
    directory = Path(os.path.realpath(directory))
    if directory.name == MASTER_DIR and (directory.parent / GAME_FILE).is_file():
        return True
    return (directory / SPEC_FILE).is_file() and (directory / "keys").is_dir()


def detect_kind(directory: Path, guard: PathGuard | None = None) -> ViewKind | None:
    """The page ``directory`` gets, or None when it holds nothing the viewer knows.

    In order: a game (``game.json``), a game's master record, an auditor workspace (``tier.json`` and
    ``endpoint.json``), an organism (manifest kind ``organism``, or an unfinished one's ``report.json``),
    a curriculum run (manifest kind ``curriculum-report``, or its ``report.json``), an audit
    (``submission.json``, ``evidence.json`` or technique reports), then any other artifact with a manifest.
    """
    directory = Path(directory)
    guard = guard or PathGuard(directory)
    if guard.allows(GAME_FILE):
        return ViewKind.GAME
    if is_master_dir(directory):
        return ViewKind.GAME_MASTER
    if guard.allows(TIER_FILE) and guard.allows(ENDPOINT_FILE):
        return ViewKind.AUDITOR_WORKSPACE
    manifest, _ = read_view_manifest(guard)
    kind = manifest.kind if manifest is not None else None
    if kind == ORGANISM_KIND:
        return ViewKind.ORGANISM
    if kind == CURRICULUM_KIND:
        return ViewKind.CURRICULUM
    report = sniff_json(guard, REPORT_JSON) if kind is None else None
    if report is not None and isinstance(report.get("evaluations"), dict) and "organism" in report:
        return ViewKind.ORGANISM
    if report is not None and {"models", "kept", "start_model"} <= set(report):
        return ViewKind.CURRICULUM
    if guard.allows(SUBMISSION_FILE) or guard.allows(EVIDENCE_FILE):
        return ViewKind.AUDIT
    if manifest is not None or guard.allows(
        MANIFEST_NAME
    ):  # an unreadable manifest: the generic page says why
        return ViewKind.ARTIFACT
    if any(
        is_technique_result(sniff_json(guard, listed.path))
        for listed in guard.files(limit=200)
        if "/" not in listed.path and listed.path.endswith(".json")
    ):
        return ViewKind.AUDIT
    return None
