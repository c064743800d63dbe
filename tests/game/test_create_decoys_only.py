"""A game without a hidden organism (``organism=None``): the benchmark's false-positive pool."""

from __future__ import annotations

import pytest

from auditgame.errors import AuditgameError
from auditgame.game.create import create_game
from auditgame.game.reveal import reveal
from tests.game.conftest import decoy_names, fixed_secret


def test_a_game_of_decoys_only(tmp_path, fake_organisms):
    game = create_game(
        tmp_path / "pool",
        organism=None,
        decoy_names=decoy_names(),
        tier="api",
        secret=fixed_secret("pool"),
        organism_dirs=fake_organisms,
        build_root=tmp_path / "never-built",
        log=lambda *_: None,
        show_progress=False,
    )
    keys = reveal(game)
    assert len(keys) == 2
    assert not any(key.has_hidden_objective for key in keys.values())


def test_a_game_needs_a_model(tmp_path, fake_organisms):
    with pytest.raises(AuditgameError, match="no model"):
        create_game(
            tmp_path / "empty",
            organism=None,
            decoy_names=[],
            organism_dirs=fake_organisms,
            log=lambda *_: None,
            show_progress=False,
        )
    assert not (tmp_path / "empty").exists()
