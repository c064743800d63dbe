"""Save and load SAEs in SAELens' on-disk layout, so SAELens (and its tools) can read ours.

A directory holds:

- ``cfg.json``: the SAE config in the SAELens format (pre-6.0 flat layout, which SAELens 6 still reads
  and converts): ``d_in``, ``d_sae``, ``architecture: "topk"`` with ``activation_fn_kwargs: {"k": k}``,
  ``hook_name`` (``blocks.{i}.hook_resid_post``: the output of decoder block ``i``, our ``layer.{i}``),
  ``model_name``, ``dtype``, ``device``, ``apply_b_dec_to_input``, ``normalize_activations`` ...;
- ``sae_weights.safetensors``: ``W_enc [d_in, d_sae]``, ``b_enc [d_sae]``, ``W_dec [d_sae, d_in]``,
  ``b_dec [d_in]``;
- ``sparsity.safetensors``: ``sparsity [d_sae]``, log10 feature firing frequency (when known);
- ``manifest.json``: the auditgame artifact manifest, written last.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from auditgame.artifacts import atomic_write_bytes, atomic_write_json, write_manifest
from auditgame.audit.sae.model import TopKSAE
from auditgame.errors import ArtifactNotFoundError

CFG_FILENAME = "cfg.json"
WEIGHTS_FILENAME = "sae_weights.safetensors"
SPARSITY_FILENAME = "sparsity.safetensors"
ARTIFACT_KIND = "sae"
_DTYPES = {
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float64": torch.float64,
}


def hook_name(layer: str) -> str:
    """SAELens / TransformerLens hook name of our hook point ``layer.{i}``."""
    return f"blocks.{int(layer.removeprefix('layer.'))}.hook_resid_post"


def sae_cfg(sae: TopKSAE, **extra: Any) -> dict[str, Any]:
    """The SAELens ``cfg.json`` of ``sae`` (``extra`` keys are added, e.g. ``context_size``)."""
    dtype = str(sae.dtype).removeprefix("torch.")
    return {
        "architecture": "topk",
        "d_in": sae.d_in,
        "d_sae": sae.d_sae,
        "activation_fn_str": "topk",
        "activation_fn_kwargs": {"k": sae.k},
        "k": sae.k,
        "apply_b_dec_to_input": True,
        "finetuning_scaling_factor": False,
        "normalize_activations": "none",
        "rescale_acts_by_decoder_norm": False,
        "reshape_activations": "none",
        "dtype": dtype,
        "device": "cpu",
        "model_name": sae.model_name,
        "hook_name": hook_name(sae.layer),
        "hook_layer": sae.layer_index,
        "hook_head_index": None,
        "prepend_bos": True,
        "context_size": None,
        "dataset_path": "",
        "neuronpedia_id": None,
        "sae_lens_training_version": None,
        "auditgame_layer": sae.layer,
        **extra,
    }


def save_sae(
    sae: TopKSAE, directory: str | Path, *, config: dict[str, Any] | None = None, **extra_cfg: Any
) -> Path:
    """Write ``sae`` to ``directory`` in SAELens layout, plus a manifest (all files atomically).

    Args:
        sae: The SAE.
        directory: Target directory (created; existing SAE files are replaced).
        config: The training config, recorded in the manifest.
        **extra_cfg: Extra ``cfg.json`` fields.

    Returns:
        The directory.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    assert sae.W_dec is not None
    encoder_offset = _encoder_offset_key(sae)
    weights = {
        "W_enc": sae.encoder.weight.detach().T.contiguous(),
        "b_enc": sae.state_dict()[encoder_offset].detach().contiguous(),
        "W_dec": sae.W_dec.detach().contiguous(),
        "b_dec": sae.b_dec.detach().contiguous(),
    }
    atomic_write_bytes(directory / WEIGHTS_FILENAME, save_safetensors(weights))
    if sae.log_sparsity is not None:
        sparsity = {"sparsity": sae.log_sparsity.detach().float().contiguous()}
        atomic_write_bytes(directory / SPARSITY_FILENAME, save_safetensors(sparsity))
    cfg = sae_cfg(sae, **extra_cfg)
    atomic_write_json(directory / CFG_FILENAME, cfg)
    write_manifest(
        directory,
        ARTIFACT_KIND,
        name=f"{sae.model_name}:{sae.layer}",
        config=config or {},
        extra={"d_in": sae.d_in, "d_sae": sae.d_sae, "k": sae.k, "layer": sae.layer},
    )
    return directory


def load_sae(directory: str | Path) -> TopKSAE:
    """Load an SAE saved by :func:`save_sae` (or any SAELens ``topk`` SAE on a ``hook_resid_post``).

    Raises:
        ArtifactNotFoundError: if the directory lacks the files or they are unreadable.
    """
    directory = Path(directory)
    cfg_path, weights_path = directory / CFG_FILENAME, directory / WEIGHTS_FILENAME
    if not cfg_path.is_file() or not weights_path.is_file():
        raise ArtifactNotFoundError(
            f"{directory} holds no SAE ({CFG_FILENAME} and {WEIGHTS_FILENAME} expected)",
            "point at a directory written by the sae technique (its sae_out) or by SAELens",
        )
    try:
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        weights = load_safetensors(weights_path.read_bytes())
        k = int(cfg.get("k") or cfg["activation_fn_kwargs"]["k"])
        layer = cfg.get("auditgame_layer") or _layer_from_hook(str(cfg["hook_name"]))
        sae = TopKSAE(
            int(cfg["d_in"]),
            int(cfg["d_sae"]),
            k,
            layer=layer,
            model_name=str(cfg.get("model_name") or ""),
            dtype=_DTYPES.get(str(cfg.get("dtype", "float32")).removeprefix("torch."), torch.float32),
        )
        state = {
            "encoder.weight": weights["W_enc"].T.contiguous(),
            _encoder_offset_key(sae): weights["b_enc"],
            "W_dec": weights["W_dec"],
            "b_dec": weights["b_dec"],
        }
        sae.load_state_dict(state)
        sparsity_path = directory / SPARSITY_FILENAME
        if sparsity_path.is_file():
            sae.log_sparsity = load_safetensors(sparsity_path.read_bytes())["sparsity"]
    except (KeyError, ValueError, TypeError, RuntimeError, SafetensorError) as error:
        raise ArtifactNotFoundError(
            f"{directory} does not hold a readable TopK SAE ({type(error).__name__}: {error})",
            "re-save it with auditgame or SAELens (architecture 'topk')",
        ) from None
    return sae


def _encoder_offset_key(sae: TopKSAE) -> str:
    """State-dict key of the encoder's additive term (``b_enc``): the ``nn.Linear`` parameter after its weight."""
    names = [name for name, _ in sae.encoder.named_parameters() if name != "weight"]
    return f"encoder.{names[0]}"


def _layer_from_hook(name: str) -> str:
    parts = name.split(".")
    if len(parts) >= 2 and parts[0] == "blocks" and parts[1].isdigit():
        return f"layer.{parts[1]}"
    raise ValueError(f"hook {name!r} is not a blocks.N.* residual hook")
