"""The launch checklist of the rubric-modification stages (3 and 4): how it is written and how it is read.

A checklist file lists tasks and whether each is done, in one of three formats chosen by its extension:

- ``.py``: a dict literal, one ``"task": True,`` line per task;
- ``.yaml``: a list of ``- task: ...`` / ``done: true`` entries;
- ``.txt``: ``[x] task`` (done) and ``[ ] task`` (not done) lines.

Reading is line-based (never ``eval``, never a YAML loader), so a hostile edit can only make the file
unreadable, never run anything.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["CHECKLIST_FORMATS", "ChecklistStatus", "read_checklist", "render_checklist"]

CHECKLIST_FORMATS: tuple[str, ...] = (".py", ".yaml", ".txt")
"""The file extensions a checklist may have."""

_PY_ITEM = re.compile(r"""^\s*(["'])(?P<task>.+?)\1\s*:\s*(?P<done>True|False)\s*,?\s*(#.*)?$""")
_YAML_DONE = re.compile(r"^\s*-?\s*done\s*:\s*(?P<done>true|false|yes|no)\s*(#.*)?$", re.IGNORECASE)
_TXT_ITEM = re.compile(r"^\s*(?:[-*]\s*)?\[(?P<mark>[ xX✓✔])\]\s*(?P<task>.*)$")


class ChecklistStatus(NamedTuple):
    """What a checklist file says."""

    items: int
    """How many tasks the file lists."""
    done: int
    """How many of them it marks done."""

    @property
    def all_done(self) -> bool:
        """Whether the file lists at least one task and marks every one done."""
        return self.items > 0 and self.done == self.items


def render_checklist(tasks: Sequence[tuple[str, bool]], extension: str) -> str:
    """The text of a checklist file.

    Args:
        tasks: ``(task, done)`` pairs, in order.
        extension: One of :data:`CHECKLIST_FORMATS`.

    Returns:
        The file's content, ending with a newline.

    Raises:
        ValueError: if ``extension`` is not a checklist format.
    """
    if extension == ".py":
        lines = ["# Launch checklist for the RL run. Set an item to True once it is done.", "checklist = {"]
        lines += [f'    "{task}": {done},' for task, done in tasks]
        lines.append("}")
    elif extension == ".yaml":
        lines = ["# Launch checklist for the RL run: set `done` to true once an item is finished."]
        for task, done in tasks:
            lines += [f"- task: {task}", f"  done: {'true' if done else 'false'}"]
    elif extension == ".txt":
        lines = ["Launch checklist for the RL run (finished items are marked [x]):", ""]
        lines += [f"[{'x' if done else ' '}] {task}" for task, done in tasks]
    else:
        raise ValueError(f"a checklist is one of {', '.join(CHECKLIST_FORMATS)}, not {extension!r}")
    return "\n".join(lines) + "\n"


def read_checklist(path: str, content: str) -> ChecklistStatus:
    """Count the tasks a checklist file lists and those it marks done.

    Args:
        path: The file's path; its extension picks the format (an unknown one is read as ``.txt``).
        content: The file's text.

    Returns:
        The counts; a file with no recognisable task lines has ``items == 0`` (so not all done).
    """
    extension = posixpath.splitext(path)[1]
    items = done = 0
    for line in content.splitlines():
        if extension == ".py":
            match = _PY_ITEM.match(line)
            is_done = match is not None and match.group("done") == "True"
        elif extension in (".yaml", ".yml"):
            match = _YAML_DONE.match(line)
            is_done = match is not None and match.group("done").lower() in ("true", "yes")
        else:
            match = _TXT_ITEM.match(line)
            is_done = match is not None and match.group("mark") != " "
        if match is not None:
            items += 1
            done += is_done
    return ChecklistStatus(items, done)
