"""Training precision: fp32 weights always, with bf16 autocast where the hardware runs bf16 natively."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Literal

import torch

Precision = Literal["auto", "fp32", "bf16"]
"""``auto`` picks ``bf16`` where the device has native bf16 matmuls, else ``fp32``."""


def native_bf16(device_type: str = "cpu") -> bool:
    """Whether ``device_type`` multiplies bf16 matrices natively (AVX512-BF16/AMX CPUs, Ampere+ GPUs).

    On CPUs without it bf16 is emulated and slower than fp32, so ``auto`` stays on fp32 there.
    """
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device_type == "cpu":
        checks = (
            getattr(torch.cpu, "_is_avx512_bf16_supported", None),
            getattr(torch.cpu, "_is_amx_tile_supported", None),
        )
        return any(check is not None and check() for check in checks)
    return False


def resolve_precision(precision: Precision, device_type: str | None = None) -> Literal["fp32", "bf16"]:
    """The concrete precision ``precision`` means on ``device_type`` (default: CUDA if available, else CPU).

    Raises:
        ValueError: for an unknown precision name.
    """
    if precision not in ("auto", "fp32", "bf16"):
        raise ValueError(f"unknown precision {precision!r}: choose auto, fp32 or bf16")
    if precision != "auto":
        return precision
    device_type = device_type or ("cuda" if torch.cuda.is_available() else "cpu")
    return "bf16" if native_bf16(device_type) else "fp32"


@contextlib.contextmanager
def training_autocast(precision: Literal["fp32", "bf16"], device_type: str) -> Iterator[None]:
    """Autocast the forward pass to bf16 (weights, gradients and optimizer state stay fp32); a no-op for fp32."""
    if precision == "bf16":
        with torch.autocast(device_type=device_type, dtype=torch.bfloat16):
            yield
    else:
        yield
