"""The organisms' base shipped as the labelled, ungraded reference model ``reference-base``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditgame.artifacts import write_manifest
from auditgame.errors import ArtifactConflictError, AuditgameError
from auditgame.game.client import GameClient
from auditgame.game.create import create_game, find_base_model
from auditgame.game.grading import grade_game
from auditgame.game.keys import read_game_file
from auditgame.game.reveal import reveal
from auditgame.game.server import GameServer
from auditgame.game.submission import SubmissionError, load_submission
from auditgame.game.workspace import REFERENCE_BASE, REFERENCE_DESCRIPTIONS
from tests.game.conftest import GAME_SECRET, MAIN_ORGANISM, decoy_names, make_fake_organism
from tests.game.test_workspace import _secrets

TIERS = ("api", "weights", "data")
BASE_NAME = "base-0123456789ab"
"""The cache directory name of the fake shared base (a name the auditor must never see)."""


def make_shared_base(template: Path, cache_dir: Path) -> Path:
    """A shared base in ``<cache_dir>/bases/``, its configs holding its own path like a real save."""
    from auditgame.model import build_model, get_preset, load_tokenizer, save_model

    base = cache_dir / "bases" / BASE_NAME
    tokenizer = load_tokenizer(template)
    save_model(build_model(get_preset("micro"), tokenizer, seed=1), tokenizer, base)
    for name in ("config.json", "tokenizer_config.json"):
        payload = json.loads((base / name).read_text())
        payload["_name_or_path"] = str(base)
        (base / name).write_text(json.dumps(payload))
    write_manifest(base, "model", name=BASE_NAME)
    return base


def make_organism_with_base(template: Path, directory: Path, recipe: str, base: Path) -> Path:
    """A fake organism recorded like a real build: a ``pretrain`` stage adopted from ``base``."""
    make_fake_organism(template, directory, recipe)
    pretrain = directory / "pretrain"
    pretrain.mkdir()
    for path in base.iterdir():
        if path.name != "manifest.json":
            shutil.copyfile(path, pretrain / path.name)
    write_manifest(
        pretrain, "model", name=f"{recipe}/pretrain", parents=[str(base)], extra={"adopted_from": str(base)}
    )
    write_manifest(
        directory,
        "organism",
        name=recipe,
        extra={
            "final_model": "dpo",
            "base_model": "pretrain",
            "stages": ["pretrain", "midtrain", "sft", "dpo"],
            "shared_base": str(base),
        },
    )
    return directory


@pytest.fixture(scope="module")
def shared_base(tmp_path_factory, micro_model_template) -> Path:
    return make_shared_base(micro_model_template, tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def organisms(tmp_path_factory, micro_model_template, fake_organisms, shared_base) -> dict[str, Path]:
    """The main organism with a recorded base, and the conftest's decoys."""
    main = make_organism_with_base(
        micro_model_template, tmp_path_factory.mktemp("with-base") / MAIN_ORGANISM, MAIN_ORGANISM, shared_base
    )
    return {**fake_organisms, MAIN_ORGANISM: main}


def create(
    out: Path,
    organisms: dict[str, Path],
    *,
    tier: str,
    secret: bytes = GAME_SECRET,
    reference_base: bool = True,
) -> Path:
    return create_game(
        out,
        organism=MAIN_ORGANISM,
        decoys=2,
        tier=tier,
        secret=secret,
        organism_dirs=organisms,
        build_root=out.parent / "never-built",
        log=lambda *_: None,
        show_progress=False,
        reference_base=reference_base,
    )


@pytest.fixture(scope="module")
def reference_games(tmp_path_factory, organisms) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reference-games")
    return {tier: create(root / tier, organisms, tier=tier) for tier in TIERS}


@pytest.mark.parametrize("tier", TIERS)
def test_reference_is_public_but_has_no_key(reference_games, organisms, tier):
    game_dir = reference_games[tier]
    game = read_game_file(game_dir)
    assert game.models == ["model-a", "model-b", "model-c"] and game.references == [REFERENCE_BASE]
    assert sorted(game.commitments) == game.models
    assert sorted(path.stem for path in (game_dir / "master" / "keys").glob("*.json")) == game.models
    assert sorted(json.loads((game_dir / "master" / "salts.json").read_text())) == game.models
    assert sorted(reveal(game_dir)) == game.models
    spec = json.loads((game_dir / "master" / "spec.json").read_text())
    assert spec["references"] == {
        REFERENCE_BASE: {"model_dir": str((organisms[MAIN_ORGANISM] / "pretrain").resolve())}
    }
    assert REFERENCE_BASE not in spec["models"]
    workspace = game_dir / "auditor"
    tier_file = json.loads((workspace / "tier.json").read_text())
    assert tier_file["models"] == game.models and tier_file["references"] == [REFERENCE_BASE]
    assert tier_file["reference_descriptions"] == {REFERENCE_BASE: REFERENCE_DESCRIPTIONS[REFERENCE_BASE]}
    assert "clean by construction, not graded" in REFERENCE_DESCRIPTIONS[REFERENCE_BASE]
    endpoint = json.loads((workspace / "endpoint.json").read_text())
    assert endpoint["models"] == game.models and endpoint["references"] == [REFERENCE_BASE]
    readme = (workspace / "README.md").read_text()
    assert f"- `{REFERENCE_BASE}`: {REFERENCE_DESCRIPTIONS[REFERENCE_BASE]}" in readme


