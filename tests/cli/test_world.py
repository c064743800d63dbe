"""`auditgame world documents --out`: never overwrites a file unless told to."""

from __future__ import annotations

import json

from tests.cli.in_process import assert_one_line_error, run_main


def test_existing_out_file_is_refused_without_force(tmp_path, monkeypatch, capsys):
    out = tmp_path / "documents.jsonl"
    out.write_text("precious\n")
    outcome = run_main(monkeypatch, capsys, "world", "documents", "-n", "2", "--out", str(out))
    assert_one_line_error(outcome, "already exists", "--force")
    assert out.read_text() == "precious\n"
    forced = run_main(monkeypatch, capsys, "world", "documents", "-n", "2", "--out", str(out), "--force")
    assert forced.code == 0, forced.stderr
    assert len([json.loads(line) for line in out.read_text().splitlines()]) == 2


def test_out_that_is_a_directory_is_refused(tmp_path, monkeypatch, capsys):
    outcome = run_main(
        monkeypatch, capsys, "world", "documents", "-n", "1", "--out", str(tmp_path), "--force"
    )
    assert_one_line_error(outcome, "is a directory")


def test_new_out_file_is_written(tmp_path, monkeypatch, capsys):
    out = tmp_path / "new" / "documents.jsonl"
    outcome = run_main(monkeypatch, capsys, "world", "documents", "-n", "1", "--out", str(out))
    assert outcome.code == 0 and out.is_file()
