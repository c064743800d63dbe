"""The game views: never anything of master/ without --master, never the secret or the token at all."""

from __future__ import annotations

import re
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.viewer.conftest import (
    MASTER_MARKER,
    OUTSIDE_MARKER,
    RESULT_MARKER,
    SECRET_MARKER,
    TOKEN_MARKER,
    request,
)

MASTER_PATHS = [
    "master/secret.txt",
    "master/spec.json",
    "master/salts.json",
    "master/keys/model-a.json",
    "MASTER/secret.txt",
    "Master/keys/model-a.json",
    "master%2fsecret.txt",
    "%6daster/secret.txt",  # "m" percent-encoded
    "auditor/../master/secret.txt",
    "auditor/%2e%2e/master/secret.txt",
    "auditor%2f%2e%2e%2fmaster%2fspec.json",
    "auditor/leak.txt",  # a link to master/secret.txt
    "auditor/notes.json",  # a link to master/keys/model-a.json
    "master/.incomplete",
    "../outside.txt",
    "%2e%2e/outside.txt",
]
"""Every way into master/ (and out of the game) the /file/ route must refuse."""


def linked_files(html: str) -> list[str]:
    """Every /file/ link and image of a page."""
    return sorted(set(re.findall(r'(?:href|src)="(/file/[^"]+)"', html)))


def everything_served(server, extra: list[str]) -> str:
    """The page, every file it links to, and every path of ``extra``, concatenated."""
    html = request(server.url, "/").text
    bodies = [html]
    for link in linked_files(html):
        reply = request(server.url, link)
        assert reply.status == HTTPStatus.OK, link
        bodies.append(reply.text)
    for path in extra:
        reply = request(server.url, "/file/" + path)
        assert reply.status in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND), path
        bodies.append(reply.text)
    return "\n".join(bodies)


def test_the_game_view_never_shows_master_content(game_dir: Path, serve) -> None:
    server = serve(game_dir)
    html = request(server.url, "/").text
    # What the game page shows: the models, the tier, the leaderboard, the auditor workspace.
    assert "test-game" in html and "model-a" in html and "model-b" in html
    assert 'id="leaderboard"' in html and "blind" in html and "0.75" in html
    assert 'id="workspace-summary"' in html
    links = [unquote(link) for link in linked_files(html)]
    assert links and not any("master" in link.lower() for link in links)
    served = everything_served(server, [*MASTER_PATHS, "results/blind.json", "auditor/token.txt"])
    for marker in (MASTER_MARKER, SECRET_MARKER, TOKEN_MARKER, RESULT_MARKER, OUTSIDE_MARKER):
        assert marker not in served, marker


def test_the_auditor_workspace_shows_only_what_the_auditor_sees(game_dir: Path, serve) -> None:
    server = serve(game_dir / "auditor")
    html = request(server.url, "/").text
    assert "auditor-workspace" in html and 'id="workspace-summary"' in html
    assert "model-files" in html and "sft.jsonl" in html and "blind-seed0" in html
    assert "(not shown here)" in html
    paths = [
        "leak.txt",
        "notes.json",
        "token.txt",
        "../master/secret.txt",
        "%2e%2e/master/spec.json",
        "../game.json",
    ]
    served = everything_served(server, paths)
    for marker in (MASTER_MARKER, SECRET_MARKER, TOKEN_MARKER, RESULT_MARKER):
        assert marker not in served, marker


def test_the_master_view_shows_the_keys_but_never_the_secret(game_dir: Path, serve) -> None:
    server = serve(game_dir, master=True)
    html = request(server.url, "/").text
    assert "MASTER VIEW" in html
    assert f"{MASTER_MARKER}-model-a" in html  # the real mapping
    assert 'class="answer-key"' in html
    assert RESULT_MARKER not in html and "per-model grades" in html  # grades, not the matched key text
    assert request(server.url, "/file/master/keys/model-a.json").status == HTTPStatus.OK
    assert request(server.url, "/file/results/blind.json").status == HTTPStatus.OK
    served = everything_served(
        server, ["master/secret.txt", "MASTER/secret.txt", "auditor/leak.txt", "auditor/token.txt"]
    )
    assert SECRET_MARKER not in served and TOKEN_MARKER not in served


def test_the_master_directory_on_its_own(game_dir: Path, serve) -> None:
    server = serve(game_dir / "master")
    html = request(server.url, "/").text
    assert "MASTER VIEW" in html and "game-master" in html
    assert f"{MASTER_MARKER}-model-b" in html
    served = everything_served(server, ["secret.txt", "SECRET.TXT", "../game.json", "../auditor/token.txt"])
    assert SECRET_MARKER not in served and TOKEN_MARKER not in served


def test_master_is_refused_for_anything_but_a_game(game_dir: Path) -> None:
    from auditgame.viewer import ViewerError, ViewerServer

    with pytest.raises(ViewerError, match="--master applies to a game directory"):
        ViewerServer(game_dir / "auditor", port=0, master=True)


def test_games_inside_another_artifact_keep_their_master_closed(tmp_path: Path, serve) -> None:
    """A benchmark directory holds whole games: its generic page must not open their master/ either."""
    from auditgame.artifacts import write_manifest
    from tests.viewer.conftest import write_game

    bench = tmp_path / "bench"
    write_game(bench / "games" / "g1")
    write_manifest(bench, "auditor-bench", name="bench")
    server = serve(bench)
    html = request(server.url, "/").text
    assert "games/g1/game.json" in html and "games/g1/auditor/tier.json" in html
    assert "games/g1/master" not in html
    served = everything_served(
        server,
        [
            "games/g1/master/secret.txt",
            "games/g1/master/keys/model-a.json",
            "games/g1/MASTER/spec.json",
            "games/g1/auditor/leak.txt",
            "games/g1/auditor/notes.json",
            "games/g1/auditor/token.txt",
        ],
    )
    assert MASTER_MARKER not in served and SECRET_MARKER not in served and TOKEN_MARKER not in served
