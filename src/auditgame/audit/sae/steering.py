"""Steering a model with an SAE feature's decoder direction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor

from auditgame.audit.activations import residual_intervention
from auditgame.audit.sae.model import TopKSAE
from auditgame.errors import ConfigError


@contextmanager
def steer(
    model: torch.nn.Module,
    sae: TopKSAE,
    feature: int,
    strength: float,
    mode: str = "add",
) -> Iterator[None]:
    """Within the block, steer ``model`` along ``feature`` at the SAE's hook point, on every token.

    Use it around :func:`auditgame.model.generate` or any forward pass.

    Args:
        model: The model the SAE was trained on.
        sae: The SAE.
        feature: The feature index.
        strength: ``add``: the multiple of the (unit-norm) decoder direction added to the residual.
            ``clamp``: the value the feature's activation is set to.
        mode: ``add`` adds ``strength * direction``; ``clamp`` adds ``(strength - current) * direction``,
            where ``current`` is the feature's SAE activation on that token (0 where it is not active).

    Raises:
        SaeDimensionError: if the SAE's width differs from the model's.
        ConfigError: for an unknown mode.
    """
    if mode not in ("add", "clamp"):
        raise ConfigError(f"unknown steering mode {mode!r}", "use mode 'add' or 'clamp'")
    width = getattr(getattr(model, "config", None), "hidden_size", None)
    if width is not None:
        sae.check_width(int(width), "the model's residuals")
    direction = sae.decoder_direction(feature).detach()

    def edit(hidden: Tensor) -> Tensor:
        sae.check_width(hidden.shape[-1], "the model's residuals")
        step = direction.to(device=hidden.device, dtype=hidden.dtype)
        if mode == "add":
            return hidden + strength * step
        with torch.no_grad():
            current = sae.feature_acts(hidden.detach().to(device=sae.device, dtype=sae.dtype))[..., feature]
        current = current.to(device=hidden.device, dtype=hidden.dtype)
        return hidden + (strength - current)[..., None] * step

    with residual_intervention(model, sae.layer, edit):
        yield
