"""Run the `auditgame` entry point in this process (seconds faster than a fresh interpreter per call)."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest


@dataclass
class Outcome:
    """What one call of ``main()`` printed and returned."""

    code: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        """The non-blank lines on stderr."""
        return [line for line in self.stderr.splitlines() if line.strip()]


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> Outcome:
    """Call ``auditgame.cli.main.main`` with ``args`` as the command line."""
    from auditgame.cli.main import main

    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["auditgame", *args])
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def assert_one_line_error(outcome: Outcome, *fragments: str) -> str:
    """Check that the command failed with exactly one ``error:`` line (warnings aside) holding ``fragments``."""
    assert outcome.code != 0, outcome
    assert "Traceback" not in outcome.stderr
    errors = [line for line in outcome.stderr_lines if not line.startswith("warning:")]
    assert len(errors) == 1, outcome.stderr
    assert errors[0].startswith("error: "), errors[0]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]
