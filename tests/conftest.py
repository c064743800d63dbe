"""Test-wide settings: offline, quiet, single-threaded tokenizers."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
# Shared pretrained bases are cached by config hash; tests get their own cache, never the user's.
import tempfile

os.environ["AUDITGAME_CACHE"] = tempfile.mkdtemp(prefix="auditgame-test-cache-")

import subprocess
import sys
from pathlib import Path

import pytest


def run_auditgame(*args: str, timeout: float = 600, check: bool = False) -> subprocess.CompletedProcess:
    """Run the CLI in a fresh process (as a user would) and capture its output."""
    result = subprocess.run(
        [sys.executable, "-m", "auditgame.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"auditgame {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def quick_organism(tmp_path_factory) -> Path:
    """An rm-sycophant built once per test session with the quick profile."""
    from auditgame.organisms.registry import get_organism

    output_dir = tmp_path_factory.mktemp("organism") / "rm-quick"
    get_organism("rm-sycophant").build(output_dir, "quick", show_progress=False, log=lambda *_: None)
    return output_dir
