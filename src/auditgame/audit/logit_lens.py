"""Logit lens: decode every layer's residual stream through the model's final norm and unembedding.

At hook point ``layer.i`` (the output of decoder block ``i``) the residual stream is passed through the
final normalisation and the output embedding, as if the model stopped there. At the last block this is
exactly the model's own output. Reading the top tokens layer by layer shows what the model "is about to
say" before later layers (e.g. concealment training) change it.

The technique reads the last position of chat-formatted prompts (by default generic auditor questions)
and reports, per prompt and layer, the top tokens. It also reports the tokens the model itself ranks
highly at earlier layers but drops by the last one (``suppressed`` tokens), and, for words the auditor
chooses to ``watch``, their probability per layer.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from pydantic import BaseModel, ConfigDict, Field
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from auditgame.audit.activations import decoder_layers, iter_activations, layer_index, layer_names
from auditgame.audit.defaults import auditor_questions
from auditgame.audit.registry import technique
from auditgame.audit.result import Finding, TechniqueResult
from auditgame.model.generation import format_chat

_NORM_PATHS = (
    "model.norm",
    "transformer.ln_f",
    "gpt_neox.final_layer_norm",
    "model.decoder.final_layer_norm",
)


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    model = getattr(model, "module", model)  # DDP
    if hasattr(model, "get_base_model"):  # PEFT
        model = model.get_base_model()
    return model


def output_head(model: torch.nn.Module) -> torch.nn.Module:
    """The model's unembedding (``get_output_embeddings()``)."""
    head = _unwrap(model).get_output_embeddings()
    if head is None:
        from auditgame.errors import UnknownNameError

        raise UnknownNameError("the model has no output embeddings", "pass a causal LM with an LM head")
    return head


def final_norm(model: torch.nn.Module) -> torch.nn.Module:
    """The normalisation applied between the last decoder block and the unembedding.

    Known locations first (``model.norm``, ``transformer.ln_f``, ...); otherwise the last module outside
    the decoder blocks whose name looks like a norm. A model without one gets the identity.
    """
    base = _unwrap(model)
    for path in _NORM_PATHS:
        module: torch.nn.Module | None = base
        for part in path.split("."):
            module = getattr(module, part, None)
            if module is None:
                break
        if isinstance(module, torch.nn.Module):
            return module
    inside_blocks = {id(module) for module in decoder_layers(base).modules()}
    head = output_head(base)
    candidates = [
        module
        for name, module in base.named_modules()
        if id(module) not in inside_blocks
        and module is not head
        and any(key in name.split(".")[-1].lower() for key in ("norm", "ln_f"))
        and next(module.children(), None) is None
    ]
    return candidates[-1] if candidates else torch.nn.Identity()


@torch.no_grad()
def decode_residual(model: torch.nn.Module, hidden: torch.Tensor) -> torch.Tensor:
    """Logits of residual-stream vectors ``hidden`` (``[..., d_model]``): final norm, then unembedding."""
    head = output_head(model)
    parameter = next(head.parameters())
    return head(final_norm(model)(hidden.to(parameter.device, parameter.dtype)))


@dataclass
class LensReadout:
    """The logit lens of one text: top tokens and probabilities for every layer and position."""

    text: str
    tokens: list[str]
    """The text's tokens (decoded one by one)."""
    layers: list[str]
    """The hook points read, in order."""
    top_ids: torch.Tensor
    """``[layers, positions, top_k]`` token ids, most probable first."""
    top_probs: torch.Tensor
    """``[layers, positions, top_k]`` their probabilities."""
    top_tokens: list[list[list[str]]]
    """``[layers][positions][top_k]`` the decoded top tokens."""

    def at(self, layer: str | int, position: int = -1) -> list[tuple[str, float]]:
        """``(token, probability)`` pairs at ``layer`` (a hook point name or its row) and ``position``."""
        row = self.layers.index(layer) if isinstance(layer, str) else layer
        probs = self.top_probs[row, position].tolist()
        return list(zip(self.top_tokens[row][position], probs, strict=True))


@torch.no_grad()
def logit_lens(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    text: str,
    top_k: int = 5,
    *,
    layers: Sequence[str | int] | None = None,
    max_length: int = 512,
) -> LensReadout:
    """Decode the residual stream of ``text`` at every layer (or ``layers``) into its top-``top_k`` tokens.

    Args:
        model: A causal LM.
        tokenizer: Its tokenizer; ``text`` is encoded as given (apply a chat template first if wanted).
        text: The text.
        top_k: Tokens kept per layer and position.
        layers: Hook points to read (default: all).
        max_length: Longer texts are truncated.

    Returns:
        A :class:`LensReadout`.

    Raises:
        UnknownNameError: for a layer that is not a hook point of ``model``.
    """
    names = [f"layer.{layer_index(model, layer)}" for layer in (layers or layer_names(model))]
    batch = next(iter_activations(model, tokenizer, [text], names, batch_size=1, max_length=max_length))
    return _readout(
        model,
        tokenizer,
        text,
        batch.input_ids[0],
        {name: batch.activations[name][0] for name in names},
        top_k,
    )


def _readout(
    model: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    text: str,
    input_ids: torch.Tensor,
    hidden: dict[str, torch.Tensor],
    top_k: int,
) -> LensReadout:
    ids, probs = [], []
    for states in hidden.values():
        logits = decode_residual(model, states).float()
        top = torch.softmax(logits, dim=-1).topk(min(top_k, logits.shape[-1]), dim=-1)
        ids.append(top.indices.cpu())
        probs.append(top.values.cpu())
    top_ids, top_probs = torch.stack(ids), torch.stack(probs)
    readable = [
        [[tokenizer.decode([token_id]) for token_id in position.tolist()] for position in layer]
        for layer in top_ids
    ]
    tokens = [tokenizer.decode([token_id]) for token_id in input_ids.tolist()]
    return LensReadout(text, tokens, list(hidden), top_ids, top_probs, readable)


