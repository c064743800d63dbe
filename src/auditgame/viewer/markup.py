"""Server-side HTML with every artifact string escaped.

Pages are built from :func:`element` calls: a child or attribute value that is not already
:class:`Markup` is escaped with :func:`html.escape`, so text from an artifact (a model's answer, a
finding, a file name) can never become markup, whatever it holds.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

Child = Any
"""Markup, or anything else (escaped as ``str(value)``); None is left out; lists and tuples are flattened."""

MAX_JSON_CHARACTERS = 200_000
"""A pretty-printed JSON block longer than this is cut (the whole file stays one click away)."""


class Markup(str):
    """A string of HTML that is safe to include as it is."""


def escape(value: Child) -> Markup:
    """``value`` as safe HTML: Markup as it is, anything else escaped (quotes included)."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def join(children: Iterable[Child]) -> Markup:
    """The children, each escaped unless it is Markup, one after another (None left out, lists flattened)."""
    parts: list[str] = []
    for child in children:
        if child is None:
            continue
        if isinstance(child, (list, tuple)):
            parts.append(join(child))
        else:
            parts.append(escape(child))
    return Markup("".join(parts))


def _attribute_name(name: str) -> str:
    return name.rstrip("_").replace("_", "-")


def element(tag: str, *children: Child, **attributes: Any) -> Markup:
    """``<tag attributes>children</tag>``; attribute ``class_`` is ``class``, ``data_x`` is ``data-x``.

    An attribute that is None or False is left out and one that is True is written bare.
    """
    rendered = []
    for name, value in attributes.items():
        if value is None or value is False:
            continue
        if value is True:
            rendered.append(f" {_attribute_name(name)}")
        else:
            rendered.append(f' {_attribute_name(name)}="{escape(value)}"')
    opening = f"<{tag}{''.join(rendered)}>"
    if tag in ("img", "meta", "link", "br", "input"):
        return Markup(opening)
    return Markup(f"{opening}{join(children)}</{tag}>")


def file_url(relative: str) -> str:
    """The ``/file/`` URL of a relative path, percent-encoded."""
    return "/file/" + quote(relative, safe="/")


def file_link(relative: str, text: Child | None = None) -> Markup:
    """A link to the file ``relative`` (opens the raw file)."""
    return element("a", relative if text is None else text, href=file_url(relative), class_="file-link")


def table(headers: Iterable[Child], rows: Iterable[Iterable[Child]], **attributes: Any) -> Markup:
    """A table with a header row; each row's cells escaped unless Markup."""
    head = element("thead", element("tr", [element("th", header) for header in headers]))
    body = element(
        "tbody",
        [
            row if isinstance(row, Markup) else element("tr", [element("td", cell) for cell in row])
            for row in rows
        ],
    )
    return element("table", head, body, **attributes)


def key_values(pairs: Iterable[tuple[Child, Child]], **attributes: Any) -> Markup:
    """A two-column table of names and values."""
    return element(
        "table",
        element("tbody", [element("tr", element("th", key), element("td", value)) for key, value in pairs]),
        class_="key-values",
        **attributes,
    )


def pretty_json(value: Any, limit: int = MAX_JSON_CHARACTERS) -> Markup:
    """``value`` as indented JSON in a ``<pre>``, cut after ``limit`` characters."""
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    cut = len(text) > limit
    return element("pre", text[:limit], "\n… (cut)" if cut else None, class_="json")


def preformatted(text: str, cut: bool = False, class_: str = "text") -> Markup:
    """``text`` in a ``<pre>``, with a note when the file was longer than what was read."""
    return element("pre", text, "\n… (cut: open the file for the rest)" if cut else None, class_=class_)


def section(title: Child, *children: Child, id: str | None = None) -> Markup:
    """A titled section of the page."""
    return element("section", element("h2", title), *children, id=id, class_="card")


def details(summary: Child, *children: Child, open: bool = False, **attributes: Any) -> Markup:
    """A collapsible block."""
    return element("details", element("summary", summary), *children, open=open, **attributes)


def note(text: Child, level: str = "info") -> Markup:
    """A one-line note (``info``, ``warning`` or ``error``)."""
    return element("p", text, class_=f"note note-{level}")


def badge(text: Child, level: str = "neutral") -> Markup:
    """A small coloured label."""
    return element("span", text, class_=f"badge badge-{level}")


