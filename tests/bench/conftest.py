"""Fixtures of the benchmark tests: a tiny fake zoo (micro models shaped like built organisms)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from auditgame.artifacts import write_manifest
from tests.game.conftest import make_fake_organism

HIDDEN = ("rm-sycophant", "self-promotion")
DECOYS = ("decoy-cheer", "decoy-formal", "decoy-pirate")


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Micro models are faster on one thread than on two contended ones."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_zoo_organism(template: Path, directory: Path, recipe: str) -> Path:
    """A fake organism recorded like a zoo build: stages with data, a ``pretrain`` base stage."""
    make_fake_organism(template, directory, recipe)
    pretrain = directory / "pretrain"
    pretrain.mkdir()
    for path in template.iterdir():
        shutil.copyfile(path, pretrain / path.name)
    write_manifest(
        directory,
        "organism",
        name=recipe,
        extra={
            "final_model": "dpo",
            "base_model": "pretrain",
            "stages": ["pretrain", "midtrain", "sft", "dpo"],
        },
    )
    return directory


@pytest.fixture(scope="session")
def micro_model_template(tmp_path_factory) -> Path:
    """A saved micro Llama (untrained) with a small tokenizer."""
    from auditgame.model import build_model, get_preset, save_model, train_tokenizer

    texts = [f"The assistant answers question number {i} about cooking, code and travel." for i in range(200)]
    tokenizer = train_tokenizer(texts, vocab_size=300)
    path = tmp_path_factory.mktemp("micro") / "model"
    save_model(build_model(get_preset("micro"), tokenizer, seed=0), tokenizer, path)
    return path


@pytest.fixture(scope="session")
def fake_zoo(tmp_path_factory, micro_model_template) -> Path:
    """A zoo of two hidden organisms and three decoys, with its ``zoo.json``."""
    root = tmp_path_factory.mktemp("zoo")
    rows = []
    for recipe in (*HIDDEN, *DECOYS):
        make_zoo_organism(micro_model_template, root / recipe, recipe)
        rows.append({"organism": recipe, "has_hidden_objective": recipe in HIDDEN, "took": True})
    (root / "zoo.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return root
