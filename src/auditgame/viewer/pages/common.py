"""What every page has: the context it reads through, the manifest, images, text and JSON files, the file list."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from auditgame.artifacts import MANIFEST_NAME, Manifest
from auditgame.viewer.guard import FileRefusedError, PathGuard
from auditgame.viewer.kinds import ViewKind, read_view_manifest
from auditgame.viewer.markup import (
    Child,
    Markup,
    details,
    element,
    file_link,
    file_url,
    join,
    key_values,
    note,
    preformatted,
    pretty_json,
    section,
    table,
)

MAX_JSON_BYTES = 16 << 20
"""The largest JSON file a page parses (a report, evidence, an eval); larger ones are only listed."""
MAX_TEXT_BYTES = 1 << 20
"""How much of a text file (README, report.md) a page quotes."""
MAX_INLINE_JSON_BYTES = 1 << 20
"""JSON files up to this size are pretty-printed on the generic page."""
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


class ArtifactReadError(ValueError):
    """A file of the artifact that a page needs but cannot parse (shown as an error note)."""


@dataclass
class ViewContext:
    """What a page renders from: the viewed directory, read only through its guards.

    Attributes:
        guard: Every read of the page goes through it.
        file_guard: What ``/file/`` serves; it may deny more than ``guard`` (a game's graded results,
            whose per-model grades give the answer keys away, are summarised on the page but not served).
        kind: The page's kind.
        display_path: The path as the user gave it (for the header).
        master: Whether the game master's record may be shown.
    """

    guard: PathGuard
    file_guard: PathGuard
    kind: ViewKind
    display_path: str
    master: bool = False
    _manifest: tuple[Manifest | None, str] | None = field(default=None, repr=False)

    def exists(self, relative: str) -> bool:
        """Whether the page may read ``relative`` (a regular file the guard lets through)."""
        return self.guard.allows(relative)

    def servable(self, relative: str) -> bool:
        """Whether ``/file/`` serves ``relative``, so the page may link to it."""
        return self.file_guard.allows(relative)

    def text(self, relative: str, limit: int = MAX_TEXT_BYTES) -> tuple[str, bool] | None:
        """The text of ``relative`` (and whether it was cut), or None if the guard does not let it through."""
        try:
            return self.guard.read_text(relative, limit)
        except FileRefusedError:
            return None

    def json(self, relative: str, limit: int = MAX_JSON_BYTES) -> Any:
        """The parsed JSON of ``relative``, or None if the guard does not let it through.

        Raises:
            ArtifactReadError: if it is larger than ``limit`` or not valid JSON.
        """
        read = self.text(relative, limit)
        if read is None:
            return None
        text, cut = read
        if cut:
            raise ArtifactReadError(f"{relative} is larger than {limit >> 20} MiB: open it as a file")
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as error:
            raise ArtifactReadError(f"{relative} is not valid JSON ({type(error).__name__})") from None

    def json_object(self, relative: str, limit: int = MAX_JSON_BYTES) -> dict | None:
        """:meth:`json`, which must be an object.

        Raises:
            ArtifactReadError: if the file is not a JSON object.
        """
        payload = self.json(relative, limit)
        if payload is not None and not isinstance(payload, dict):
            raise ArtifactReadError(f"{relative} does not hold a JSON object")
        return payload

    @property
    def manifest(self) -> tuple[Manifest | None, str]:
        """The directory's manifest (None if absent or unreadable) and why it is unreadable."""
        if self._manifest is None:
            self._manifest = read_view_manifest(self.guard)
        return self._manifest

    def link(self, relative: str, text: Child | None = None) -> Markup:
        """A link to ``relative`` if ``/file/`` serves it, else its name as plain text."""
        return (
            file_link(relative, text)
            if self.servable(relative)
            else join([text if text is not None else relative])
        )


