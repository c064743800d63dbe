"""One page per kind of directory; :func:`render_page` picks it and wraps it in the document."""

from __future__ import annotations

from collections.abc import Callable

from auditgame.viewer.kinds import ViewKind
from auditgame.viewer.markup import Markup, note, page
from auditgame.viewer.pages.audit import render_audit
from auditgame.viewer.pages.common import ViewContext
from auditgame.viewer.pages.game import render_auditor_workspace, render_game, render_master
from auditgame.viewer.pages.generic import render_artifact, render_curriculum
from auditgame.viewer.pages.organism import render_organism

Renderer = Callable[[ViewContext], tuple[str, list[Markup], "Markup | None"]]

RENDERERS: dict[ViewKind, Renderer] = {
    ViewKind.ORGANISM: render_organism,
    ViewKind.AUDIT: render_audit,
    ViewKind.GAME: render_game,
    ViewKind.GAME_MASTER: render_master,
    ViewKind.AUDITOR_WORKSPACE: render_auditor_workspace,
    ViewKind.CURRICULUM: render_curriculum,
    ViewKind.ARTIFACT: render_artifact,
}


def render_page(context: ViewContext) -> str:
    """The whole HTML page of ``context``'s directory (an error note if its files are too malformed to render)."""
    try:
        title, body, banner = RENDERERS[context.kind](context)
    except Exception as error:  # a malformed artifact gets a page that says so, not a 500
        title, body, banner = "unreadable artifact", [note(f"{type(error).__name__}: {error}", "error")], None
    return page(title, context.kind.value, context.display_path, body, banner=banner)


__all__ = ["RENDERERS", "ViewContext", "render_page"]
