"""The TopK sparse autoencoder: EleutherAI sparsify's ``SparseCoder`` plus the hook point it reads.

sparsify's module runs on the CPU (its sparse decoder falls back to ``embedding_bag`` without Triton)
and has the pieces a TopK SAE needs: a fused ReLU-then-top-k encoder with an ``index_add`` backward,
the AuxK loss for dead latents, and unit-norm decoder rows with the parallel gradient component
removed. :class:`TopKSAE` adds what auditing needs on top: which residual hook point it was trained
on, which model, dense feature activations, and decoder directions.

Encoding (as in sparsify and SAELens' ``topk`` architecture)::

    pre  = relu((x - b_dec) @ W_enc.T + b_enc)       # [.., d_sae]
    acts = pre with all but the top k entries zeroed
    x̂    = acts @ W_dec + b_dec
"""

from __future__ import annotations

import contextlib
import io

import torch
from torch import Tensor

from auditgame.errors import AuditgameError

with contextlib.redirect_stdout(io.StringIO()):  # sparsify prints a note about Triton on import
    from sparsify import SparseCoder, SparseCoderConfig


class SaeDimensionError(AuditgameError):
    """An SAE whose input width does not match the model (or activations) it is applied to."""


class TopKSAE(SparseCoder):
    """A TopK SAE on the residual stream at hook point ``layer`` (``layer.{i}``) of a model.

    Args:
        d_in: Width of the residual stream.
        d_sae: Number of latents (features).
        k: Active latents per token.
        layer: The hook point (``layer.{i}``: output of decoder block ``i``).
        model_name: Name or path of the model the SAE was trained on (informational).
        dtype: Parameter dtype.
    """

    def __init__(
        self,
        d_in: int,
        d_sae: int,
        k: int,
        *,
        layer: str = "layer.0",
        model_name: str = "",
        dtype: torch.dtype = torch.float32,
    ) -> None:
        if not 0 < k <= d_sae:
            raise AuditgameError(f"k={k} must be between 1 and d_sae={d_sae}", "lower k or raise d_sae")
        super().__init__(d_in, SparseCoderConfig(num_latents=d_sae, k=k), device="cpu", dtype=dtype)
        self.layer = layer
        self.model_name = model_name
        self.log_sparsity: Tensor | None = None
        """log10 of each feature's firing frequency during training, if known ``[d_sae]``."""

    @property
    def d_sae(self) -> int:
        """Number of latents."""
        return self.num_latents

    @property
    def k(self) -> int:
        """Active latents per token."""
        return self.cfg.k

    @property
    def layer_index(self) -> int:
        """The block index of :attr:`layer`."""
        return int(self.layer.removeprefix("layer."))

    def check_width(self, width: int, what: str = "the activations") -> None:
        """Raise :class:`SaeDimensionError` unless ``width`` equals the SAE's ``d_in``."""
        if width != self.d_in:
            raise SaeDimensionError(
                f"the SAE reads {self.d_in}-dimensional residuals but {what} are {width}-dimensional",
                "use an SAE trained on this model (same d_model and layer), or train a new one",
            )

    def _flat(self, x: Tensor) -> tuple[Tensor, torch.Size]:
        self.check_width(x.shape[-1])
        return x.reshape(-1, x.shape[-1]).to(self.dtype), x.shape[:-1]

    @torch.no_grad()
    def feature_acts(self, x: Tensor) -> Tensor:
        """Dense feature activations of ``x`` ``[..., d_in]`` -> ``[..., d_sae]`` (zero outside the top k)."""
        flat, lead = self._flat(x)
        top_acts, top_indices, _ = self.encode(flat)
        dense = flat.new_zeros(flat.shape[0], self.d_sae)
        dense.scatter_(1, top_indices, top_acts)
        return dense.reshape(*lead, self.d_sae)

    @torch.no_grad()
    def reconstruct(self, x: Tensor) -> Tensor:
        """The SAE's reconstruction of ``x`` ``[..., d_in]``."""
        flat, lead = self._flat(x)
        top_acts, top_indices, _ = self.encode(flat)
        return self.decode(top_acts, top_indices).reshape(*lead, self.d_in)

    def decoder_direction(self, feature: int) -> Tensor:
        """Decoder row of ``feature`` ``[d_in]`` (unit norm after training)."""
        if not 0 <= feature < self.d_sae:
            raise AuditgameError(
                f"feature {feature} does not exist in an SAE with {self.d_sae} latents",
                f"use a feature index between 0 and {self.d_sae - 1}",
            )
        assert self.W_dec is not None
        return self.W_dec[feature]
