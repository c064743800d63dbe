"""The path guard, directly and through the server's /file/ route: nothing outside the directory, nothing denied."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

import pytest

from auditgame.viewer import FileRefusedError, PathGuard
from tests.viewer.conftest import OUTSIDE_MARKER, request, write_organism


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A directory with a file, a nested file, a hidden file, links in and out, and a denied folder."""
    (tmp_path / "outside.txt").write_text(OUTSIDE_MARKER, encoding="utf-8")
    root = tmp_path / "root"
    (root / "nested").mkdir(parents=True)
    (root / "denied").mkdir()
    (root / "file.txt").write_text("inside", encoding="utf-8")
    (root / "nested" / "deep.txt").write_text("deep", encoding="utf-8")
    (root / ".hidden").write_text("hidden", encoding="utf-8")
    (root / "denied" / "key.txt").write_text("denied", encoding="utf-8")
    (root / "link-out").symlink_to(tmp_path / "outside.txt")
    (root / "link-out-relative").symlink_to("../outside.txt")
    (root / "dir-out").symlink_to(tmp_path)
    (root / "link-in").symlink_to("nested/deep.txt")
    (root / "link-denied").symlink_to("denied/key.txt")
    return root


def test_files_inside_the_root_resolve(root: Path) -> None:
    guard = PathGuard(root, denied=("denied",))
    assert guard.resolve("file.txt") == (root / "file.txt").resolve()
    assert guard.read_text("nested/deep.txt") == ("deep", False)
    assert guard.resolve("link-in") == (root / "nested" / "deep.txt").resolve()


@pytest.mark.parametrize(
    ("relative", "status"),
    [
        ("../outside.txt", HTTPStatus.FORBIDDEN),
        ("nested/../../outside.txt", HTTPStatus.FORBIDDEN),
        ("nested/../file.txt", HTTPStatus.FORBIDDEN),  # no ".." at all, even one that stays inside
        ("./file.txt", HTTPStatus.FORBIDDEN),
        ("/etc/passwd", HTTPStatus.FORBIDDEN),
        ("nested//deep.txt", HTTPStatus.FORBIDDEN),
        ("nested\\deep.txt", HTTPStatus.FORBIDDEN),
        ("file.txt\x00.png", HTTPStatus.FORBIDDEN),
        (".hidden", HTTPStatus.FORBIDDEN),
        ("link-out", HTTPStatus.FORBIDDEN),
        ("link-out-relative", HTTPStatus.FORBIDDEN),
        ("dir-out/outside.txt", HTTPStatus.FORBIDDEN),
        ("denied/key.txt", HTTPStatus.FORBIDDEN),
        ("DENIED/key.txt", HTTPStatus.FORBIDDEN),
        ("link-denied", HTTPStatus.FORBIDDEN),
        ("", HTTPStatus.NOT_FOUND),
        ("missing.txt", HTTPStatus.NOT_FOUND),
        ("nested", HTTPStatus.NOT_FOUND),
    ],
)
def test_the_guard_refuses(root: Path, relative: str, status: HTTPStatus) -> None:
    guard = PathGuard(root, denied=("denied",))
    with pytest.raises(FileRefusedError) as refused:
        guard.resolve(relative)
    assert refused.value.status == status
    assert not guard.allows(relative)


def test_listing_leaves_out_what_the_guard_refuses(root: Path) -> None:
    listed = [item.path for item in PathGuard(root, denied=("denied",)).files()]
    assert listed == ["file.txt", "link-in", "nested/deep.txt"]
    assert PathGuard(root, denied=("denied",)).directories() == ["nested"]
    # A linked folder is neither listed nor walked, even when named.
    assert list(PathGuard(root).files("dir-out")) == []
    assert PathGuard(root).directories("dir-out") == []
    assert list(PathGuard(root, denied=("denied",)).files("denied")) == []


def test_a_root_given_through_a_link_is_resolved(root: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(root)
    guard = PathGuard(alias)
    assert guard.read_text("file.txt") == ("inside", False)
    assert not guard.allows("../outside.txt")


@pytest.fixture
def served(tmp_path: Path, serve):
    """A viewer of an organism directory that holds a link pointing out of it."""
    (tmp_path / "outside.txt").write_text(OUTSIDE_MARKER, encoding="utf-8")
    directory = write_organism(tmp_path / "organism")
    (directory / "escape.txt").symlink_to(tmp_path / "outside.txt")
    (directory / "evals" / "escape-dir").symlink_to(tmp_path)
    (directory / "page.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    return serve(directory)


@pytest.mark.parametrize(
    "path",
    [
        "/file/../outside.txt",
        "/file/%2e%2e/outside.txt",
        "/file/%2E%2E/outside.txt",
        "/file/..%2foutside.txt",
        "/file/evals%2f..%2f..%2foutside.txt",
        "/file/%2e%2e%2f%2e%2e%2foutside.txt",
        "/file/%2fetc%2fpasswd",
        "/file//etc/passwd",
        "/file/escape.txt",
        "/file/evals/escape-dir/outside.txt",
        "/file/%252e%252e/outside.txt",  # decoded once: a file literally named "%2e%2e", which is not there
        "/file/%ff%fe",
        "/file/.auditgame-run.json",
        "/../outside.txt",
    ],
)
def test_the_file_route_never_leaves_the_directory(served, path: str) -> None:
    reply = request(served.url, path)
    assert reply.status in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND), path
    assert OUTSIDE_MARKER not in reply.text


def test_the_file_route_serves_files_inside(served) -> None:
    image = request(served.url, "/file/report.png")
    assert image.status == HTTPStatus.OK
    assert image.headers["content-type"] == "image/png"
    assert image.body.startswith(b"\x89PNG")
    report = request(served.url, "/file/evals/sft.json")
    assert report.status == HTTPStatus.OK and b'"label": "sft"' in report.body
    assert (
        request(served.url, "/file/evals%2fsft.json").status == HTTPStatus.OK
    )  # an encoded slash is a slash


def test_artifact_html_is_served_as_text_never_as_a_page(served) -> None:
    reply = request(served.url, "/file/page.html")
    assert reply.status == HTTPStatus.OK
    assert reply.headers["content-type"].startswith("text/plain")
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in reply.headers["content-security-policy"]


def test_only_requests_addressed_to_loopback_are_answered(served) -> None:
    assert request(served.url, "/", host="evil.example").status == HTTPStatus.FORBIDDEN
    assert request(served.url, "/file/report.png", host="evil.example:80").status == HTTPStatus.FORBIDDEN
    port = served.url.rsplit(":", 1)[1].strip("/")
    assert request(served.url, "/", host=f"localhost:{port}").status == HTTPStatus.OK


def test_the_viewer_is_read_only(served) -> None:
    reply = request(served.url, "/file/report.png", method="POST")
    assert reply.status == HTTPStatus.METHOD_NOT_ALLOWED
    assert request(served.url, "/", method="DELETE").status == HTTPStatus.METHOD_NOT_ALLOWED


def test_static_assets_are_shipped_and_unknown_routes_are_404(served) -> None:
    css = request(served.url, "/static/viewer.css")
    assert css.status == HTTPStatus.OK and css.headers["content-type"].startswith("text/css")
    js = request(served.url, "/static/viewer.js")
    assert js.status == HTTPStatus.OK and "only-detected" in js.text
    assert request(served.url, "/static/../server.py").status == HTTPStatus.NOT_FOUND
    assert request(served.url, "/nowhere").status == HTTPStatus.NOT_FOUND
