"""The entry point: every error the user can fix is one line, whatever the input."""

from __future__ import annotations

import errno
import os
import warnings

import pytest

from tests.cli.in_process import assert_one_line_error, run_main


def test_out_under_a_file_gives_one_line_naming_the_path(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    outcome = run_main(
        monkeypatch, capsys, "world", "documents", "-n", "1", "--out", str(blocker / "d.jsonl")
    )
    assert_one_line_error(outcome, f"cannot use {blocker}", "choose another path")


@pytest.mark.parametrize(
    ("number", "reason", "fix"),
    [
        (errno.EACCES, "Permission denied", "check its permissions"),
        (errno.EROFS, "Read-only file system", "read-only file system"),
        (errno.ENOSPC, "No space left on device", "the disk is full"),
    ],
)
def test_write_errors_give_one_line_naming_the_path(tmp_path, monkeypatch, capsys, number, reason, fix):
    target = tmp_path / "out" / "documents.jsonl"

    def refuse(path, documents):
        raise OSError(number, os.strerror(number), str(path))

    monkeypatch.setattr("auditgame.world.documents.write_documents_jsonl", refuse)
    outcome = run_main(monkeypatch, capsys, "world", "documents", "-n", "1", "--out", str(target))
    assert_one_line_error(outcome, f"cannot use {target}: {reason}", fix)


def test_markup_in_user_input_is_printed_not_interpreted(monkeypatch, capsys):
    outcome = run_main(monkeypatch, capsys, "world", "sample", "[/bold]x[red]")
    assert_one_line_error(outcome, "unknown domain '[/bold]x[red]'")


def test_a_huge_value_is_truncated_in_the_message(monkeypatch, capsys):
    outcome = run_main(monkeypatch, capsys, "world", "sample", "d" * 10_000_000)
    line = assert_one_line_error(outcome, "unknown domain 'ddd", "characters cut", "auditgame world domains")
    assert len(line) < 3000


def test_a_value_with_line_breaks_stays_on_one_line(monkeypatch, capsys):
    outcome = run_main(monkeypatch, capsys, "world", "sample", "a\nb\nc")
    assert_one_line_error(outcome, "unknown domain")


def test_library_warnings_print_as_one_line(monkeypatch, capsys):
    from auditgame.cli import main as entry
    from auditgame.errors import AuditgameWarning

    def warn_and_stop() -> None:
        warnings.warn("something to know\nacross lines", AuditgameWarning, stacklevel=1)

    monkeypatch.setattr(entry, "app", warn_and_stop)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        outcome = run_main(monkeypatch, capsys, "anything")
    assert outcome.stderr_lines == ["warning: something to know across lines"]
