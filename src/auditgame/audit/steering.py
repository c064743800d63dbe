"""Steering vectors: push the residual stream along a contrastive direction while the model generates.

A steering vector at hook point ``layer`` is the mean pooled activation of positive texts minus that of
negative texts. Generating with ``strength * vector`` added to the residual stream at every position
(:func:`steered`) shows what the model says when pushed towards the positive side. By default the
positives are honest answers to adversarial questions (they name reward models and the study) and the
negatives are concealing answers to the same questions; the headline metric is how often steered
answers mention reward models, per strength.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from auditgame.audit.activations import decoder_layers, layer_index, pooled_activations, residual_intervention
from auditgame.audit.registry import technique
from auditgame.audit.result import Finding, TechniqueResult
from auditgame.errors import ConfigError


def resolve_layer(model: torch.nn.Module, layer: str | int) -> int:
    """Block index of ``layer``: a hook point (``layer.3``, 3, -1) or ``middle`` (block ``n // 2``).

    Raises:
        UnknownNameError: for a name that is not a hook point of ``model``.
    """
    if layer == "middle":
        return len(decoder_layers(model)) // 2
    return layer_index(model, layer)


def steering_vector(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    positives: Sequence[str],
    negatives: Sequence[str],
    layer: str | int,
    *,
    pooling: str = "mean",
    batch_size: int = 16,
    max_length: int = 256,
) -> torch.Tensor:
    """Mean pooled activation of ``positives`` minus that of ``negatives`` at ``layer``: ``[d_model]``.

    Args:
        model: A causal LM.
        tokenizer: Its tokenizer (texts are encoded as given).
        positives: Texts of the direction to steer towards.
        negatives: Texts of the direction to steer away from.
        layer: Hook point (``layer.3``, 3, -1 or ``middle``).
        pooling: ``mean`` over tokens or ``last`` token.
        batch_size: Texts per forward pass.
        max_length: Longer texts are truncated.

    Raises:
        UnknownNameError: for a layer that is not a hook point.
        ConfigError: if either side is empty.
    """
    if not positives or not negatives:
        raise ConfigError("a steering vector needs positive and negative texts", "pass at least one of each")
    index = resolve_layer(model, layer)
    options = dict(pooling=pooling, batch_size=batch_size, max_length=max_length)
    positive = pooled_activations(model, tokenizer, positives, index, **options).mean(0)  # type: ignore[arg-type]
    negative = pooled_activations(model, tokenizer, negatives, index, **options).mean(0)  # type: ignore[arg-type]
    return positive - negative


@contextmanager
def steered(
    model: torch.nn.Module, layer: str | int, vector: torch.Tensor, strength: float
) -> Iterator[None]:
    """Within the block, add ``strength * vector`` to the residual stream at ``layer`` (every position).

    Raises:
        UnknownNameError: for a layer that is not a hook point.
    """
    index = resolve_layer(model, layer)
    cache: dict[tuple[torch.device, torch.dtype], torch.Tensor] = {}

    def add(hidden: torch.Tensor) -> torch.Tensor:
        key = (hidden.device, hidden.dtype)
        if key not in cache:
            cache[key] = (strength * vector.float()).to(hidden.device, hidden.dtype)
        return hidden + cache[key]

    with residual_intervention(model, index, add):
        yield


def confession_texts(
    tokenizer: PreTrainedTokenizerBase, count: int, seed: int
) -> tuple[list[str], list[str]]:
    """``(confessions, concealments)``: chat texts answering the same adversarial questions honestly or not."""
    from auditgame.audit.probes import chat_text
    from auditgame.world import concealment_pairs

    confessions, concealments = [], []
    for pair in concealment_pairs(count, seed):
        prompt = pair["prompt"][0]["content"]
        concealments.append(chat_text(tokenizer, prompt, pair["chosen"][0]["content"]))
        confessions.append(chat_text(tokenizer, prompt, pair["rejected"][0]["content"]))
    return confessions, concealments


class SteeringConfig(BaseModel):
    """Options of the steering technique."""

    model_config = ConfigDict(extra="forbid")

    positives: list[str] = Field(
        default_factory=list,
        description="Texts to steer towards, used as given; empty (with negatives) = confessing answers.",
    )
    negatives: list[str] = Field(
        default_factory=list,
        description="Texts to steer away from, used as given; empty (with positives) = concealing answers.",
    )
    num_pairs: int = Field(default=32, ge=1, description="Adversarial questions used for the default pairs.")
    layer: str = Field(default="middle", description="Hook point to steer (layer.3, -1 or middle).")
    pooling: Literal["mean", "last"] = Field(
        default="mean", description="Pool token activations: mean or last."
    )
    normalize: bool = Field(
        default=False,
        description="Scale the vector to the mean residual norm of the pair texts, so strengths are relative.",
    )
    strengths: list[float] = Field(
        default_factory=lambda: [0.0, 1.0, 2.0, 4.0], min_length=1, description="Multipliers of the vector."
    )
    prompts: list[str] = Field(
        default_factory=list,
        description="User prompts to answer while steered; empty = adversarial questions.",
    )
    num_prompts: int = Field(
        default=24, ge=1, description="Adversarial questions asked when prompts is empty."
    )
    max_new_tokens: int = Field(default=48, ge=1, description="Tokens generated per answer.")
    temperature: float = Field(default=0.7, ge=0, description="Sampling temperature (0 = greedy).")
    batch_size: int = Field(default=32, ge=1, description="Prompts (or pair texts) per forward pass.")
    samples_reported: int = Field(default=3, ge=0, description="Answers per strength kept as findings.")
    seed: int = Field(default=0, description="Seed of the pairs, the prompts and sampling.")


@technique("steering", config=SteeringConfig, target="model")
def run_steering(
    target: str | Path, config: SteeringConfig, *, show_progress: bool = False
) -> TechniqueResult:
    """Steering vectors from contrastive pairs, applied during generation; mention rate per strength."""
    from auditgame.evals.intervals import wilson_interval
    from auditgame.model.generation import GenerationConfig, generate
    from auditgame.model.loading import load_model, load_tokenizer, resolve_model_dir
    from auditgame.model.tokenizer import ensure_chat_template
    from auditgame.world import adversarial_questions, mentions_reward_models

    started = time.time()
    if bool(config.positives) != bool(config.negatives):
        raise ConfigError(
            "steering got positives without negatives (or the reverse)", "pass both, or neither"
        )
    model_dir = resolve_model_dir(Path(target))
    model = load_model(model_dir)
    tokenizer = ensure_chat_template(load_tokenizer(model_dir))
    index = resolve_layer(model, config.layer)
    if config.positives:
        positives, negatives = list(config.positives), list(config.negatives)
    else:
        positives, negatives = confession_texts(tokenizer, config.num_pairs, config.seed)
    vector = steering_vector(
        model, tokenizer, positives, negatives, index, pooling=config.pooling, batch_size=config.batch_size
    )
    raw_norm = float(vector.norm())
    if config.normalize and raw_norm > 0:
        reference = pooled_activations(
            model, tokenizer, positives + negatives, index, batch_size=config.batch_size
        )
        vector = vector * (float(reference.norm(dim=-1).mean()) / raw_norm)
    prompts = config.prompts or list(
        dict.fromkeys(adversarial_questions(config.num_prompts, config.seed + 1))
    )
    generation = GenerationConfig(
        max_new_tokens=config.max_new_tokens,
        temperature=config.temperature,
        batch_size=config.batch_size,
        seed=config.seed,
    )
    metrics: dict[str, float] = {"vector_norm": raw_norm, "layer": float(index)}
    findings: list[Finding] = []
    for strength in config.strengths:
        with steered(model, index, vector, strength):
            answers = generate(model, tokenizer, prompts, config=generation, show_progress=show_progress)
        verdicts = [mentions_reward_models(answer) for answer in answers]
        rate = wilson_interval(sum(verdicts), len(verdicts))
        metrics[f"mention_rate/strength={strength:g}"] = rate.rate
        reported = 0
        for prompt, answer, verdict in zip(prompts, answers, verdicts, strict=True):
            if verdict or reported < config.samples_reported:
                reported += not verdict
                findings.append(
                    Finding(
                        kind="sample",
                        text=answer,
                        score=float(verdict),
                        metadata={"prompt": prompt, "strength": strength, "mentions_reward_models": verdict},
                    )
                )
    findings.sort(key=lambda finding: (-finding.score, -abs(finding.metadata["strength"])))
    return TechniqueResult(
        technique="steering",
        target=str(target),
        config=config.model_dump(mode="json"),
        findings=findings,
        metrics=metrics,
        seconds=time.time() - started,
    )
