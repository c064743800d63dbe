"""`auditgame view`: bad input gets one line; a good directory is served until the process is stopped."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.cli.in_process import assert_one_line_error, run_main


def test_a_missing_path_is_one_line(monkeypatch, capsys, tmp_path: Path) -> None:
    outcome = run_main(monkeypatch, capsys, "view", str(tmp_path / "nowhere"), "--no-open")
    assert_one_line_error(outcome, "does not exist")
    assert outcome.code == 2


def test_a_file_is_one_line(monkeypatch, capsys, tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text("{}", encoding="utf-8")
    outcome = run_main(monkeypatch, capsys, "view", str(tmp_path / "report.json"), "--no-open")
    assert_one_line_error(outcome, "is a file, not a directory")


def test_a_port_in_use_is_one_line(monkeypatch, capsys, organism_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        outcome = run_main(monkeypatch, capsys, "view", str(organism_dir), "--port", str(port), "--no-open")
    assert_one_line_error(outcome, f"cannot listen on 127.0.0.1:{port}", "choose another --port")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_only_loopback_is_served(monkeypatch, capsys, organism_dir: Path, host: str) -> None:
    outcome = run_main(monkeypatch, capsys, "view", str(organism_dir), "--host", host, "--no-open")
    assert_one_line_error(outcome, "binds to loopback only")


def test_the_command_serves_until_stopped(organism_dir: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "auditgame.cli.main", "view", str(organism_dir), "--port", "0", "--no-open"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "400"},
    )
    try:
        line = process.stdout.readline()  # "viewing PATH at URL (Ctrl-C to stop)", printed once it listens
        found = re.search(r"http://127\.0\.0\.1:[0-9]+/", line)
        if found is None:
            process.kill()
            pytest.fail(f"no URL printed: {line!r} {process.stderr.read()!r}")
        with urllib.request.urlopen(found.group(), timeout=30) as reply:
            assert 'id="stage-table"' in reply.read().decode("utf-8")
    finally:
        process.terminate()
        process.wait(timeout=30)
