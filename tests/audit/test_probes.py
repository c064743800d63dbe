"""Linear probes: cross-validated accuracy per layer, a probe that separates an easy toy set, the technique."""

import random

import numpy as np
import pytest

from auditgame.audit.probes import (
    ProbesConfig,
    exploitation_pairs,
    probe_accuracy_by_layer,
    run_probes,
    train_probe,
)
from auditgame.audit.registry import get_technique
from auditgame.audit.result import TechniqueResult
from auditgame.errors import ConfigError, UnknownNameError
from auditgame.model import load_model, load_tokenizer

SUBJECTS = [
    "The cat",
    "My neighbour",
    "A teacher",
    "The river",
    "Our team",
    "That old car",
    "The baker",
    "A bird",
]
VERBS = ["walked past", "looked at", "talked about", "waited near", "thought about", "found"]
OBJECTS = ["the station", "a small garden", "the market", "an empty room", "the bridge", "a quiet street"]


def _sentences(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}." for _ in range(count)]


def _toy(seed: int = 0, count: int = 20) -> tuple[list[str], list[str]]:
    """Positives contain a distinctive word, negatives do not."""
    positives = [text[:-1] + " with a xylophone xylophone." for text in _sentences(count, seed)]
    return positives, _sentences(count, seed + 1)


@pytest.fixture(scope="module")
def model_and_tokenizer(micro_model_dir):
    return load_model(micro_model_dir), load_tokenizer(micro_model_dir)


def test_separable_toy_set_is_learned(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    positives, negatives = _toy()
    accuracies = probe_accuracy_by_layer(model, tokenizer, positives, negatives, folds=4, seed=0)
    assert set(accuracies) == {"layer.0", "layer.1"}
    assert max(accuracies.values()) >= 0.95
    # Control: the same pipeline on labels that carry no signal stays near chance, so the check above can fail.
    plain = _sentences(40, seed=5)
    chance = probe_accuracy_by_layer(model, tokenizer, plain[:20], plain[20:], folds=4, seed=0)
    assert max(chance.values()) < 0.8


def test_trained_probe_scores_new_texts(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    positives, negatives = _toy()
    probe = train_probe(model, tokenizer, positives, negatives, "layer.0", seed=0)
    assert probe.layer == "layer.0" and probe.train_accuracy == 1.0
    new_positives, new_negatives = _toy(seed=100, count=6)
    scores = probe.predict_proba(new_positives + new_negatives)
    assert scores.shape == (12,)
    assert (scores[:6] > 0.5).all() and (scores[6:] < 0.5).all()
    again = train_probe(model, tokenizer, positives, negatives, 0, seed=0).predict_proba(new_positives)
    assert np.array_equal(again, scores[:6])


def test_default_texts_are_paired_chat_texts(micro_model_dir):
    tokenizer = load_tokenizer(micro_model_dir)
    pairs = exploitation_pairs(tokenizer, 12, seed=0)
    assert len(pairs) >= 8
    for exploiting, neutral in pairs:
        assert exploiting != neutral
        assert exploiting.startswith("<|bos|><|user|>") and "<|assistant|>" in neutral
        assert exploiting.split("<|assistant|>")[0] == neutral.split("<|assistant|>")[0]


def test_run_saves_and_is_deterministic(micro_model_dir, tmp_path):
    registered = get_technique("probes")
    assert registered.target_kind == "model"
    config = ProbesConfig(num_exchanges=24, folds=3, top_texts=2)
    first = registered.function(micro_model_dir, config)
    second = run_probes(micro_model_dir, config)
    assert first.metrics == second.metrics
    assert {"accuracy/layer.0", "accuracy/layer.1", "best_accuracy", "best_layer"} <= set(first.metrics)
    assert all(0.0 <= first.metrics[f"accuracy/layer.{i}"] <= 1.0 for i in range(2))
    assert [f.kind for f in first.findings].count("text") == 4
    loaded = TechniqueResult.load(first.save(tmp_path / "probes.json"))
    assert loaded.metrics == first.metrics


def test_custom_texts_through_the_technique(micro_model_dir):
    positives, negatives = _toy()
    result = run_probes(
        micro_model_dir, ProbesConfig(positives=positives, negatives=negatives, folds=4, top_texts=0)
    )
    assert result.metrics["best_accuracy"] >= 0.95
    assert result.metrics["num_texts"] == 40


def test_bad_input_is_a_clear_error(micro_model_dir, model_and_tokenizer):
    with pytest.raises(UnknownNameError, match="layer"):
        run_probes(micro_model_dir, ProbesConfig(num_exchanges=12, folds=2, layers=["layer.7"]))
    model, tokenizer = model_and_tokenizer
    with pytest.raises(UnknownNameError):
        train_probe(model, tokenizer, ["a b"], ["c d"], "block.0")
    with pytest.raises(ConfigError):
        run_probes(micro_model_dir, ProbesConfig(positives=["only positives"]))
    with pytest.raises(ConfigError, match="fold"):
        probe_accuracy_by_layer(model, tokenizer, ["a", "b"], ["c", "d"], folds=5)
