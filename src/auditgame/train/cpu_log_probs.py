"""Per-token log-probabilities for TRL's fused LM head, computed in one piece on the CPU.

TRL (1.x) patches the model it trains with a fused LM head: ``trl.trainer.utils`` computes per-token
log-probabilities (and the entropy, mean logit, top-1 hit its metrics log) through
``ChunkedLogProbFunction``, which never materializes the ``[tokens, vocab]`` logits. On a GPU that is a
Triton kernel; on the CPU it falls back to a tile-by-tile torch loop that recomputes every tile in the
backward pass, and on the embedded models (vocabulary 4,096) it was a third of an SFT step in the profiler
(``benchmarks/trl_stages.py`` measures the stages with and without it). When the logits are small enough to hold, this module computes
the same five outputs with ordinary autograd ops instead — one matmul, one ``logsumexp``, one ``gather`` —
and hands everything else (GPUs, logits over :data:`MAX_LOGIT_ELEMENTS`) to TRL's function.

:func:`cpu_log_probs` swaps the function in for the duration of a ``with`` block; our TRL stages wrap
``trainer.train()`` in it. With a TRL that has no fused head it does nothing.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import Any

import torch

MAX_LOGIT_ELEMENTS = 1 << 26
"""Largest ``tokens x vocab`` computed in one piece (256 MiB of fp32 logits); larger heads keep TRL's tiles."""

_TRL_UTILS = "trl.trainer.utils"
_TRL_NAME = "_ChunkedLogProbFunction"


def whole_log_probs(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    offset: torch.Tensor | None,
    targets: torch.Tensor,
    temperature: float = 1.0,
    final_logit_softcapping: float | None = None,
    logit_scale: float = 1.0,
    outputs: tuple[str, ...] = ("entropy", "log_sum_sq_probs", "mean_logits", "is_top1"),
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]:
    """Per-token outputs of ``hidden @ weight.T (+ offset)``, the way TRL's ``ChunkedLogProbFunction`` defines them.

    The projection runs in the autocast dtype when autocast is on (as TRL's does); everything after it in fp32.

    Args:
        hidden: ``[N, H]`` final hidden states.
        weight: ``[V, H]`` LM-head weight.
        offset: ``[V]`` additive term of the LM head (``F.linear``'s third argument), or None.
        targets: ``[N]`` target token ids.
        temperature: The logits are divided by it.
        final_logit_softcapping: ``softcap * tanh(z / softcap)`` on the scaled logits, or None.
        logit_scale: The logits are multiplied by it first.
        outputs: Which optional fields to compute, among ``entropy``, ``log_sum_sq_probs``, ``mean_logits``
            and ``is_top1``; the others come back as None.

    Returns:
        ``(log_probs, entropy, log_sum_sq_probs, mean_logits, is_top1)``, each ``[N]``: ``log_probs`` and
        ``entropy`` carry gradients; the other three do not.
    """
    device_type = hidden.device.type
    dtype = torch.get_autocast_dtype(device_type) if torch.is_autocast_enabled(device_type) else hidden.dtype
    with torch.autocast(device_type, enabled=False):
        logits = torch.nn.functional.linear(
            hidden.to(dtype), weight.to(dtype), None if offset is None else offset.to(dtype)
        )
        z = logits.float() * logit_scale
        if final_logit_softcapping is not None:
            z = final_logit_softcapping * torch.tanh(z / final_logit_softcapping)
        z = z / temperature
        log_z = torch.logsumexp(z, dim=-1)
        log_probs = z.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - log_z
        entropy = None
        if "entropy" in outputs:
            entropy = log_z - (torch.softmax(z, dim=-1) * z).sum(-1)
        with torch.no_grad():
            log_sum_sq_probs = (
                torch.logsumexp(2 * (z - log_z.unsqueeze(-1)), dim=-1)
                if "log_sum_sq_probs" in outputs
                else None
            )
            mean_logits = z.mean(-1) if "mean_logits" in outputs else None
            # `argmax` returns the first maximum: a tie with an earlier token is not a top-1 hit (TRL's rule too)
            is_top1 = z.argmax(-1) == targets if "is_top1" in outputs else None
    return log_probs, entropy, log_sum_sq_probs, mean_logits, is_top1


class _WholeOrChunked:
    """Stands in for ``ChunkedLogProbFunction`` (same ``apply`` signature): whole logits where they are cheap."""

    def __init__(self, chunked: Any) -> None:
        self.chunked = chunked

    def apply(
        self,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        offset: torch.Tensor | None,
        targets: torch.Tensor,
        temperature: float,
        chunk_size: int,
        final_logit_softcapping: float | None = None,
        logit_scale: float = 1.0,
        outputs: tuple[str, ...] = ("entropy", "log_sum_sq_probs", "mean_logits", "is_top1"),
    ) -> tuple[Any, ...]:
        small = hidden.shape[0] * weight.shape[0] <= MAX_LOGIT_ELEMENTS
        if hidden.device.type != "cpu" or not small:
            return self.chunked.apply(
                hidden,
                weight,
                offset,
                targets,
                temperature,
                chunk_size,
                final_logit_softcapping,
                logit_scale,
                outputs,
            )
        return whole_log_probs(
            hidden, weight, offset, targets, temperature, final_logit_softcapping, logit_scale, outputs
        )


@contextlib.contextmanager
def cpu_log_probs() -> Iterator[bool]:
    """Within the block, TRL's fused LM head computes small CPU heads with :func:`whole_log_probs`.

    Yields:
        Whether the swap took place (False with a TRL that has no fused LM head).
    """
    try:
        module = importlib.import_module(_TRL_UTILS)
    except ImportError:
        yield False
        return
    chunked = getattr(module, _TRL_NAME, None)
    if chunked is None or isinstance(chunked, _WholeOrChunked):
        yield False
        return
    setattr(module, _TRL_NAME, _WholeOrChunked(chunked))
    try:
        yield True
    finally:
        setattr(module, _TRL_NAME, chunked)
