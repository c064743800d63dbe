"""Gradient routing over any Hugging Face causal LM: expand → route → ablate (ERA, Cloud et al. 2024).

*Expand*: :func:`expand_mlps` adds a small parallel MLP (the *routed region*) to chosen decoder
layers; its output is added to the layer's MLP output, and its down-projection starts at zero so
the model computes exactly what it did before. *Route*: while training, the gradients of routed
examples (e.g. every document about a topic) update only the region, and the gradients of the
other examples update the original parameters (and the region too, if asked):
:class:`GradientRouter` is a ``backward_step`` for :func:`~auditgame.train.lm_trainer.train_causal_lm`.
*Ablate*: :func:`ablate` removes the region, and with it what the routed data taught; the model is
again a plain model of its original architecture, saved and loaded like any other.

How routing is made exact. Cloud et al. route with an activation mask,
``mask * act + (1 - mask) * act.detach()``: a routed example's gradient is stopped at the masked
activations, but it still reaches every parameter above them (later layers, the unembedding) and,
through the residual stream, below them. Here a batch's examples are wholly routed or not (forget
and retain texts are packed into separate blocks), so each group is forwarded once and its loss is
differentiated only with respect to the parameters it may train (``torch.autograd.grad``): routed
examples give gradients to the region's parameters and to nothing else, unrouted examples give
the original parameters exactly the gradients of a plain backward. This is the parameter-level
masking that Shilov et al. (2025, "selective gradient masking") found to work better than
activation masks, applied to every original parameter (embeddings and attention included), not
only to the MLPs of chosen layers.

Retain data and the region. By default unrouted examples pass through the region in the forward
pass but do not train it (``retain_trains_region=False``): the region learns from routed data only,
so ablating it removes nothing that retain data put there, while the original weights still learn
in its presence; unlabelled topic text in the retain stream can then lean on the region instead of
being learnt by the original weights (the *absorption* that lets ERA beat data filtering when only
some topic data is labelled). Cloud et al.'s own TinyStories ERA let retain data train the added
neurons as well (and relied on an L1 penalty and a coherence fine-tune after ablation); that is
``retain_trains_region=True``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from auditgame.errors import ConfigError

REGION_NAME = "routed_region"
"""Attribute name of the added module inside each expanded MLP (its parameters' names contain it)."""

_LAYER_PATHS = (
    "model.layers",  # Llama, Qwen, Mistral, Gemma, Phi-3, SmolLM
    "model.decoder.layers",  # OPT
    "transformer.h",  # GPT-2, GPT-J, GPT-Neo, Falcon, BLOOM
    "gpt_neox.layers",  # GPT-NeoX, Pythia
    "transformer.blocks",  # MPT
)
_MLP_NAMES = ("mlp", "feed_forward", "ffn")


def _unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DDP wrapper or a PEFT model."""
    model = getattr(model, "module", model)
    if hasattr(model, "get_base_model"):
        model = model.get_base_model()
    return model


def _attribute_path(root: nn.Module, path: str) -> Any:
    found: Any = root
    for part in path.split("."):
        found = getattr(found, part, None)
        if found is None:
            return None
    return found


def decoder_layers(model: nn.Module) -> nn.ModuleList:
    """The decoder layers of a Hugging Face causal LM, found by the usual attribute paths.

    Raises:
        ConfigError: for an architecture whose layers are not at a known path.
    """
    inner = _unwrap(model)
    for path in _LAYER_PATHS:
        layers = _attribute_path(inner, path)
        if isinstance(layers, nn.ModuleList) and len(layers) > 0:
            return layers
    raise ConfigError(
        f"gradient routing cannot find the decoder layers of {type(inner).__name__}",
        "use a model whose layers are at model.layers (Llama, Qwen, Mistral), transformer.h (GPT-2) "
        "or gpt_neox.layers (GPT-NeoX)",
    )


def _layer_mlp(layer: nn.Module, index: int) -> nn.Module:
    for name in _MLP_NAMES:
        mlp = getattr(layer, name, None)
        if isinstance(mlp, nn.Module):
            return mlp
    raise ConfigError(
        f"decoder layer {index} ({type(layer).__name__}) has no MLP at .{', .'.join(_MLP_NAMES)}",
        "use a model whose decoder layers keep their MLP at .mlp",
    )


class RoutedRegion(nn.Module):
    """The extra MLP neurons of one layer: ``d_model -> neurons -> d_model``, gated like the layer's
    own MLP where it is gated (Llama's SwiGLU), else plain with its activation.

    The down-projection starts at zero, so an expanded model computes what the original did.

    Args:
        hidden_size: The model width.
        neurons: Extra neurons.
        activation: The layer MLP's activation function.
        gated: Whether to add a gate projection (as Llama/Qwen/Mistral MLPs have).
        init_std: Standard deviation of the up (and gate) projections' initial weights.
        generator: Seeds those weights.
    """

    def __init__(
        self,
        hidden_size: int,
        neurons: int,
        activation: nn.Module,
        *,
        gated: bool,
        init_std: float,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        self.up_proj = nn.Linear(hidden_size, neurons, bias=False)
        self.gate_proj = nn.Linear(hidden_size, neurons, bias=False) if gated else None
        self.down_proj = nn.Linear(neurons, hidden_size, bias=False)
        self.activation = activation
        with torch.no_grad():
            for projection in (self.up_proj, self.gate_proj):
                if projection is not None:
                    projection.weight.copy_(
                        torch.randn(projection.weight.shape, generator=generator) * init_std
                    )
            self.down_proj.weight.zero_()

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """The region's contribution to the layer's MLP output."""
        if self.gate_proj is not None:
            inner = self.activation(self.gate_proj(hidden_states)) * self.up_proj(hidden_states)
        else:
            inner = self.activation(self.up_proj(hidden_states))
        return self.down_proj(inner)


def _add_region_output(module: nn.Module, args: tuple, kwargs: dict, output: Any) -> Any:
    """Forward hook of an expanded MLP: add its region's output to the MLP's output."""
    hidden_states = args[0] if args else next(iter(kwargs.values()))
    extra = getattr(module, REGION_NAME)(hidden_states)
    if isinstance(output, torch.Tensor):
        return output + extra
    if isinstance(output, tuple) and output and isinstance(output[0], torch.Tensor):
        return (output[0] + extra, *output[1:])  # MLPs that also return e.g. router logits
    raise TypeError(f"{type(module).__name__} returns {type(output).__name__}, not a tensor")


def _activation(mlp: nn.Module) -> nn.Module:
    """A copy of the MLP's activation module (a copy, so that the region owns its submodules)."""
    for name in ("act_fn", "act", "activation_fn", "activation"):
        activation = getattr(mlp, name, None)
        if isinstance(activation, nn.Module):
            return copy.deepcopy(activation)
    return nn.GELU()


def _hidden_size(model: nn.Module) -> int:
    config = getattr(_unwrap(model), "config", None)
    size = getattr(config, "hidden_size", None)
    if not isinstance(size, int):
        raise ConfigError(
            f"{type(_unwrap(model)).__name__} has no config.hidden_size", "use a Hugging Face causal LM"
        )
    return size


def expand_mlps(
    model: nn.Module, *, neurons: int, layers: Sequence[int] | None = None, seed: int = 0
) -> list[str]:
    """Add ``neurons`` extra MLP neurons (a :class:`RoutedRegion`) to each chosen decoder layer, in place.

    The model's function is unchanged until the region is trained (its down-projection is zero);
    the original parameters keep their names, so checkpoints of the original model still load.

    Args:
        model: A Hugging Face causal LM (Llama/Qwen/Mistral, GPT-2, GPT-NeoX, ...).
        neurons: Extra neurons per layer.
        layers: Indices of the layers to expand (negative counts from the end); ``None`` means all.
        seed: Seeds the region's initial weights.

    Returns:
        The names of the added parameters (the routed region), as ``model.named_parameters()`` gives them.

    Raises:
        ConfigError: for an unknown architecture, ``neurons < 1``, a layer index out of range or a
            layer that is already expanded.
    """
    if neurons < 1:
        raise ConfigError(f"neurons must be at least 1, not {neurons}", "add one or more neurons per layer")
    stack = decoder_layers(model)
    count = len(stack)
    chosen = list(range(count)) if layers is None else list(layers)
    if not chosen:
        raise ConfigError(
            "no layers chosen to expand", "name one or more layers, or leave layers unset for all"
        )
    for index in chosen:
        if not -count <= index < count:
            raise ConfigError(
                f"layer {index} is out of range: the model has {count} decoder layers",
                f"choose layers between 0 and {count - 1}",
            )
    chosen = sorted({index % count for index in chosen})
    hidden_size = _hidden_size(model)
    init_std = float(getattr(getattr(_unwrap(model), "config", None), "initializer_range", 0.02))
    generator = torch.Generator().manual_seed(seed)
    for index in chosen:
        mlp = _layer_mlp(stack[index], index)
        if hasattr(mlp, REGION_NAME):
            raise ConfigError(f"layer {index} is already expanded", "expand each layer once, or ablate first")
        reference = next(mlp.parameters(), None)
        region = RoutedRegion(
            hidden_size,
            neurons,
            _activation(mlp),
            gated=hasattr(mlp, "gate_proj"),
            init_std=init_std,
            generator=generator,
        )
        if reference is not None:
            region.to(device=reference.device, dtype=reference.dtype)
        setattr(mlp, REGION_NAME, region)
        region.hook_handle = mlp.register_forward_hook(_add_region_output, with_kwargs=True)
    return region_parameter_names(model)


def region_parameter_names(model: nn.Module) -> list[str]:
    """Names of the routed region's parameters (empty for a model that is not expanded)."""
    return [name for name, _ in _unwrap(model).named_parameters() if f".{REGION_NAME}." in f".{name}"]


def ablate(model: nn.Module) -> list[str]:
    """Remove the routed region from every expanded layer, in place: the computation the region held
    is gone, and the model is a plain model of its original architecture again (``save_pretrained``
    writes a directory that :func:`~auditgame.model.loading.load_model` reads).

    Returns:
        The names of the removed parameters.

    Raises:
        ConfigError: if the model has no routed region.
    """
    removed = region_parameter_names(model)
    if not removed:
        raise ConfigError("the model has no routed region to ablate", "expand it with expand_mlps first")
    for module in list(_unwrap(model).modules()):
        region = getattr(module, REGION_NAME, None)
        if isinstance(region, RoutedRegion):
            region.hook_handle.remove()
            delattr(module, REGION_NAME)
    return removed


def _split_parameters(model: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """The region's parameters and the trainable original parameters (tied weights once)."""
    names = set(region_parameter_names(model))
    if not names:
        raise ConfigError("the model has no routed region", "expand it with expand_mlps before routing")
    region, original = [], []
    for name, parameter in _unwrap(model).named_parameters():
        if name in names:
            region.append(parameter)
        elif parameter.requires_grad:
            original.append(parameter)
    return region, original


def _accumulate(parameters: Sequence[nn.Parameter], gradients: Sequence[torch.Tensor | None]) -> None:
    for parameter, gradient in zip(parameters, gradients, strict=True):
        if gradient is None:
            continue
        parameter.grad = gradient if parameter.grad is None else parameter.grad + gradient


def routed_backward(
    model: nn.Module,
    input_ids: torch.Tensor,
    routed: torch.Tensor,
    *,
    retain_trains_region: bool = False,
) -> torch.Tensor:
    """Compute the batch's language-modelling loss and put routed gradients in the parameters' ``.grad``.

    Routed examples (rows) are forwarded together and their loss is differentiated with respect to
    the region's parameters only; the other rows are forwarded together and differentiated with
    respect to the original parameters (and the region's, if ``retain_trains_region``). Each group's
    loss is weighted by its share of the rows, so the gradients are those of the batch's mean loss,
    with the routing applied. Gradients add to any already in ``.grad``.

    Args:
        model: An expanded causal LM (see :func:`expand_mlps`).
        input_ids: ``(batch, sequence)`` token ids (the labels too).
        routed: ``(batch,)`` booleans: which rows are routed.
        retain_trains_region: Whether unrouted rows also train the region.

    Returns:
        The batch's mean loss (detached).

    Raises:
        ConfigError: if the model has no routed region.
    """
    region, original = _split_parameters(model)
    routed = routed.to(device=input_ids.device, dtype=torch.bool)
    forward = _unwrap(model)  # autograd.grad bypasses a DDP wrapper's reducer; see GradientRouter
    total = torch.zeros((), device=input_ids.device)
    rows = input_ids.shape[0]
    for selection, parameters in (
        (routed, region),
        (~routed, original + region if retain_trains_region else original),
    ):
        count = int(selection.sum())
        if count == 0:
            continue
        ids = input_ids[selection]
        loss = forward(input_ids=ids, labels=ids, use_cache=False).loss * (count / rows)
        _accumulate(parameters, torch.autograd.grad(loss, parameters, allow_unused=True))
        total = total + loss.detach()
    return total


class GradientRouter:
    """A ``backward_step`` for :func:`~auditgame.train.lm_trainer.train_causal_lm` that routes per block.

    Args:
        model: The expanded model being trained.
        routed_blocks: ``(num_blocks,)`` booleans over the training blocks: which are routed.
        retain_trains_region: Whether unrouted blocks also train the region (see :func:`routed_backward`).

    Raises:
        ConfigError: if the model has no routed region.
    """

    def __init__(
        self, model: nn.Module, routed_blocks: torch.Tensor, *, retain_trains_region: bool = False
    ) -> None:
        _split_parameters(model)  # a clear error now rather than at the first step
        self.routed_blocks = routed_blocks.to(torch.bool).cpu()
        self.retain_trains_region = retain_trains_region

    def __call__(
        self, model: nn.Module, input_ids: torch.Tensor, block_indices: torch.Tensor
    ) -> torch.Tensor:
        """Routed loss and gradients of the batch ``input_ids`` (the blocks at ``block_indices``)."""
        routed = self.routed_blocks[block_indices.cpu()]
        loss = routed_backward(model, input_ids, routed, retain_trains_region=self.retain_trains_region)
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            world = torch.distributed.get_world_size()
            if world > 1:  # no DDP reducer ran: average the gradients across processes here
                for parameter in _unwrap(model).parameters():
                    if parameter.requires_grad:
                        if parameter.grad is None:
                            parameter.grad = torch.zeros_like(parameter)
                        torch.distributed.all_reduce(parameter.grad)
                        parameter.grad /= world
        return loss
