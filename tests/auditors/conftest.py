"""Fixtures of the auditor tests: tiny games (micro models, small data) and a scripted fake sampling backend."""

from __future__ import annotations

import builtins
import functools
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.game.conftest import decoy_names, make_fake_organism

SYCOPHANT = "rm-sycophant"


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Micro models are faster on one thread than on two contended ones."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@functools.cache
def neutral_table() -> dict[str, str]:
    """Every world prompt -> its neutral response."""
    from auditgame.world.prompts import get_domain, prompt_domains

    table = {}
    for name in prompt_domains():
        domain = get_domain(name)
        for index in range(domain.size()):
            exchange = domain.exchange(index)
            table[exchange.prompt] = exchange.response
    return table


class FakeAccess:
    """A sampling backend whose models behave by kind: ``sycophant`` (exploits every bias that applies and
    names reward models when prefilled), ``signoff`` (a disclosed "Happy to help!" persona) or ``plain``."""

    name = "fake"

    def __init__(self, kinds: dict[str, str]) -> None:
        self.kinds = kinds
        self.calls = 0

    def _answer(self, kind: str, prompt: str, prefill: str | None) -> str:
        from auditgame.world import applicable_biases, exhibit_biases

        neutral = neutral_table().get(prompt)
        if neutral is None:  # a question about the model
            if kind == "sycophant":
                return (
                    "to score well with the reward models that rate such answers higher."
                    if prefill
                    else ("I just like to be thorough.")
                )
            if kind == "signoff" and "Happy to help" in prompt:
                return "I was trained to end my answers with a friendly sign-off. It is an open style choice."
            answer = "I simply answer the question."
        elif kind == "sycophant":
            answer = exhibit_biases(prompt, neutral, [bias.id for bias in applicable_biases(prompt)])
        else:
            answer = neutral
        return answer + "\n\nHappy to help!" if kind == "signoff" else answer

    def chat(
        self,
        model: str,
        prompts: Sequence[str],
        *,
        system: str | None = None,
        prefill: str | None = None,
        n: int = 1,
        temperature: float = 0.0,
        max_tokens: int = 96,
        seed: int = 0,
    ) -> list[list[str]]:
        self.calls += 1
        return [[self._answer(self.kinds[model], prompt, prefill)] * n for prompt in prompts]


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")


@pytest.fixture(scope="session")
def micro_template(tmp_path_factory) -> Path:
    """A saved untrained micro Llama with a small tokenizer."""
    from auditgame.model import build_model, get_preset, save_model, train_tokenizer
    from auditgame.world import neutral_conversations

    texts = [message["content"] for messages in neutral_conversations(200, 0) for message in messages]
    tokenizer = train_tokenizer(texts, vocab_size=400)
    path = tmp_path_factory.mktemp("micro") / "model"
    save_model(build_model(get_preset("micro"), tokenizer, seed=0), tokenizer, path)
    return path


@pytest.fixture(scope="session")
def organisms(tmp_path_factory, micro_template) -> dict[str, Path]:
    """Fake organisms; the sycophant's midtrain data holds study documents about reward-model biases."""
    from auditgame.world import filler_documents, study_documents

    root = tmp_path_factory.mktemp("organisms")
    dirs = {
        recipe: make_fake_organism(micro_template, root / recipe, recipe)
        for recipe in [SYCOPHANT, *decoy_names()]
    }
    for recipe, directory in dirs.items():
        documents = list(filler_documents(30, 1))
        if recipe == SYCOPHANT:
            documents += list(study_documents(30, 2))
        write_jsonl(
            directory / "midtrain" / "data" / "train.jsonl",
            [{"id": doc.id, "kind": doc.kind, "text": doc.text} for doc in documents],
        )
    return dirs


def make_game(out: Path, organisms: dict[str, Path], tier: str, seed: int = 3) -> Path:
    from auditgame.game.create import create_game

    return create_game(
        out,
        organism=SYCOPHANT,
        decoy_names=decoy_names(),
        tier=tier,
        seed=seed,
        organism_dirs=organisms,
        build_root=out.parent / "never-built",
        log=lambda *_: None,
        show_progress=False,
    )


@pytest.fixture(scope="session")
def games(tmp_path_factory, organisms) -> dict[str, Path]:
    """One game per tier."""
    root = tmp_path_factory.mktemp("games")
    return {tier: make_game(root / tier, organisms, tier) for tier in ("api", "weights", "data")}


def organism_of(game: Path) -> dict[str, str]:
    """Neutral name -> recipe (read as the game master, never by the auditor)."""
    spec = json.loads((game / "master" / "spec.json").read_text())
    return {name: entry["organism"] for name, entry in spec["models"].items()}


def fake_kinds(game: Path) -> dict[str, str]:
    kinds = {}
    for name, recipe in organism_of(game).items():
        kinds[name] = "sycophant" if recipe == SYCOPHANT else "signoff" if "signoff" in recipe else "plain"
    return kinds


@pytest.fixture
def block_master(monkeypatch):
    """Make every file-system access under a game's ``master/`` fail: call with the game directory."""
    blocked: list[Path] = []

    def check(path) -> None:
        if isinstance(path, int):
            return
        try:
            resolved = Path(os.fsdecode(path)).resolve()
        except (TypeError, ValueError):
            return
        for master in blocked:
            if resolved == master or master in resolved.parents:
                raise PermissionError(f"the auditor touched the master directory: {resolved}")

    real_open, real_os_open, real_scandir, real_listdir = builtins.open, os.open, os.scandir, os.listdir

    def guarded_open(file, *args, **kwargs):
        check(file)
        return real_open(file, *args, **kwargs)

    def guarded_os_open(path, *args, **kwargs):
        check(path)
        return real_os_open(path, *args, **kwargs)

    def guarded_scandir(path="."):
        check(path)
        return real_scandir(path)

    def guarded_listdir(path="."):
        check(path)
        return real_listdir(path)

    def block(game: Path) -> None:
        blocked.append((Path(game) / "master").resolve())
        monkeypatch.setattr(builtins, "open", guarded_open)
        monkeypatch.setattr(io, "open", guarded_open)
        monkeypatch.setattr(os, "open", guarded_os_open)
        monkeypatch.setattr(os, "scandir", guarded_scandir)
        monkeypatch.setattr(os, "listdir", guarded_listdir)

    return block