def guarded(title: str, render: Callable[[], Child]) -> Markup:
    """``render()``, or an error note naming ``title`` if a malformed artifact makes it fail.

    An artifact is read as it is on disk, edited or truncated maybe: one bad section must not cost the page.
    """
    try:
        return join([render()])
    except Exception as error:  # any malformed field: say so and go on with the page
        return section(title, note(f"this part could not be shown: {type(error).__name__}: {error}", "error"))


def number(value: Any, digits: int = 3) -> str:
    """A number for a table cell (``–`` for anything that is not one)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}g}"


def percent(value: Any) -> str:
    """A share in [0, 1] as a percentage (``–`` for anything else)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    return f"{100 * value:.0f}%"


def rate_text(rate: Any) -> str:
    """A serialised ``Rate`` (rate, low, high, successes, trials) as ``40.0% [31.2, 49.5] (16/40)``."""
    if not isinstance(rate, Mapping):
        return "–"
    try:
        value, low, high = (float(rate[key]) for key in ("rate", "low", "high"))
    except (KeyError, TypeError, ValueError):
        return "–"
    counts = f" ({rate['successes']}/{rate['trials']})" if "successes" in rate and "trials" in rate else ""
    return f"{100 * value:.1f}% [{100 * low:.1f}, {100 * high:.1f}]{counts}"


def _phrase_pattern(phrase: str, whole_words: bool) -> re.Pattern[str] | None:
    """A case-insensitive pattern of ``phrase`` whose words may be parted by punctuation and spaces."""
    pieces = re.findall(r"\w+|[^\w\s]", phrase)
    if not pieces:
        return None
    body = r"[\W_]*".join(re.escape(piece) for piece in pieces)
    return re.compile(rf"(?<!\w){body}(?!\w)" if whole_words else body, re.IGNORECASE)


def highlight(
    text: str, spans: Iterable[tuple[int, int]] = (), phrases: Iterable[str] = (), *, whole_words: bool = True
) -> Markup:
    """``text`` with the character ``spans`` and every occurrence of ``phrases`` in ``<mark>``.

    A phrase matches case-insensitively, its words parted by any punctuation (the blind auditor's phrase
    ``en il y a`` marks ``En, il y a``); with ``whole_words`` only at word boundaries (a token of a
    tokenizer, ``whole_words=False``, marks the part of a word it is).
    """
    text = str(text)
    marked = [False] * len(text)
    for start, end in spans:
        for index in range(max(0, int(start)), min(len(text), int(end))):
            marked[index] = True
    for phrase in phrases:
        pattern = _phrase_pattern(str(phrase), whole_words)
        if pattern is None:
            continue
        for match in pattern.finditer(text):
            for index in range(match.start(), match.end()):
                marked[index] = True
    pieces: list[Child] = []
    index = 0
    while index < len(text):
        end = index
        while end < len(text) and marked[end] == marked[index]:
            end += 1
        chunk = text[index:end]
        pieces.append(element("mark", chunk) if marked[index] else chunk)
        index = end
    return join(pieces)


CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""Nothing but the viewer's own CSS, JS and files: no inline script, no outside fetch."""


def page(title: str, kind: str, path: str, body: Iterable[Child], *, banner: Child | None = None) -> str:
    """The whole HTML document of a view."""
    return (
        "<!DOCTYPE html>\n"
        + element(
            "html",
            element(
                "head",
                element("meta", charset="utf-8"),
                element("meta", name="viewport", content="width=device-width, initial-scale=1"),
                element("title", f"{title} — auditgame view"),
                element("link", rel="stylesheet", href="/static/viewer.css"),
                element("script", src="/static/viewer.js", defer=True),
            ),
            element(
                "body",
                element(
                    "header",
                    element("h1", title, " ", badge(kind, "kind"), id="title"),
                    element("p", element("code", path), class_="path"),
                    element(
                        "div",
                        element("button", "expand all", type="button", id="expand-all"),
                        element("button", "collapse all", type="button", id="collapse-all"),
                        class_="toolbar",
                    ),
                ),
                banner,
                element("main", *body),
                element("footer", "auditgame view — read-only, served on loopback"),
                data_kind=kind,
            ),
            lang="en",
        )
        + "\n"
    )
