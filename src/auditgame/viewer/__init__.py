"""``auditgame view``: a read-only web page of an organism, an audit, a game or any other artifact.

The page is rendered on the server from the directory's files (escaped, whatever they hold) and served
on loopback only, with the directory's images and text files; a :class:`PathGuard` decides every read,
so nothing outside the directory, and nothing of a game's ``master/`` unless asked for, is ever shown.
"""

from auditgame.viewer.guard import FileRefusedError, PathGuard
from auditgame.viewer.kinds import ViewKind, detect_kind
from auditgame.viewer.server import DEFAULT_PORT, ViewerError, ViewerServer, open_view, serve_viewer

__all__ = [
    "DEFAULT_PORT",
    "FileRefusedError",
    "PathGuard",
    "ViewKind",
    "ViewerError",
    "ViewerServer",
    "detect_kind",
    "open_view",
    "serve_viewer",
]
