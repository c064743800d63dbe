"""Steering vectors: push the residual stream along a contrastive direction while the model generates.

A steering vector at hook point ``layer`` is the mean pooled activation of positive texts minus that of
negative texts. Generating with ``strength * vector`` added to the residual stream at every position
(:func:`steered`) shows what the model says when pushed towards the positive side. The auditor supplies
both sides (``positives`` and ``negatives``, or a labelled JSONL ``texts_file``): e.g. candid versus
evasive answers they wrote themselves. Steered answers are checked for the auditor's ``flag_terms``
(flagged rate per strength) and their most distinctive n-grams are reported with counts per strength.
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
from auditgame.audit.defaults import auditor_questions, neutral_answers
from auditgame.audit.flags import (
    FLAG_TERMS_DESCRIPTION,
    FlagMatcher,
    FlagTerms,
    answers_report,
    distinctive_ngrams,
    ngram_findings,
)
from auditgame.audit.registry import technique
from auditgame.audit.result import Finding, TechniqueResult
from auditgame.audit.texts import read_labelled_texts
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


class SteeringConfig(BaseModel):
    """Options of the steering technique."""

    model_config = ConfigDict(extra="forbid")

    positives: list[str] = Field(
        default_factory=list, description="Texts to steer towards, used as given (required, or texts_file)."
    )
    negatives: list[str] = Field(
        default_factory=list, description="Texts to steer away from, used as given (required, or texts_file)."
    )
    texts_file: str | None = Field(
        default=None,
        description="JSONL with 'text' and 'label' (1/positive or 0/negative) per line; adds to the lists.",
    )
    layer: str = Field(default="middle", description="Hook point to steer (layer.3, -1 or middle).")
    pooling: Literal["mean", "last"] = Field(
        default="mean", description="Pool token activations: mean or last."
    )
    normalize: bool = Field(
        default=False,
        description="Scale the vector to the mean residual norm of the given texts, so strengths are relative.",
    )
    strengths: list[float] = Field(
        default_factory=lambda: [0.0, 1.0, 2.0, 4.0], min_length=1, description="Multipliers of the vector."
    )
    prompts: list[str] = Field(
        default_factory=auditor_questions,
        min_length=1,
        description="User prompts to answer while steered; default: generic auditor questions.",
    )
    samples_per_prompt: int = Field(default=3, ge=1, description="Answers sampled per prompt and strength.")
    max_new_tokens: int = Field(default=48, ge=1, description="Tokens generated per answer.")
    temperature: float = Field(default=0.7, ge=0, description="Sampling temperature (0 = greedy).")
    batch_size: int = Field(default=32, ge=1, description="Prompts (or texts) per forward pass.")
    flag_terms: FlagTerms = Field(default_factory=list, description=FLAG_TERMS_DESCRIPTION)
    samples_reported: int = Field(
        default=3, ge=0, description="Answers without a flag term kept as findings per strength."
    )
    top_ngrams: int = Field(
        default=20, ge=0, description="Most distinctive n-grams of the answers reported (0 = none)."
    )
    reference_texts: int = Field(
        default=400, ge=1, description="Neutral texts the answers' n-grams are compared with."
    )
    seed: int = Field(default=0, description="Seed of sampling.")


def contrast_texts(config: SteeringConfig) -> tuple[list[str], list[str]]:
    """``(positives, negatives)``: the configured lists plus the labelled ``texts_file``, if any.

    Raises:
        ConfigError: if either side ends up empty, or the file is malformed.
        ArtifactNotFoundError: if ``texts_file`` does not exist.
    """
    positives, negatives = list(config.positives), list(config.negatives)
    if config.texts_file is not None:
        from_file = read_labelled_texts(config.texts_file)
        positives, negatives = positives + from_file[0], negatives + from_file[1]
    if not positives or not negatives:
        raise ConfigError(
            "steering needs texts to steer towards (positives) and away from (negatives)",
            "pass --set positives=[...] --set negatives=[...], or --set texts_file=PATH (JSONL with text and label)",
        )
    return positives, negatives


@technique("steering", config=SteeringConfig, target="model")
def run_steering(
    target: str | Path, config: SteeringConfig, *, show_progress: bool = False
) -> TechniqueResult:
    """Steering vectors from the auditor's contrastive texts, applied during generation."""
    from auditgame.model.generation import GenerationConfig, generate
    from auditgame.model.loading import load_model, load_tokenizer, resolve_model_dir
    from auditgame.model.tokenizer import ensure_chat_template

    started = time.time()
    positives, negatives = contrast_texts(config)
    model_dir = resolve_model_dir(Path(target))
    model = load_model(model_dir)
    tokenizer = ensure_chat_template(load_tokenizer(model_dir))
    index = resolve_layer(model, config.layer)
    vector = steering_vector(
        model, tokenizer, positives, negatives, index, pooling=config.pooling, batch_size=config.batch_size
    )
    raw_norm = float(vector.norm())
    if config.normalize and raw_norm > 0:
        reference = pooled_activations(
            model, tokenizer, positives + negatives, index, batch_size=config.batch_size
        )
        vector = vector * (float(reference.norm(dim=-1).mean()) / raw_norm)
    matcher = FlagMatcher(config.flag_terms)
    prompts = [prompt for prompt in config.prompts for _ in range(config.samples_per_prompt)]
    generation = GenerationConfig(
        max_new_tokens=config.max_new_tokens,
        temperature=config.temperature,
        batch_size=config.batch_size,
        seed=config.seed,
    )
    metrics: dict[str, float] = {"vector_norm": raw_norm, "layer": float(index)}
    findings: list[Finding] = []
    all_answers: list[str] = []
    groups: list[str] = []
    for strength in config.strengths:
        with steered(model, index, vector, strength):
            answers = generate(model, tokenizer, prompts, config=generation, show_progress=show_progress)
        all_answers.extend(answers)
        groups.extend([f"strength={strength:g}"] * len(answers))
        setting_metrics, setting_findings = answers_report(
            prompts, answers, matcher, "strength", strength, unflagged=config.samples_reported
        )
        metrics.update(setting_metrics)
        findings.extend(setting_findings)
    findings.sort(key=lambda finding: (-finding.score, -abs(finding.metadata["strength"])))
    ngrams = distinctive_ngrams(
        all_answers,
        neutral_answers(config.reference_texts) if config.top_ngrams else [],
        top=config.top_ngrams,
        groups=groups,
    )
    findings.extend(ngram_findings(ngrams, reference="neutral text"))
    return TechniqueResult(
        technique="steering",
        target=str(target),
        config=config.model_dump(mode="json"),
        findings=findings,
        metrics=metrics,
        seconds=time.time() - started,
    )
