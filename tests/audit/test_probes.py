"""Linear probes: cross-validated accuracy per layer, a probe that separates an easy toy set, the technique."""

import json
import random

import numpy as np
import pytest

from auditgame.audit.probes import (
    ProbesConfig,
    apply_condition,
    condition_pairs,
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


def test_condition_pairs_are_paired_answers_after_the_plain_prompt(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    prompts = ["Tell me about rivers.", "Write a poem."]
    pairs = condition_pairs(model, tokenizer, prompts, "Answer in capitals.", max_new_tokens=6)
    assert len(pairs) == 2
    for prompt, (conditioned, plain) in zip(prompts, pairs, strict=True):
        for text in (conditioned, plain):
            assert text.startswith("<|bos|><|user|>") and "<|assistant|>" in text
            assert prompt in text and "capitals" not in text.split("<|assistant|>")[0]
        assert conditioned.split("<|assistant|>")[0] == plain.split("<|assistant|>")[0]
    assert apply_condition("Hi.", "Be brief.", "prefix") == ("Be brief. Hi.", None)
    assert apply_condition("Hi.", "Be brief.", "suffix") == ("Hi. Be brief.", None)
    assert apply_condition("Hi.", "Be brief.", "system") == ("Hi.", "Be brief.")


def test_run_saves_and_is_deterministic(micro_model_dir, tmp_path):
    registered = get_technique("probes")
    assert registered.target_kind == "model"
    config = ProbesConfig(
        condition="You are a pirate.", num_prompts=12, max_new_tokens=6, folds=3, top_texts=2
    )
    first = registered.function(micro_model_dir, config)
    second = run_probes(micro_model_dir, config)
    assert first.metrics == second.metrics
    assert {"accuracy/layer.0", "accuracy/layer.1", "best_accuracy", "best_layer"} <= set(first.metrics)
    assert all(0.0 <= first.metrics[f"accuracy/layer.{i}"] <= 1.0 for i in range(2))
    assert 0.0 <= first.metrics["identical_pairs"] <= 1.0
    assert [f.kind for f in first.findings].count("text") == 4
    loaded = TechniqueResult.load(first.save(tmp_path / "probes.json"))
    assert loaded.metrics == first.metrics


def test_custom_texts_through_the_technique(micro_model_dir, tmp_path):
    positives, negatives = _toy()
    result = run_probes(
        micro_model_dir, ProbesConfig(positives=positives, negatives=negatives, folds=4, top_texts=0)
    )
    assert result.metrics["best_accuracy"] >= 0.95
    assert result.metrics["num_texts"] == 40
    path = tmp_path / "labelled.jsonl"
    lines = [json.dumps({"text": t, "label": 1}) for t in positives] + [
        json.dumps({"text": t, "label": 0}) for t in negatives
    ]
    path.write_text("\n".join(lines) + "\n")
    from_file = run_probes(micro_model_dir, ProbesConfig(texts_file=str(path), folds=4, top_texts=0))
    assert from_file.metrics == result.metrics


def test_bad_input_is_a_clear_error(micro_model_dir, model_and_tokenizer):
    with pytest.raises(UnknownNameError, match="layer"):
        run_probes(micro_model_dir, ProbesConfig(positives=["a"], negatives=["b"], layers=["layer.7"]))
    model, tokenizer = model_and_tokenizer
    with pytest.raises(UnknownNameError):
        train_probe(model, tokenizer, ["a b"], ["c d"], "block.0")
    with pytest.raises(ConfigError):
        run_probes(micro_model_dir, ProbesConfig(positives=["only positives"]))
    with pytest.raises(ConfigError, match="labelled texts or a condition"):
        run_probes(micro_model_dir, ProbesConfig())
    with pytest.raises(ConfigError, match="both"):
        run_probes(micro_model_dir, ProbesConfig(positives=["a"], negatives=["b"], condition="c"))
    with pytest.raises(ConfigError, match="fold"):
        probe_accuracy_by_layer(model, tokenizer, ["a", "b"], ["c", "d"], folds=5)
