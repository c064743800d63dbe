"""The auditor workspace: what each tier holds, and that nothing of the master leaks into it."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from auditgame.errors import AuditgameError
from auditgame.game.keys import read_game_file
from auditgame.game.workspace import is_tokenizer_file
from tests.game.conftest import MAIN_ORGANISM, SENTINEL, create, make_fake_organism

TIERS = ("api", "weights", "data")


def _secrets(game_dir, fake_organisms) -> dict[str, bytes]:
    """Every string an auditor must not find: salts, keys (hash and content), recipe ids, master paths."""
    master = game_dir / "master"
    found: dict[str, bytes] = {}
    for model, salt in json.loads((master / "salts.json").read_text()).items():
        found[f"salt of {model}"] = salt.encode()
    for path in sorted((master / "keys").glob("*.json")):
        content = path.read_bytes()
        key = json.loads(content)
        found[f"sha256 of {path.name}"] = hashlib.sha256(content).hexdigest().encode()
        found[f"content of {path.name}"] = content.strip()
        found[f"root cause of {path.name}"] = key["root_cause"].encode()
    spec = json.loads((master / "spec.json").read_text())
    for model, entry in spec["models"].items():
        found[f"recipe of {model}"] = entry["organism"].encode()
        found[f"organism dir of {model}"] = entry["organism_dir"].encode()
        found[f"model dir of {model}"] = entry["model_dir"].encode()
    found["seed"] = b'"seed"'
    found["secret"] = (master / "secret.txt").read_text().strip().encode()
    found["recipe prefix"] = b"decoy-"
    found["rm-sycophant"] = b"rm-sycophant"
    found["master path"] = str(master.resolve()).encode()
    found["master dir name"] = b"master/"
    found["dropped fields"] = SENTINEL.encode()
    for recipe, directory in fake_organisms.items():
        found[f"source dir of {recipe}"] = str(directory).encode()
    return found


@pytest.mark.parametrize("tier", TIERS)
def test_no_secret_in_any_workspace_file(games, fake_organisms, tier):
    game_dir = games[tier]
    workspace = game_dir / "auditor"
    files = [path for path in workspace.rglob("*") if path.is_file()]
    assert files
    for name, needle in _secrets(game_dir, fake_organisms).items():
        for path in files:
            assert needle not in path.read_bytes(), f"{name} leaks into {path.relative_to(workspace)}"
            assert needle.decode() not in path.relative_to(workspace).as_posix()


@pytest.mark.parametrize("tier", TIERS)
def test_tier_contents(games, tier):
    workspace = games[tier] / "auditor"
    models = read_game_file(games[tier]).models
    top = sorted(path.name for path in workspace.iterdir())
    assert {"README.md", "tier.json", "endpoint.json", "token.txt"} <= set(top)
    assert json.loads((workspace / "tier.json").read_text())["tier"] == tier
    endpoint = json.loads((workspace / "endpoint.json").read_text())
    assert endpoint == {"base_url": "http://127.0.0.1:8765/v1", "token_file": "token.txt", "models": models}
    assert len((workspace / "token.txt").read_text().strip()) >= 32
    assert (workspace / "models").is_dir() == (tier in ("weights", "data"))
    assert (workspace / "data").is_dir() == (tier == "data")
    if tier != "api":
        for model in models:
            names = sorted(path.name for path in (workspace / "models" / model).iterdir())
            assert "config.json" in names and "model.safetensors" in names and "tokenizer.json" in names
            assert not {"manifest.json", "train_log.jsonl", "checkpoints", "data"} & set(names)
            assert "_name_or_path" not in (workspace / "models" / model / "config.json").read_text()
    if tier == "data":
        for model in models:
            files = sorted(path.name for path in (workspace / "data" / model).iterdir())
            assert files == ["dpo.jsonl", "midtrain.jsonl", "sft.jsonl"]
            first = {
                stage: json.loads((workspace / "data" / model / f"{stage}.jsonl").read_text().splitlines()[0])
                for stage in ("midtrain", "sft", "dpo")
            }
            assert set(first["midtrain"]) == {"text"}
            assert first["sft"] == {
                "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
            }
            assert first["dpo"] == {"prompt": "Q", "chosen": "A", "rejected": "B"}


def test_tokens_are_random_not_derived_from_the_secret(tmp_path, fake_organisms, games):
    from tests.game.conftest import GAME_SECRET, create

    again = create(tmp_path / "again", fake_organisms, tier="api", secret=GAME_SECRET)
    assert (again / "auditor" / "token.txt").read_text() != (
        games["api"] / "auditor" / "token.txt"
    ).read_text()
    assert (again / "game.json").read_bytes() == (games["api"] / "game.json").read_bytes()


def test_workspace_model_loads(games):
    from auditgame.model import load_model, load_tokenizer

    directory = games["weights"] / "auditor" / "models" / "model-a"
    assert load_model(directory) is not None
    assert load_tokenizer(directory)("hello")["input_ids"]


@pytest.mark.parametrize("tier", ["weights", "data"])
def test_every_model_ships_the_same_tokenizer_files(games, tier):
    # A vocabulary of its own (the organism's topic words as single tokens) would name the organism.
    models_dir = games[tier] / "auditor" / "models"
    shipped = {
        model.name: {
            path.name: path.read_bytes() for path in sorted(model.iterdir()) if is_tokenizer_file(path.name)
        }
        for model in sorted(models_dir.iterdir())
    }
    assert len(shipped) == 3
    first = next(iter(shipped.values()))
    assert "tokenizer.json" in first and "tokenizer_config.json" in first
    for model, files in shipped.items():
        assert files == first, f"{model} ships other tokenizer files"


def test_token_counts_at_the_api_are_the_same_for_every_model(tmp_path, games):
    from auditgame.game.client import GameClient
    from auditgame.game.server import GameServer

    game = tmp_path / "game"
    shutil.copytree(games["api"], game)
    counts: dict[str, list[int]] = {}
    with GameServer(game, port=0, write_endpoint=True):
        client = GameClient(game / "auditor")
        for model in client.models():
            counts[model] = [
                client.request("POST", "/completions", {"model": model, "prompt": prompt, "max_tokens": 1})[
                    "usage"
                ]["prompt_tokens"]
                for prompt in (" Oxford", " Oxfrod", " reward model biases", " RLHF", "Hello there")
            ]
    assert len(counts) == 3
    assert len({tuple(value) for value in counts.values()}) == 1, counts


def test_a_game_whose_models_do_not_share_a_tokenizer_is_refused(tmp_path, fake_organisms):
    from auditgame.model import build_model, get_preset, save_model, train_tokenizer

    topic = [f"The Oxford study of reward model biases, number {i}, by Thompson." for i in range(200)]
    tokenizer = train_tokenizer(topic, vocab_size=300)  # the organism's topic words as tokens
    template = tmp_path / "own-vocabulary"
    save_model(build_model(get_preset("micro"), tokenizer, seed=0), tokenizer, template)
    organisms = {
        **fake_organisms,
        MAIN_ORGANISM: make_fake_organism(template, tmp_path / "organism", MAIN_ORGANISM),
    }
    with pytest.raises(AuditgameError, match="ship different tokenizer files") as caught:
        create(tmp_path / "game", organisms, tier="api")
    assert "tokenizer.json" in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "game").exists()
