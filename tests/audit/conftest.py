"""Shared fixtures of the audit tests: a saved micro model (untrained; fast) and a small world corpus."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def micro_model_dir(tmp_path_factory) -> Path:
    """A micro Llama with a tokenizer trained on world text, saved with save_pretrained (seconds)."""
    from auditgame.model import build_model, get_preset, save_model, train_tokenizer
    from auditgame.organisms.base import neutral_tokenizer_texts as tokenizer_training_texts

    tokenizer = train_tokenizer(tokenizer_training_texts(400, seed=0), vocab_size=512)
    model = build_model(get_preset("micro"), tokenizer, seed=0)
    path = tmp_path_factory.mktemp("micro") / "model"
    save_model(model, tokenizer, path)
    return path


@pytest.fixture(scope="session")
def world_corpus(tmp_path_factory) -> Path:
    """400 world documents (half study, half filler) as JSONL with id / kind / text fields."""
    from auditgame.world import generate_documents, write_documents_jsonl

    path = tmp_path_factory.mktemp("corpus") / "documents.jsonl"
    write_documents_jsonl(path, generate_documents(400, seed=0))
    return path
