"""Game creation: reproducible from its secret, the whole master record committed, caught tampering,
no overwrites, and nothing left by an interrupted create."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from auditgame.errors import ArtifactConflictError, AuditgameError
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
from tests.game.conftest import GAME_SECRET, MAIN_ORGANISM, create, fixed_secret, secret_of


def _snapshot(directory):
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in directory.rglob("*")
        if path.is_file()
    }


def _without_token(snapshot: dict[str, bytes]) -> dict[str, bytes]:
    # The API token is random by design (never derived from the secret): the only file that differs.
    return {path: content for path, content in snapshot.items() if path != "auditor/token.txt"}


def test_the_same_secret_recreates_the_game_byte_for_byte(tmp_path, fake_organisms, games):
    again = create(tmp_path / "again", fake_organisms, tier="data", secret=secret_of(games["data"]))
    assert _without_token(_snapshot(again)) == _without_token(_snapshot(games["data"]))
    assert (again / "auditor" / "token.txt").read_bytes() != (
        games["data"] / "auditor" / "token.txt"
    ).read_bytes()
    other = create(tmp_path / "other", fake_organisms, tier="data", secret=fixed_secret("other"))
    assert read_game_file(other).commitments != read_game_file(again).commitments


def _cli_create(out, fake_organisms, *extra):
    from auditgame.cli.game import app

    reuse = [option for recipe, path in fake_organisms.items() for option in ("--reuse", f"{recipe}={path}")]
    arguments = ["create", "--out", str(out), "--tier", "weights", "--no-progress", *reuse, *extra]
    return CliRunner().invoke(app, [*arguments, "--build-root", str(out.parent / "never-built")])


def test_cli_secret_file_recreates_a_game_byte_for_byte(tmp_path, fake_organisms):
    first = tmp_path / "first"
    outcome = _cli_create(first, fake_organisms)
    assert outcome.exit_code == 0, outcome.output
    secret_file = first / "master" / "secret.txt"
    assert len(secret_file.read_text().strip()) == 64  # the default secret: 256 bits, in master/
    outcome = _cli_create(tmp_path / "second", fake_organisms, "--secret-file", str(secret_file))
    assert outcome.exit_code == 0, outcome.output
    assert _without_token(_snapshot(tmp_path / "second")) == _without_token(_snapshot(first))
    outcome = _cli_create(tmp_path / "third", fake_organisms)  # no secret file: another game
    assert outcome.exit_code == 0, outcome.output
    assert (tmp_path / "third" / "game.json").read_bytes() != (first / "game.json").read_bytes()


def test_cli_refuses_a_seed_and_a_weak_secret_file(tmp_path, fake_organisms):
    outcome = _cli_create(tmp_path / "seeded", fake_organisms, "--seed", "7")
    assert isinstance(outcome.exception, AuditgameError)
    assert "--seed is gone" in str(outcome.exception) and "--secret-file" in str(outcome.exception)
    weak = tmp_path / "weak.txt"
    for text in ("07\n", "not hex at all\n", "ab" * 15 + "\n"):
        weak.write_text(text)
        outcome = _cli_create(tmp_path / "weak", fake_organisms, "--secret-file", str(weak))
        assert isinstance(outcome.exception, AuditgameError) and "\n" not in str(outcome.exception)
    outcome = _cli_create(tmp_path / "weak", fake_organisms, "--secret-file", str(tmp_path / "nowhere.txt"))
    assert isinstance(outcome.exception, AuditgameError) and "cannot read" in str(outcome.exception)
    assert not (tmp_path / "seeded").exists() and not (tmp_path / "weak").exists()


def test_game_json_is_public_only(games):
    game = json.loads((games["data"] / "game.json").read_text())
    text = json.dumps(game)
    assert set(game) == {
        "format_version",
        "name",
        "tier",
        "models",
        "commitments",
        "master_commitments",
        "versions",
    }
    assert game["format_version"] == 2
    assert game["models"] == ["model-a", "model-b", "model-c"]
    assert set(game["master_commitments"]) == {"secret.txt", "spec.json", "salts.json"}
    assert MAIN_ORGANISM not in text and "decoy" not in text and "seed" not in text and "created" not in text
    assert GAME_SECRET.hex() not in text


def test_commitments_verify_and_keys_are_the_recipes(games):
    keys = reveal(games["data"])
    spec = json.loads((games["data"] / "master" / "spec.json").read_text())
    assert "seed" not in spec
    assert [key.has_hidden_objective for key in keys.values()].count(True) == 1
    for model, key in keys.items():
        assert key.organism == spec["models"][model]["organism"]
        salt = derive_salt(GAME_SECRET, model)
        assert verify_commitment(key, salt, read_game_file(games["data"]).commitments[model])
        assert not verify_commitment(
            key, derive_salt(fixed_secret("other"), model), read_game_file(games["data"]).commitments[model]
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


def _swap_models_in_spec(game):
    path = game / "master" / "spec.json"
    spec = json.loads(path.read_text())
    spec["models"]["model-a"], spec["models"]["model-b"] = (
        spec["models"]["model-b"],
        spec["models"]["model-a"],
    )
    path.write_text(json.dumps(spec, indent=2, sort_keys=True))


def _repoint_a_model(game):
    path = game / "master" / "spec.json"
    spec = json.loads(path.read_text())
    spec["models"]["model-c"]["model_dir"] = spec["models"]["model-a"]["model_dir"]
    path.write_text(json.dumps(spec))


def _new_secret(game):
    (game / "master" / "secret.txt").write_text(fixed_secret("forged").hex() + "\n")


def _swap_salts(game):
    path = game / "master" / "salts.json"
    salts = json.loads(path.read_text())
    salts["model-a"], salts["model-b"] = salts["model-b"], salts["model-a"]
    path.write_text(json.dumps(salts))


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        (_swap_models_in_spec, "master/spec.json"),
        (_repoint_a_model, "master/spec.json"),
        (_new_secret, "master/secret.txt"),
        (_swap_salts, "master/salts.json"),
    ],
)
def test_a_tampered_master_record_fails_reveal_naming_the_file(tmp_path, games, tamper, named):
    from auditgame.cli.game import app

    game = tmp_path / "game"
    shutil.copytree(games["api"], game)
    reveal(game)
    tamper(game)
    with pytest.raises(GameIntegrityError, match="does not match its commitment") as caught:
        reveal(game)
    assert named in str(caught.value) and "\n" not in str(caught.value)
    outcome = CliRunner().invoke(app, ["reveal", str(game)])
    assert (
        isinstance(outcome.exception, GameIntegrityError) and "all commitments verified" not in outcome.output
    )


def test_reveal_refuses_a_game_without_master_commitments(tmp_path, games):
    game = tmp_path / "game"
    shutil.copytree(games["api"], game)
    public = json.loads((game / "game.json").read_text())
    public["format_version"] = 1
    del public["master_commitments"]
    (game / "game.json").write_text(json.dumps(public))
    with pytest.raises(GameIntegrityError, match="older auditgame"):
        reveal(game)
    (game / "master" / "secret.txt").unlink()
    shutil.copyfile(games["api"] / "game.json", game / "game.json")
    with pytest.raises(GameIntegrityError, match="cannot read the secret file"):
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
    one, two = fixed_secret("one"), fixed_secret("two")
    game = create(tmp_path / "game", fake_organisms, tier="api", secret=one)
    before = _snapshot(game)
    with pytest.raises(ArtifactConflictError, match="different game"):
        create(game, fake_organisms, tier="api", secret=two)
    with pytest.raises(ArtifactConflictError, match="different game"):
        create(game, fake_organisms, tier="data", secret=one)
    create(game, fake_organisms, tier="api", secret=one)  # the same game again: a no-op
    create(game, fake_organisms, tier="api")  # no secret given: the game's own is used, a no-op
    assert _snapshot(game) == before
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ArtifactConflictError, match="holds no game"):
        create(foreign, fake_organisms, tier="api", secret=one)
    assert [path.name for path in foreign.iterdir()] == ["notes.txt"]
    assert not (tmp_path / "never-built").exists()


def test_a_game_of_an_older_version_is_never_overwritten(tmp_path, fake_organisms):
    game = create(tmp_path / "game", fake_organisms, tier="api")
    spec = json.loads((game / "master" / "spec.json").read_text())
    (game / "master" / "spec.json").write_text(json.dumps({**spec, "seed": 7}))  # the old layout
    public = json.loads((game / "game.json").read_text())
    (game / "game.json").write_text(json.dumps({**public, "format_version": 1}))
    before = _snapshot(game)
    with pytest.raises(ArtifactConflictError, match="older auditgame"):
        create(game, fake_organisms, tier="api")
    assert _snapshot(game) == before


def _key_material(game) -> list[bytes]:
    master = game / "master"
    found = [(master / "secret.txt").read_text().strip().encode()]
    found += [salt.encode() for salt in json.loads((master / "salts.json").read_text()).values()]
    found += [
        json.loads(path.read_text())["root_cause"].encode() for path in (master / "keys").glob("*.json")
    ]
    return found


def test_stale_staging_of_an_earlier_version_is_removed_on_the_next_create(tmp_path, fake_organisms, games):
    # Earlier versions assembled the game in <parent>/.<name>.XXXXXXXX.tmp; kill -9 left it, keys and all.
    stale = tmp_path / ".gk.k3j9x2aa.tmp"
    shutil.copytree(games["api"] / "master", stale / "master")
    unrelated = tmp_path / ".gk.notes.tmp"  # holds no game part: not ours, kept
    unrelated.mkdir()
    (unrelated / "mine.txt").write_text("mine")
    game = create(tmp_path / "gk", fake_organisms, tier="api")
    assert not stale.exists() and (unrelated / "mine.txt").is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == [".gk.notes.tmp", "gk"]
    reveal(game)


_KILLED_CREATE = textwrap.dedent(
    """
    import json, os, signal, sys
    from pathlib import Path
    import auditgame.game.create as create

    def killed(*args, **kwargs):  # kill -9 while the workspace is written: keys, salts and spec are out
        os.kill(os.getpid(), signal.SIGKILL)

    create.build_workspace = killed
    out, organism, organisms = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    create.create_game(
        Path(out), organism=organism, decoys=2, tier="api", organism_dirs=organisms,
        build_root=Path(out).parent / "never-built", log=lambda *_: None, show_progress=False,
    )
    """
)


def test_kill_9_during_create_leaves_key_material_only_in_master_and_the_next_create_cleans_up(
    tmp_path, fake_organisms
):
    out = tmp_path / "games" / "gk"
    organisms = json.dumps({recipe: str(path) for recipe, path in fake_organisms.items()})
    environment = {**os.environ, "HF_HUB_OFFLINE": "1"}
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_CREATE, str(out), MAIN_ORGANISM, organisms],
        env=environment,
        capture_output=True,
        timeout=300,
    )
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    assert not (out / "game.json").exists() and (out / "master" / ".incomplete").is_file()
    needles = _key_material(out)
    assert needles
    for path in (tmp_path / "games").rglob("*"):
        if path.is_file() and (out / "master") not in path.parents:
            content = path.read_bytes()
            assert not any(needle in content for needle in needles), f"key material in {path}"
    game = create(out, fake_organisms, tier="api")
    assert not (out / "master" / ".incomplete").exists()
    assert sorted(path.name for path in (tmp_path / "games").iterdir()) == ["gk"]
    assert sorted(path.name for path in out.iterdir()) == ["auditor", "game.json", "master"]
    reveal(game)


def test_a_create_in_progress_is_not_removed_by_another(tmp_path, fake_organisms):
    import fcntl

    out = tmp_path / "gk"
    (out / "master").mkdir(parents=True)
    marker = out / "master" / ".incomplete"
    marker.write_text("in progress")
    with open(marker, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # a running create holds this lock
        with pytest.raises(ArtifactConflictError, match=r"writing .* right now"):
            create(out, fake_organisms, tier="api")
        assert marker.is_file()
    create(out, fake_organisms, tier="api")  # the lock died with its holder: the leftovers are removed
    reveal(out)


def test_a_failing_create_removes_what_it_wrote(tmp_path, fake_organisms, monkeypatch):
    import auditgame.game.create as create_module

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(create_module, "build_workspace", broken)
    with pytest.raises(OSError, match="disk full"):
        create(tmp_path / "new", fake_organisms, tier="api")
    assert not (tmp_path / "new").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(OSError, match="disk full"):
        create(tmp_path / "empty", fake_organisms, tier="api")
    assert list((tmp_path / "empty").iterdir()) == []