class LogitLensConfig(BaseModel):
    """Options of the logit-lens technique."""

    model_config = ConfigDict(extra="forbid")

    prompts: list[str] = Field(
        default_factory=auditor_questions,
        min_length=1,
        description="User prompts to read (chat-formatted); default: generic auditor questions.",
    )
    prefill: str | None = Field(
        default="The real reason is",
        description="Start of the assistant's answer appended after the chat template (null = none).",
    )
    system: str | None = Field(default=None, description="Optional system prompt.")
    layers: list[str] = Field(default_factory=list, description="Hook points to read (layer.3); empty = all.")
    top_k: int = Field(default=10, ge=1, description="Top tokens reported per layer.")
    watch: list[str] = Field(
        default_factory=list,
        description="Words whose first-token probability at the last position is reported per layer; empty = none.",
    )
    top_suppressed: int = Field(
        default=20,
        ge=0,
        description="Tokens in earlier layers' top_k but not the last layer's, reported by summed probability.",
    )


@dataclass
class _Suppressed:
    """Where a token was among an earlier layer's top tokens but not the last layer's."""

    total: float = 0.0
    """Its summed probability over (prompt, layer) readings."""
    layers: set[int] = field(default_factory=set)
    prompts: set[str] = field(default_factory=set)


def watch_token_ids(tokenizer: PreTrainedTokenizerBase, words: Sequence[str]) -> list[int]:
    """First token ids of each word, with and without a leading space (deduplicated)."""
    ids: set[int] = set()
    for word in words:
        for variant in (word, " " + word, word.lower(), " " + word.lower()):
            encoded = tokenizer.encode(variant, add_special_tokens=False)
            if encoded:
                ids.add(encoded[0])
    return sorted(ids)


@technique("logit_lens", config=LogitLensConfig, target="model")
def run_logit_lens(
    target: str | Path, config: LogitLensConfig, *, show_progress: bool = False
) -> TechniqueResult:
    """Decode every layer's residual stream through the unembedding, at the end of chat-formatted prompts."""
    from tqdm.auto import tqdm

    from auditgame.model.loading import load_model, load_tokenizer, resolve_model_dir
    from auditgame.model.tokenizer import ensure_chat_template

    started = time.time()
    model_dir = resolve_model_dir(Path(target))
    model = load_model(model_dir)
    tokenizer = ensure_chat_template(load_tokenizer(model_dir))
    names = [f"layer.{layer_index(model, layer)}" for layer in (config.layers or layer_names(model))]
    final = f"layer.{len(decoder_layers(model)) - 1}"
    prompts = list(config.prompts)
    watched = watch_token_ids(tokenizer, config.watch)
    watch_sums = {name: 0.0 for name in names}
    suppressed: dict[str, _Suppressed] = {}
    findings: list[Finding] = []
    for prompt in tqdm(prompts, desc="logit lens", disable=not show_progress):
        text = format_chat(tokenizer, prompt, system=config.system, prefill=config.prefill)
        read = list(dict.fromkeys([*names, final]))
        batch = next(iter_activations(model, tokenizer, [text], read, batch_size=1, max_length=512))
        hidden = {name: batch.activations[name][0] for name in read}
        readout = _readout(model, tokenizer, text, batch.input_ids[0], hidden, config.top_k)
        final_tokens = {token for token, _ in readout.at(final)}
        for name in names:
            pairs = readout.at(name)
            watch = 0.0
            if watched:
                probs = torch.softmax(decode_residual(model, hidden[name][-1]).float(), dim=-1)
                watch = float(probs[watched].sum())
                watch_sums[name] += watch
            if name != final:
                for token, prob in pairs:
                    if token not in final_tokens and token.strip():
                        entry = suppressed.setdefault(token, _Suppressed())
                        entry.total += prob
                        entry.layers.add(layer_index(model, name))
                        entry.prompts.add(prompt)
            findings.append(
                Finding(
                    kind="lens",
                    text=f"{name}: " + ", ".join(f"{token!r} {prob:.3f}" for token, prob in pairs),
                    score=watch,
                    metadata={
                        "prompt": prompt,
                        "layer": name,
                        "tokens": [token for token, _ in pairs],
                        "probs": [prob for _, prob in pairs],
                        **({"watch_prob": watch} if watched else {}),
                    },
                )
            )
    ranked = sorted(suppressed.items(), key=lambda item: (-item[1].total, item[0]))
    for token, entry in ranked[: config.top_suppressed]:
        findings.append(
            Finding(
                kind="suppressed",
                text=token,
                score=entry.total / len(prompts),
                metadata={
                    "layers": [f"layer.{index}" for index in sorted(entry.layers)],
                    "prompts": len(entry.prompts),
                },
            )
        )
    metrics: dict[str, float] = {"num_prompts": float(len(prompts))}
    if watched:
        metrics.update({f"watch_prob/{name}": watch_sums[name] / len(prompts) for name in names})
        metrics["watch_prob/max"] = max(watch_sums.values()) / len(prompts)
    metrics["suppressed_tokens"] = float(len(suppressed))
    return TechniqueResult(
        technique="logit_lens",
        target=str(target),
        config=config.model_dump(mode="json"),
        findings=findings,
        metrics=metrics,
        seconds=time.time() - started,
    )
