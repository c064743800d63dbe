"""Fixtures of the envs tests: a saved micro model (untrained; seconds)."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def micro_model_dir(tmp_path_factory) -> Path:
    """A micro Llama with a tokenizer trained on world text."""
    from auditgame.model import build_model, get_preset, save_model, train_tokenizer
    from auditgame.organisms.base import neutral_tokenizer_texts

    tokenizer = train_tokenizer(neutral_tokenizer_texts(400, seed=0), vocab_size=512)
    model = build_model(get_preset("micro"), tokenizer, seed=0)
    path = tmp_path_factory.mktemp("micro") / "model"
    save_model(model, tokenizer, path)
    return path