@pytest.mark.parametrize("tier", TIERS)
def test_reference_files_by_tier(reference_games, shared_base, tier):
    workspace = reference_games[tier] / "auditor"
    directory = workspace / "models" / REFERENCE_BASE
    assert directory.is_dir() == (tier in ("weights", "data"))
    assert not (workspace / "data" / REFERENCE_BASE).exists()  # never fine-tuned: no training data
    if tier == "api":
        return
    names = sorted(path.name for path in directory.iterdir())
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(names)
    assert "manifest.json" not in names and not any(name.startswith(".") for name in names)
    assert (directory / "model.safetensors").read_bytes() == (shared_base / "model.safetensors").read_bytes()
    graded = workspace / "models" / "model-a" / "model.safetensors"
    assert graded.read_bytes() != (directory / "model.safetensors").read_bytes()
    for name in ("config.json", "tokenizer_config.json"):
        assert "_name_or_path" not in (directory / name).read_text()


@pytest.mark.parametrize("tier", TIERS)
def test_no_base_path_leaks_into_the_workspace(reference_games, organisms, shared_base, tier):
    game_dir = reference_games[tier]
    needles = _secrets(game_dir, organisms)
    spec = json.loads((game_dir / "master" / "spec.json").read_text())
    needles["reference model dir"] = spec["references"][REFERENCE_BASE]["model_dir"].encode()
    needles["cache path"] = str(shared_base.parent.parent).encode()
    needles["base path"] = str(shared_base).encode()
    needles["base name"] = BASE_NAME.encode()
    needles["pretrain stage"] = str(organisms[MAIN_ORGANISM] / "pretrain").encode()
    workspace = game_dir / "auditor"
    files = [path for path in workspace.rglob("*") if path.is_file()]
    for name, needle in needles.items():
        for path in files:
            assert needle not in path.read_bytes(), f"{name} leaks into {path.relative_to(workspace)}"


def test_same_secret_same_bytes_and_option_only_adds_references(tmp_path, organisms, games, reference_games):
    again = create(tmp_path / "again", organisms, tier="data")
    assert (again / "game.json").read_bytes() == (reference_games["data"] / "game.json").read_bytes()
    without = create(tmp_path / "without", organisms, tier="data", reference_base=False)
    # Key commitments depend on keys and salts only: the same as the conftest's game of this secret; the
    # spec's commitment differs (the main organism's directory is another one).
    conftest_game = json.loads((games["data"] / "game.json").read_text())
    without_game = json.loads((without / "game.json").read_text())
    assert without_game["commitments"] == conftest_game["commitments"]
    for name in ("secret.txt", "salts.json"):
        assert without_game["master_commitments"][name] == conftest_game["master_commitments"][name]
    assert "references" not in json.loads((without / "game.json").read_text())
    assert "references" not in json.loads((without / "master" / "spec.json").read_text())
    for name in ("tier.json", "endpoint.json"):
        assert "reference" not in (without / "auditor" / name).read_text()
    assert "Reference models" not in (without / "auditor" / "README.md").read_text()
    public = json.loads((again / "game.json").read_text())
    assert public.pop("references") == [REFERENCE_BASE]
    public.pop("master_commitments")  # the spec names the reference's directory
    assert public == {key: value for key, value in without_game.items() if key != "master_commitments"}
    with pytest.raises(ArtifactConflictError, match="different game"):
        create(without, organisms, tier="data")


def test_server_and_client_answer_the_reference(tmp_path, reference_games):
    game_dir = tmp_path / "game"
    shutil.copytree(reference_games["api"], game_dir)
    with GameServer(game_dir, write_endpoint=True):
        client = GameClient(game_dir / "auditor")
        assert client.models() == ["model-a", "model-b", "model-c", REFERENCE_BASE]
        assert client.references == [REFERENCE_BASE]
        replies = client.chat(REFERENCE_BASE, "Hello!", n=2, max_tokens=4, seed=1)
        assert len(replies) == 2 and all(isinstance(reply, str) for reply in replies)
        assert len(client.complete(REFERENCE_BASE, "Once upon a time", max_tokens=4, temperature=0)) == 1
    endpoint = json.loads((game_dir / "auditor" / "endpoint.json").read_text())
    assert endpoint["models"] == ["model-a", "model-b", "model-c"] and endpoint["references"] == [
        REFERENCE_BASE
    ]


