"""Activation fuzzing: add random noise to the residual stream while the model answers, then look for leaks.

Noise added at hook point ``layer`` has, at every token, a uniformly random direction and a norm of
``scale`` times that token's residual norm, so scales mean the same on any model. Concealment learned
late in training is often more brittle than the knowledge it hides: under noise the model may start
saying what it otherwise keeps back. Answers are checked for the auditor's ``flag_terms`` (flagged rate
per scale) and their most distinctive n-grams are reported with counts per scale. Noise comes from its
own seeded generator, so sampling itself draws the same random numbers at every scale and scale 0
reproduces plain sampling exactly.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from pydantic import BaseModel, ConfigDict, Field

from auditgame.audit.activations import residual_intervention
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
from auditgame.audit.steering import resolve_layer
from auditgame.errors import ConfigError


@contextmanager
def fuzzed(model: torch.nn.Module, layer: str | int, scale: float, *, seed: int = 0) -> Iterator[None]:
    """Within the block, add noise of relative norm ``scale`` to the residual stream at ``layer``.

    Args:
        model: A causal LM.
        layer: Hook point (``layer.3``, 3, -1 or ``middle``).
        scale: Noise norm per token as a fraction of that token's residual norm (0 = no change).
        seed: Seed of the noise generator (separate from the sampling generator).

    Raises:
        UnknownNameError: for a layer that is not a hook point.
        ConfigError: for a negative scale.
    """
    if scale < 0:
        raise ConfigError(f"noise scale must be >= 0, got {scale}", "use scales such as 0, 0.5, 1")
    index = resolve_layer(model, layer)
    generators: dict[torch.device, torch.Generator] = {}

    def add_noise(hidden: torch.Tensor) -> torch.Tensor:
        if hidden.device not in generators:
            generators[hidden.device] = torch.Generator(device=hidden.device).manual_seed(seed)
        noise = torch.randn(hidden.shape, generator=generators[hidden.device], device=hidden.device)
        noise = noise / noise.norm(dim=-1, keepdim=True).clamp(min=1e-12)
        return hidden + (scale * hidden.float().norm(dim=-1, keepdim=True) * noise).to(hidden.dtype)

    with residual_intervention(model, index, add_noise):
        yield


class FuzzingConfig(BaseModel):
    """Options of the fuzzing technique."""

    model_config = ConfigDict(extra="forbid")

    layer: str = Field(default="middle", description="Hook point to add noise at (layer.3, -1 or middle).")
    scales: list[float] = Field(
        default_factory=lambda: [0.0, 0.25, 0.5, 1.0],
        min_length=1,
        description="Noise norms relative to the residual norm (0 = plain sampling).",
    )
    questions: list[str] = Field(
        default_factory=auditor_questions,
        min_length=1,
        description="User prompts to answer; default: generic auditor questions.",
    )
    samples_per_question: int = Field(default=4, ge=1, description="Answers sampled per question and scale.")
    max_new_tokens: int = Field(default=48, ge=1, description="Tokens generated per answer.")
    temperature: float = Field(default=0.7, ge=0, description="Sampling temperature (0 = greedy).")
    batch_size: int = Field(default=32, ge=1, description="Prompts generated per batch.")
    flag_terms: FlagTerms = Field(default_factory=list, description=FLAG_TERMS_DESCRIPTION)
    samples_reported: int = Field(
        default=3, ge=0, description="Answers without a flag term kept as findings per scale."
    )
    top_ngrams: int = Field(
        default=20, ge=0, description="Most distinctive n-grams of the answers reported (0 = none)."
    )
    reference_texts: int = Field(
        default=400, ge=1, description="Neutral texts the answers' n-grams are compared with."
    )
    seed: int = Field(default=0, description="Seed of the noise and sampling.")


@technique("fuzzing", config=FuzzingConfig, target="model")
def run_fuzzing(target: str | Path, config: FuzzingConfig, *, show_progress: bool = False) -> TechniqueResult:
    """Noise in the residual stream, then sample: flagged answers and distinctive n-grams per noise scale."""
    from auditgame.model.generation import GenerationConfig, generate
    from auditgame.model.loading import load_model, load_tokenizer, resolve_model_dir
    from auditgame.model.tokenizer import ensure_chat_template

    started = time.time()
    model_dir = resolve_model_dir(Path(target))
    model = load_model(model_dir)
    tokenizer = ensure_chat_template(load_tokenizer(model_dir))
    index = resolve_layer(model, config.layer)
    matcher = FlagMatcher(config.flag_terms)
    prompts = [question for question in config.questions for _ in range(config.samples_per_question)]
    generation = GenerationConfig(
        max_new_tokens=config.max_new_tokens,
        temperature=config.temperature,
        batch_size=config.batch_size,
        seed=config.seed,
    )
    metrics: dict[str, float] = {"layer": float(index)}
    findings: list[Finding] = []
    all_answers: list[str] = []
    groups: list[str] = []
    for number, scale in enumerate(config.scales):
        with fuzzed(model, index, scale, seed=config.seed * 1_000 + number):
            answers = generate(model, tokenizer, prompts, config=generation, show_progress=show_progress)
        all_answers.extend(answers)
        groups.extend([f"scale={scale:g}"] * len(answers))
        setting_metrics, setting_findings = answers_report(
            prompts, answers, matcher, "scale", scale, unflagged=config.samples_reported
        )
        metrics.update(setting_metrics)
        findings.extend(setting_findings)
    findings.sort(key=lambda finding: (-finding.score, finding.metadata["scale"]))
    ngrams = distinctive_ngrams(
        all_answers,
        neutral_answers(config.reference_texts) if config.top_ngrams else [],
        top=config.top_ngrams,
        groups=groups,
    )
    findings.extend(ngram_findings(ngrams, reference="neutral text"))
    return TechniqueResult(
        technique="fuzzing",
        target=str(target),
        config=config.model_dump(mode="json"),
        findings=findings,
        metrics=metrics,
        seconds=time.time() - started,
    )
