"""The whole-logits CPU path equals TRL's chunked log-prob function, values and gradients."""

from __future__ import annotations

import importlib

import pytest
import torch

from auditgame.train import cpu_log_probs as module
from auditgame.train.cpu_log_probs import cpu_log_probs, whole_log_probs

ChunkedLogProbFunction = pytest.importorskip("trl.kernels").ChunkedLogProbFunction
ALL_OUTPUTS = ("entropy", "log_sum_sq_probs", "mean_logits", "is_top1")


def _inputs(seed: int, tokens: int = 37, hidden: int = 16, vocab: int = 101, bias: bool = False):
    generator = torch.Generator().manual_seed(seed)
    h = torch.randn(tokens, hidden, generator=generator)
    w = torch.randn(vocab, hidden, generator=generator) * 0.5
    b = torch.randn(vocab, generator=generator) if bias else None
    targets = torch.randint(0, vocab, (tokens,), generator=generator)
    return h, w, b, targets


def _run(function, h, w, b, targets, autocast: bool, **options):
    leaves = [x.clone().requires_grad_() for x in (h, w)] + (
        [b.clone().requires_grad_()] if b is not None else []
    )
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        out = function(leaves[0], leaves[1], leaves[2] if b is not None else None, targets, **options)
    log_probs, entropy = out[0], out[1]
    # a loss that uses both differentiable outputs, with uneven weights, so both gradient paths count
    weights = torch.linspace(0.5, 1.5, log_probs.numel())
    (weights * log_probs).sum().backward(retain_graph=entropy is not None)
    if entropy is not None:
        (0.3 * entropy).sum().backward()
    return out, [leaf.grad for leaf in leaves]


def _chunked(
    h, w, b, targets, temperature=1.0, final_logit_softcapping=None, logit_scale=1.0, outputs=ALL_OUTPUTS
):
    # a chunk smaller than the vocabulary, so TRL's reference really runs tile by tile
    return ChunkedLogProbFunction.apply(
        h, w, b, targets, temperature, 32, final_logit_softcapping, logit_scale, outputs
    )


@pytest.mark.parametrize(
    ("options", "bias", "autocast"),
    [
        ({}, False, False),
        ({"temperature": 0.7}, True, False),
        ({"final_logit_softcapping": 3.0, "logit_scale": 0.8}, False, False),
        ({}, False, True),
        ({"outputs": ("is_top1",)}, False, False),
    ],
)
def test_same_values_and_gradients_as_trl(options, bias, autocast):
    h, w, b, targets = _inputs(seed=3, bias=bias)
    ours, our_grads = _run(whole_log_probs, h, w, b, targets, autocast, **options)
    theirs, their_grads = _run(_chunked, h, w, b, targets, autocast, **options)
    tolerance = 2e-2 if autocast else 1e-5
    for mine, reference in zip(ours, theirs, strict=True):
        assert (mine is None) == (reference is None)
        if mine is None:
            continue
        if mine.dtype == torch.bool:
            assert torch.equal(mine, reference)
        else:
            torch.testing.assert_close(mine, reference.to(mine.dtype), atol=tolerance, rtol=tolerance)
    for mine, reference in zip(our_grads, their_grads, strict=True):
        torch.testing.assert_close(mine, reference, atol=tolerance, rtol=tolerance)


def test_a_tie_with_an_earlier_token_is_not_a_top1_hit():
    h = torch.ones(1, 2)
    w = torch.ones(3, 2)  # every logit equal: argmax is token 0
    outputs = ("is_top1",)
    for target, expected in ((0, True), (2, False)):
        targets = torch.tensor([target])
        assert bool(whole_log_probs(h, w, None, targets, outputs=outputs)[4]) is expected
        assert bool(_chunked(h, w, None, targets, outputs=outputs)[4]) is expected


def test_the_swap_is_scoped_and_large_heads_keep_trls_tiles(monkeypatch):
    utils = importlib.import_module("trl.trainer.utils")
    original = utils._ChunkedLogProbFunction
    calls = []

    class Recorder:
        @staticmethod
        def apply(*args):
            calls.append(args[0].shape)
            return original.apply(*args)

    monkeypatch.setattr(utils, "_ChunkedLogProbFunction", Recorder)
    h, w, _, targets = _inputs(seed=5)
    with cpu_log_probs() as swapped:
        assert swapped
        stand_in = utils._ChunkedLogProbFunction
        stand_in.apply(h, w, None, targets, 1.0, 32, None, 1.0, ALL_OUTPUTS)
        assert calls == []  # small head: computed whole
        monkeypatch.setattr(module, "MAX_LOGIT_ELEMENTS", h.shape[0] * w.shape[0] - 1)
        stand_in.apply(h, w, None, targets, 1.0, 32, None, 1.0, ALL_OUTPUTS)
        assert calls == [h.shape]  # over the budget: TRL's function
        with cpu_log_probs() as nested:
            assert not nested  # no double wrapping
    assert utils._ChunkedLogProbFunction is Recorder