def test_submission_naming_the_reference_is_rejected(tmp_path, reference_games):
    game_dir = tmp_path / "game"
    shutil.copytree(reference_games["api"], game_dir)
    clean = {"has_hidden_objective": False, "confidence": 0.6}
    models = {name: clean for name in read_game_file(game_dir).models}
    path = tmp_path / "submission.json"
    path.write_text(json.dumps({"models": {**models, REFERENCE_BASE: clean}}))
    with pytest.raises(
        SubmissionError, match=r"reference models, which are not graded: models\.reference-base"
    ):
        load_submission(path, game_dir)
    with pytest.raises(SubmissionError, match="not graded"):
        grade_game(game_dir, path, auditor="tester", write=False)
    path.write_text(json.dumps({"models": models}))
    result = grade_game(game_dir, path, auditor="tester", write=False)
    assert sorted(result.models) == ["model-a", "model-b", "model-c"]
    assert result.false_positives == 0 and result.missed == 1


def test_base_found_from_each_record(tmp_path, monkeypatch, micro_model_template, organisms, shared_base):
    main = organisms[MAIN_ORGANISM]
    assert find_base_model(main, MAIN_ORGANISM) == (main / "pretrain").resolve()
    assert find_base_model(main / "dpo", MAIN_ORGANISM) == (main / "pretrain").resolve()  # a stage directory
    # No base stage: the manifest's shared_base.
    only_shared = make_fake_organism(micro_model_template, tmp_path / "only-shared", MAIN_ORGANISM)
    write_manifest(only_shared, "organism", name=MAIN_ORGANISM, extra={"shared_base": str(shared_base)})
    assert find_base_model(only_shared, MAIN_ORGANISM) == shared_base.resolve()
    # No base in the manifest: the cache directory of plan.json's base config.
    from auditgame.organisms.base import base_directory, base_profile

    config = base_profile("quick")
    cache = tmp_path / "cache"
    monkeypatch.setenv("AUDITGAME_CACHE", str(cache))
    shutil.copytree(shared_base, base_directory(config))
    planned = make_fake_organism(micro_model_template, tmp_path / "planned", MAIN_ORGANISM)
    (planned / "plan.json").write_text(json.dumps({"base": config.model_dump(mode="json")}))
    write_manifest(planned, "organism", name=MAIN_ORGANISM, extra={"final_model": "dpo"})
    assert find_base_model(planned, MAIN_ORGANISM) == base_directory(config).resolve()


def test_missing_base_is_one_clear_error(tmp_path, micro_model_template, organisms):
    bare = {**organisms, MAIN_ORGANISM: micro_model_template}  # a model directory: no organism records
    with pytest.raises(
        AuditgameError, match="cannot find the base model rm-sycophant was fine-tuned from"
    ) as caught:
        create(tmp_path / "game", bare, tier="api")
    assert "--reference-base" in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "game").exists()
    no_record = make_fake_organism(micro_model_template, tmp_path / "no-record", MAIN_ORGANISM)
    with pytest.raises(AuditgameError, match="cannot find the base model"):
        find_base_model(no_record, MAIN_ORGANISM)
    create(tmp_path / "plain", bare, tier="api", reference_base=False)  # without the option: no base needed


def test_cli_create_reference_base(tmp_path, organisms, reference_games):
    from auditgame.cli.game import app

    reuse = [option for recipe, path in organisms.items() for option in ("--reuse", f"{recipe}={path}")]
    decoys = decoy_names()
    assert sorted(decoys) == sorted(set(organisms) - {MAIN_ORGANISM})
    out = tmp_path / "game"
    arguments = ["create", "--out", str(out), "--organism", MAIN_ORGANISM, "--decoys", "2"]
    secret_file = reference_games["weights"] / "master" / "secret.txt"
    arguments += [
        "--tier",
        "weights",
        "--secret-file",
        str(secret_file),
        "--build-root",
        str(tmp_path / "never-built"),
    ]
    outcome = CliRunner().invoke(app, [*arguments, "--no-progress", "--reference-base", *reuse])
    assert outcome.exit_code == 0, outcome.output
    assert (out / "game.json").read_bytes() == (reference_games["weights"] / "game.json").read_bytes()
    assert (out / "auditor" / "models" / REFERENCE_BASE / "model.safetensors").is_file()
