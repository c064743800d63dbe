"""The path guard: which files under the viewed directory the viewer may read, and nothing else.

Every read of the viewer, the page's as well as ``/file/<path>``'s, goes through one :class:`PathGuard`,
so a file the guard refuses can neither be served nor quoted in a page. A relative path is allowed when

* it is relative (no leading ``/``), has no ``..`` or ``.`` segment, no empty segment, no backslash and no
  NUL byte, and no segment that starts with a dot (``.auditgame-run.json``, ``master/.incomplete``);
* once every symbolic link is resolved, the file lies inside the resolved root (so a link pointing out of
  the directory is refused, wherever it sits);
* neither its own path nor its resolved path lies under a denied folder (a game's ``master/``) or is a
  denied file (``auditor/token.txt``), compared case-insensitively, nor under the ``master/`` of any game
  found below the root (one beside a ``game.json``; the viewed game's own only with ``open_game_master``),
  nor its ``auditor/token.txt``;
* it is a regular file.

URL decoding is the server's job and happens once, before the guard sees the path, so ``%2e%2e`` arrives
here as ``..`` and is refused like it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import NamedTuple

GAME_FILE = "game.json"
MASTER_DIR = "master"
AUDITOR_DIR = "auditor"
TOKEN_FILE = "token.txt"
"""A game's public record, its master's folder and the auditor's API token (``auditgame.game.keys``,
``auditgame.game.server``): a ``master/`` or ``auditor/token.txt`` beside a ``game.json`` is never read
below the viewed directory, whatever the view (a benchmark's games, say)."""
MAX_LISTED_FILES = 5000
"""A directory listing stops after this many files (a model directory's checkpoints can hold thousands)."""


class FileRefusedError(Exception):
    """A path the guard will not open: an HTTP status (403 refused, 404 absent) and a short reason."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ListedFile(NamedTuple):
    """One file of a directory listing."""

    path: str
    """Relative POSIX path from the root."""
    size: int


def _lexical_parts(relative: str) -> list[str]:
    """The segments of ``relative``, refusing anything that is not a plain relative path."""
    if not relative:
        raise FileRefusedError(HTTPStatus.NOT_FOUND, "no file named")
    if "\x00" in relative or "\\" in relative:
        raise FileRefusedError(HTTPStatus.FORBIDDEN, "the path holds a NUL byte or a backslash")
    if relative.startswith("/") or os.path.isabs(relative):
        raise FileRefusedError(HTTPStatus.FORBIDDEN, "absolute paths are refused")
    parts = relative.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise FileRefusedError(HTTPStatus.FORBIDDEN, "the path leaves the viewed directory")
        if part.startswith("."):
            raise FileRefusedError(HTTPStatus.FORBIDDEN, "hidden files are not served")
    return parts


class PathGuard:
    """Resolves relative paths inside ``root``, refusing every path that leaves it or is denied.

    Args:
        root: The viewed directory (resolved once, symbolic links included).
        denied: Relative paths (folders or files) under ``root`` that are never read, e.g. ``("master",
            "auditor/token.txt")`` for a game.
    """

    def __init__(self, root: Path, denied: Iterable[str] = (), *, open_game_master: bool = False) -> None:
        self.root = Path(os.path.realpath(root))
        self.open_game_master = open_game_master
        self.denied = tuple(item.strip("/") for item in denied if item.strip("/"))
        # Both the lexical and the resolved form of each denied path: a link into master/ is refused too.
        self._denied_lexical = tuple(tuple(part.lower() for part in item.split("/")) for item in self.denied)
        self._denied_resolved = tuple(Path(os.path.realpath(self.root / item)) for item in self.denied)

    def _in_game_master(self, parts: list[str]) -> bool:
        """Whether ``parts`` lead into the ``master/`` (or to the API token) of a game found below the root."""
        lowered = [part.lower() for part in parts]
        for index, part in enumerate(lowered):
            master = part == MASTER_DIR and not (index == 0 and self.open_game_master)
            token = lowered[index : index + 2] == [AUDITOR_DIR, TOKEN_FILE]
            if (master or token) and (self.root.joinpath(*parts[:index]) / GAME_FILE).is_file():
                return True
        return False

    def _is_denied(self, parts: list[str], resolved: Path) -> bool:
        lowered = tuple(part.lower() for part in parts)
        if any(lowered[: len(denied)] == denied for denied in self._denied_lexical):
            return True
        if self._in_game_master(parts):
            return True
        return any(resolved == denied or denied in resolved.parents for denied in self._denied_resolved)

    def resolve(self, relative: str) -> Path:
        """The real path of the regular file ``relative`` (POSIX, relative to the root).

        Raises:
            FileRefusedError: 403 for a path that leaves the root, is hidden or denied; 404 for one that
                does not exist or is not a regular file.
        """
        parts = _lexical_parts(relative)
        resolved = Path(os.path.realpath(self.root.joinpath(*parts)))
        if resolved != self.root and self.root not in resolved.parents:
            raise FileRefusedError(HTTPStatus.FORBIDDEN, "the path leaves the viewed directory")
        if self._is_denied(parts, resolved) or self._is_denied(
            list(resolved.relative_to(self.root).parts), resolved
        ):
            raise FileRefusedError(HTTPStatus.FORBIDDEN, "this file is not shown in this view")
        if not resolved.is_file():
            raise FileRefusedError(HTTPStatus.NOT_FOUND, "no such file")
        return resolved

    def allows(self, relative: str) -> bool:
        """Whether ``relative`` names a regular file the guard lets through."""
        try:
            self.resolve(relative)
        except FileRefusedError:
            return False
        return True

    def read_bytes(self, relative: str, limit: int) -> tuple[bytes, bool]:
        """Up to ``limit`` bytes of ``relative``, and whether the file was longer.

        Raises:
            FileRefusedError: as :meth:`resolve`, or 404 if the file cannot be read.
        """
        path = self.resolve(relative)
        try:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError:
            raise FileRefusedError(HTTPStatus.NOT_FOUND, "the file cannot be read") from None
        return data[:limit], len(data) > limit

    def read_text(self, relative: str, limit: int = 1 << 20) -> tuple[str, bool]:
        """Up to ``limit`` bytes of ``relative`` as text (invalid UTF-8 replaced), and whether it was cut."""
        data, cut = self.read_bytes(relative, limit)
        return data.decode("utf-8", errors="replace"), cut

    def _folder(self, relative: str) -> Path | None:
        """The folder ``relative`` if it is a real folder inside the root (no link on the way) and not denied."""
        if not relative:
            return self.root
        try:
            parts = _lexical_parts(relative)
        except FileRefusedError:
            return None
        folder = self.root.joinpath(*parts)
        if Path(os.path.realpath(folder)) != folder or not folder.is_dir() or self._is_denied(parts, folder):
            return None
        return folder

    def directories(self, relative: str = "") -> list[str]:
        """The names of the real (not linked) subdirectories of ``relative`` that the guard does not deny."""
        base = self._folder(relative)
        if base is None:
            return []
        names = []
        with os.scandir(base) as entries:
            for entry in sorted(entries, key=lambda item: item.name):
                child = f"{relative}/{entry.name}" if relative else entry.name
                if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                    continue
                if not self._is_denied(child.split("/"), Path(os.path.realpath(entry.path))):
                    names.append(entry.name)
        return names

    def files(self, relative: str = "", limit: int = MAX_LISTED_FILES) -> Iterator[ListedFile]:
        """Every file under ``relative`` the guard lets through, sorted, without following linked folders."""
        start = self._folder(relative)
        if start is None:
            return
        pending = [start]
        listed = 0
        while pending:
            current = pending.pop(0)
            try:
                entries = sorted(os.scandir(current), key=lambda item: item.name)
            except OSError:
                continue
            folders = []
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                child = Path(entry.path).relative_to(self.root).as_posix()
                if entry.is_dir(follow_symlinks=False):
                    if not self._is_denied(child.split("/"), Path(os.path.realpath(entry.path))):
                        folders.append(Path(entry.path))
                    continue
                try:
                    resolved = self.resolve(child)
                    size = resolved.stat().st_size
                except (FileRefusedError, OSError):
                    continue
                yield ListedFile(child, size)
                listed += 1
                if listed >= limit:
                    return
            pending[:0] = folders
