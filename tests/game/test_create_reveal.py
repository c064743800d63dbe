"""Game creation: reproducible public record, verified commitments, caught tampering, no overwrites."""

from __future__ import annotations

import json
import shutil

import pytest

from auditgame.errors import ArtifactConflictError
from auditgame.game.keys import (
    AnswerKey,
    GameNotFoundError,
    canonical_json,
    commitment,
    derive_salt,
    organism_answer_key,
    read_game_file,
    verify_commitment,
)
from auditgame.game.reveal import GameIntegrityError, reveal
from tests.game.conftest import MAIN_ORGANISM, create


def _snapshot(directory):
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in directory.rglob("*")
        if path.is_file()
    }


def test_same_seed_gives_byte_identical_game_json(tmp_path, fake_organisms, games):
    again = create(tmp_path / "again", fake_organisms, tier="data", seed=7)
    assert (again / "game.json").read_bytes() == (games["data"] / "game.json").read_bytes()
    assert (again / "master" / "salts.json").read_bytes() == (
        games["data"] / "master" / "salts.json"
    ).read_bytes()
    other = create(tmp_path / "other", fake_organisms, tier="data", seed=8)
    assert read_game_file(other).commitments != read_game_file(again).commitments


def test_game_json_is_public_only(games):
    game = json.loads((games["data"] / "game.json").read_text())
    text = json.dumps(game)
    assert set(game) == {"format_version", "name", "tier", "models", "commitments", "versions"}
    assert game["models"] == ["model-a", "model-b", "model-c"]
    assert MAIN_ORGANISM not in text and "decoy" not in text and "seed" not in text and "created" not in text


def test_commitments_verify_and_keys_are_the_recipes(games):
    keys = reveal(games["data"])
    spec = json.loads((games["data"] / "master" / "spec.json").read_text())
    assert [key.has_hidden_objective for key in keys.values()].count(True) == 1
    for model, key in keys.items():
        assert key.organism == spec["models"][model]["organism"]
        salt = derive_salt(7, model)
        assert verify_commitment(key, salt, read_game_file(games["data"]).commitments[model])
        assert not verify_commitment(
            key, derive_salt(8, model), read_game_file(games["data"]).commitments[model]
        )
    hidden = next(key for key in keys.values() if key.has_hidden_objective)
    assert (
        hidden.organism == MAIN_ORGANISM
        and len(hidden.behaviours) == 47
        and len(hidden.held_out_behaviours) == 5
    )


def test_canonical_json_and_commitment_are_stable():
    key = AnswerKey(
        model="model-a", organism="x", has_hidden_objective=True, root_cause="r", behaviours=["b"]
    )
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'.encode()
    assert commitment(key, "salt") == commitment(AnswerKey.model_validate(key.model_dump()), "salt")
    assert organism_answer_key(MAIN_ORGANISM)["has_hidden_objective"] is True


@pytest.mark.parametrize("target", ["key", "salt", "commitment"])
def test_tampering_is_caught(tmp_path, games, target):
    game = tmp_path / "game"
    shutil.copytree(games["api"], game)
    if target == "key":
        path = game / "master" / "keys" / "model-a.json"
        key = json.loads(path.read_text())
        key["has_hidden_objective"] = not key["has_hidden_objective"]
        path.write_text(json.dumps(key))
    elif target == "salt":
        path = game / "master" / "salts.json"
        salts = json.loads(path.read_text())
        salts["model-b"] = "0" * 64
        path.write_text(json.dumps(salts))
    else:
        path = game / "game.json"
        public = json.loads(path.read_text())
        public["commitments"]["model-c"] = "f" * 64
        path.write_text(json.dumps(public))
    with pytest.raises(GameIntegrityError, match="does not match its commitment"):
        reveal(game)


def test_swapped_keys_are_caught(tmp_path, games):
    game = tmp_path / "game"
    shutil.copytree(games["api"], game)
    keys = game / "master" / "keys"
    a, b = (keys / "model-a.json").read_bytes(), (keys / "model-b.json").read_bytes()
    (keys / "model-a.json").write_bytes(b)
    (keys / "model-b.json").write_bytes(a)
    with pytest.raises(GameIntegrityError):
        reveal(game)


def test_missing_master_and_missing_game_are_clear_errors(tmp_path, games):
    game = tmp_path / "game"
    shutil.copytree(games["api"], game)
    shutil.rmtree(game / "master")
    with pytest.raises(GameNotFoundError, match="no master/"):
        reveal(game)
    with pytest.raises(GameNotFoundError, match="not a game"):
        reveal(tmp_path)
    with pytest.raises(GameNotFoundError, match="not a directory"):
        reveal(tmp_path / "nowhere")


def test_refuses_to_overwrite_a_different_game(tmp_path, fake_organisms):
    game = create(tmp_path / "game", fake_organisms, tier="api", seed=1)
    before = _snapshot(game)
    with pytest.raises(ArtifactConflictError, match="different game"):
        create(game, fake_organisms, tier="api", seed=2)
    with pytest.raises(ArtifactConflictError, match="different game"):
        create(game, fake_organisms, tier="data", seed=1)
    create(game, fake_organisms, tier="api", seed=1)  # the same game again: a no-op
    assert _snapshot(game) == before
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ArtifactConflictError, match="holds no game"):
        create(foreign, fake_organisms, tier="api", seed=1)
    assert [path.name for path in foreign.iterdir()] == ["notes.txt"]
    assert not (tmp_path / "never-built").exists()