def as_dict(value: Any) -> dict:
    """``value`` if it is a dict, else an empty one (a malformed field reads as missing)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    """``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def created_text(created_unix: Any) -> str:
    """A manifest's creation time as UTC text."""
    try:
        moment = datetime.datetime.fromtimestamp(float(created_unix), tz=datetime.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return "–"
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def manifest_section(context: ViewContext, *, open: bool = False) -> Markup:
    """The manifest: kind, name, seed, creation, parents, versions, hashed files, its summary and config."""
    manifest, problem = context.manifest
    if manifest is None:
        if problem:
            return section("Manifest", note(problem, "warning"), id="manifest")
        return section(
            "Manifest",
            note(f"no {MANIFEST_NAME}: an unfinished run, or not an artifact", "warning"),
            id="manifest",
        )
    summary = key_values(
        [
            ("kind", manifest.kind),
            ("name", manifest.name or "–"),
            ("seed", "–" if manifest.seed is None else manifest.seed),
            ("created", created_text(manifest.created_unix)),
            ("parents", join([element("div", parent) for parent in manifest.parents]) or "–"),
            (
                "versions",
                ", ".join(f"{name} {version}" for name, version in manifest.versions.items()) or "–",
            ),
            (
                "files",
                f"{len(manifest.hashes)} hashed" + (" (the whole directory)" if manifest.complete else ""),
            ),
        ]
    )
    return section(
        "Manifest",
        summary,
        details("summary (extra)", pretty_json(manifest.extra)) if manifest.extra else None,
        details("config", pretty_json(manifest.config)) if manifest.config else None,
        element("p", context.link(MANIFEST_NAME, "manifest.json")),
        id="manifest",
    )


def images(context: ViewContext, names: Iterable[str]) -> Markup:
    """A figure per image that ``/file/`` serves."""
    figures = [
        element(
            "figure",
            element("a", element("img", src=file_url(name), alt=name, loading="lazy"), href=file_url(name)),
            element("figcaption", name),
        )
        for name in names
        if context.servable(name)
    ]
    return element("div", figures, class_="figures") if figures else Markup("")


def top_level_images(context: ViewContext, first: Iterable[str] = ()) -> list[str]:
    """The images at the top of the directory, ``first`` (if present) before the others."""
    present = [
        listed.path
        for listed in context.guard.files(limit=2000)
        if "/" not in listed.path and listed.path.lower().endswith(IMAGE_SUFFIXES)
    ]
    ordered = [name for name in first if name in present]
    return ordered + [name for name in present if name not in ordered]


def text_file_section(
    context: ViewContext, relative: str, title: str | None = None, *, open: bool = True
) -> Markup:
    """A text file (``report.md``, ``README.md``) quoted in a collapsible block, if present."""
    read = context.text(relative)
    if read is None:
        return Markup("")
    text, cut = read
    return section(
        title or relative,
        details(context.link(relative), preformatted(text, cut), open=open),
        id="text-" + relative.replace("/", "-").replace(".", "-"),
    )


def size_text(size: int) -> str:
    """A file size in B, KiB, MiB or GiB."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def files_section(
    context: ViewContext, under: str = "", *, title: str = "Files", limit: int = 2000
) -> Markup:
    """Every file ``/file/`` serves under ``under`` (none of the denied ones), with sizes and links."""
    rows = []
    for listed in context.file_guard.files(under, limit=limit + 1):
        if len(rows) == limit:
            rows.append([f"… more than {limit} files", ""])
            break
        rows.append([file_link(listed.path), size_text(listed.size)])
    body = table(["file", "size"], rows, class_="files") if rows else note("no files to show")
    return section(title, details(f"{min(len(rows), limit)} files", body), id="files")


def json_files_section(context: ViewContext, skip: Iterable[str] = ()) -> Markup:
    """The top-level JSON files (not in ``skip``), pretty-printed in collapsed blocks."""
    skipped = set(skip)
    blocks = []
    for listed in context.guard.files(limit=2000):
        if "/" in listed.path or not listed.path.endswith(".json") or listed.path in skipped:
            continue
        if listed.size > MAX_INLINE_JSON_BYTES:
            blocks.append(
                element("p", context.link(listed.path), f" ({size_text(listed.size)}: open it as a file)")
            )
            continue
        try:
            payload = context.json(listed.path, MAX_INLINE_JSON_BYTES)
        except ArtifactReadError as error:
            blocks.append(note(str(error), "warning"))
            continue
        blocks.append(
            details(
                element("code", listed.path), pretty_json(payload), element("p", context.link(listed.path))
            )
        )
    return section("JSON files", *blocks, id="json-files") if blocks else Markup("")


def stage_directories_section(context: ViewContext) -> Markup:
    """The nested artifacts (subdirectories with a manifest): name, kind, seed, metrics."""
    rows = []
    for name in context.guard.directories():
        relative = f"{name}/{MANIFEST_NAME}"
        if not context.exists(relative):
            continue
        try:
            manifest = Manifest.model_validate_json(context.text(relative)[0])  # type: ignore[index]
        except (ValueError, TypeError):
            rows.append([element("code", name), "unreadable manifest", "", "", "", ""])
            continue
        metrics = as_dict(manifest.extra.get("metrics"))
        rows.append(
            [
                element("code", name),
                manifest.kind,
                manifest.name or "–",
                "–" if manifest.seed is None else manifest.seed,
                ", ".join(
                    f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}"
                    for key, value in metrics.items()
                )
                or "–",
                context.link(relative, "manifest"),
            ]
        )
    if not rows:
        return Markup("")
    return section(
        "Stage directories",
        table(["directory", "kind", "name", "seed", "metrics", ""], rows, id="stage-directories"),
        id="stages",
    )
