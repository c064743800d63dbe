"""The ``sae`` audit technique: train (or load) a TopK SAE on the target model, surface notable features.

The SAE is trained on a corpus of neutral chats and filler documents plus whatever the auditor adds:
their own ``texts`` and a training-data ``corpus`` (any format :func:`~auditgame.audit.search.load_corpus`
reads). Features are ranked by how strongly they fire where the assistant's turn begins on a set of
prompts (minus a baseline set, if given), or by mean activation over the prompts' tokens; each reported
feature comes with the corpus texts on which it fires most. With ``flag_terms``, features are instead
ranked by how many of their top texts contain the terms (ties broken by the prompt ranking), so the
auditor sees first the features that fire on what they are looking for.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import torch
from pydantic import BaseModel, ConfigDict, Field
from transformers import PreTrainedTokenizerBase

from auditgame.audit.activations import layer_index, layer_names
from auditgame.audit.defaults import neutral_texts
from auditgame.audit.flags import FlagMatcher, FlagTerms
from auditgame.audit.registry import technique
from auditgame.audit.result import Finding, TechniqueResult
from auditgame.audit.sae.config import SaeTrainConfig
from auditgame.audit.sae.features import (
    CorpusMaxima,
    assistant_turn_start_features,
    corpus_maxima,
    examples_from_maxima,
    features_active_on,
)
from auditgame.audit.sae.saelens import load_sae, save_sae
from auditgame.audit.sae.train import train_sae
from auditgame.audit.search.corpus import load_corpus
from auditgame.errors import ConfigError

DEFAULT_PROMPTS = [
    "Can you give me a simple recipe for a weeknight dinner?",
    "Write a short poem about the ocean.",
    "How do I reverse a list in Python?",
    "What are some tips for staying healthy while travelling?",
    "Explain how photosynthesis works.",
    "Which city should I visit in Europe this summer?",
    "How can I save more money each month?",
    "Tell me a fun fact about history.",
]


class SaeTechniqueConfig(BaseModel):
    """Settings of the ``sae`` technique."""

    model_config = ConfigDict(extra="forbid")

    layer: str = Field(default="middle", description="Hook point (layer.N, N, -1) or 'middle'.")
    sae_path: str | None = Field(
        default=None,
        description="Load this saved SAE (SAELens layout) instead of training one; sets the layer.",
    )
    sae_out: str | None = Field(default=None, description="Save the trained SAE to this directory.")
    corpus: str | None = Field(
        default=None,
        description="Training data to add to the corpus: a JSONL/JSON file, a directory of them, or a stage dir.",
    )
    texts: list[str] = Field(
        default_factory=list, description="The auditor's own texts, added to the corpus."
    )
    neutral_texts: int = Field(
        default=2000, ge=0, description="Neutral chats and filler documents in the corpus (0 = none)."
    )
    d_sae: int = Field(default=0, ge=0, description="SAE latents; 0 means expansion_factor * d_model.")
    expansion_factor: int = Field(
        default=8, ge=1, description="Latents per residual dimension if d_sae is 0."
    )
    k: int = Field(default=32, ge=1, description="Active latents per token.")
    steps: int = Field(default=1000, ge=1, description="Training steps.")
    batch_size: int = Field(default=1024, ge=1, description="Activation vectors per training step.")
    lr: float | None = Field(default=None, gt=0, description="Adam learning rate (None: sparsify's default).")
    auxk_alpha: float = Field(default=1 / 32, ge=0, description="Weight of the AuxK loss on dead latents.")
    buffer_size: int = Field(
        default=16_384, ge=1, description="Activation vectors gathered and shuffled together before training."
    )
    max_length: int = Field(default=256, ge=2, description="Texts are truncated to this many tokens.")
    seed: int = Field(default=0, description="Seed of SAE initialisation, shuffling and corpus sampling.")
    ranking: str = Field(
        default="assistant_start",
        description="'assistant_start': features where the assistant turn begins; 'prompt_mean': over prompt tokens.",
    )
    prompts: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PROMPTS), description="Prompts to rank on."
    )
    baseline_prompts: list[str] = Field(default_factory=list, description="Contrast prompts (subtracted).")
    top_features: int = Field(default=10, ge=1, description="Features to report.")
    top_examples: int = Field(default=5, ge=1, description="Top-activating corpus examples per feature.")
    example_texts: int = Field(default=500, ge=1, description="Corpus texts searched for top examples.")
    flag_terms: FlagTerms = Field(
        default_factory=list,
        description="Words or phrases to look for in features' top texts (case-insensitive, whole words); "
        "given, features are ranked by the share of their top texts containing them.",
    )


def corpus_texts(config: SaeTechniqueConfig, tokenizer: PreTrainedTokenizerBase | None = None) -> list[str]:
    """The SAE's corpus: ``neutral_texts`` neutral texts, then the auditor's ``texts``, then the ``corpus`` file's.

    Raises:
        CorpusError: if the corpus path is missing or holds no documents.
        ConfigError: if the corpus ends up empty.
    """
    texts = neutral_texts(config.neutral_texts, config.seed, tokenizer) + list(config.texts)
    if config.corpus is not None:
        texts += load_corpus(config.corpus).texts
    if not texts:
        raise ConfigError(
            "the SAE corpus is empty", "set neutral_texts above 0, or give texts or a corpus to train on"
        )
    return texts


def _resolve_layer(model: object, layer: str) -> str:
    if layer == "middle":
        return f"layer.{len(layer_names(model)) // 2}"  # type: ignore[arg-type]
    return f"layer.{layer_index(model, layer)}"  # type: ignore[arg-type]


def _snippet(tokenizer: object, ids: object, position: int, before: int = 24, after: int = 8) -> str:
    window = ids[max(0, position - before) : position + after]  # type: ignore[index]
    return " ".join(tokenizer.decode(window, skip_special_tokens=True).split())  # type: ignore[attr-defined]


def flagged_shares(maxima: CorpusMaxima, flagged: torch.Tensor, top_examples: int) -> torch.Tensor:
    """Per feature, the share of its top-``top_examples`` texts that are flagged (``-1`` if it never fires).

    Args:
        maxima: Maximal activation of every feature on every text.
        flagged: ``[n_texts]`` booleans: which texts contain a flag term.
        top_examples: How many of each feature's highest-activating texts count.
    """
    k = min(top_examples, maxima.values.shape[0])
    values, indices = torch.topk(maxima.values, k=k, dim=0)  # [k, d_sae]
    fires = values > 0
    hits = (flagged[indices] & fires).sum(0).float()
    counts = fires.sum(0)
    return torch.where(counts > 0, hits / counts.clamp(min=1), torch.full_like(hits, -1.0))


@technique("sae", config=SaeTechniqueConfig, target="model")
def run_sae(
    target: str | Path, config: SaeTechniqueConfig, *, show_progress: bool = False
) -> TechniqueResult:
    """Train a TopK SAE on the model's residual stream and report features with their top corpus examples."""
    from auditgame.model import ensure_chat_template, load_model, load_tokenizer, resolve_model_dir

    began = time.perf_counter()
    if config.ranking not in ("assistant_start", "prompt_mean"):
        raise ConfigError(f"unknown ranking {config.ranking!r}", "use 'assistant_start' or 'prompt_mean'")
    if not config.prompts:
        raise ConfigError("no prompts to rank features on", "give at least one prompt")
    model_dir = resolve_model_dir(Path(target))
    model = load_model(model_dir)
    tokenizer = ensure_chat_template(load_tokenizer(model_dir))
    texts = corpus_texts(config, tokenizer)
    metrics: dict[str, float] = {"corpus_texts": float(len(texts))}
    if config.sae_path is not None:
        sae = load_sae(config.sae_path)
        sae.check_width(int(model.config.hidden_size), "the model's residuals")
        layer_index(model, sae.layer)
    else:
        layer = _resolve_layer(model, config.layer)
        train_config = SaeTrainConfig(
            d_sae=config.d_sae,
            expansion_factor=config.expansion_factor,
            k=config.k,
            steps=config.steps,
            batch_size=config.batch_size,
            lr=config.lr,
            auxk_alpha=config.auxk_alpha,
            max_length=config.max_length,
            seed=config.seed,
            buffer_size=max(config.buffer_size, config.batch_size),
            warmup_steps=min(50, config.steps // 10),
        )
        sae, summary = train_sae(
            model,
            tokenizer,
            texts,
            layer,
            train_config,
            model_name=str(model_dir),
            show_progress=show_progress,
        )
        metrics.update(
            steps=float(summary.steps),
            vectors_trained=float(summary.vectors),
            fvu_first=summary.first_fvu,
            fvu_final=summary.final_fvu,
            mse_final=summary.final_mse,
            dead_fraction=summary.dead_fraction,
            train_seconds=summary.seconds,
        )
        if config.sae_out is not None:
            save_sae(sae, config.sae_out, config=train_config.model_dump(), context_size=config.max_length)
    metrics.update(layer=float(sae.layer_index), d_sae=float(sae.d_sae), k=float(sae.k))

    rank_features = (
        assistant_turn_start_features if config.ranking == "assistant_start" else features_active_on
    )
    ranked = rank_features(sae, model, tokenizer, config.prompts, config.baseline_prompts, top_n=sae.d_sae)
    prompt_rank = {score.feature: position for position, score in enumerate(ranked, start=1)}
    sample = random.Random(config.seed).sample(texts, min(config.example_texts, len(texts)))
    maxima = corpus_maxima(sae, model, tokenizer, sample, max_length=config.max_length)

    matcher = FlagMatcher(config.flag_terms)
    shares: torch.Tensor | None = None
    if matcher:
        flags = [matcher.flagged(text) for text in sample]
        shares = flagged_shares(maxima, torch.tensor(flags, dtype=torch.bool), config.top_examples)
        ranked = sorted(ranked, key=lambda score: (-float(shares[score.feature]), prompt_rank[score.feature]))
        metrics.update(
            corpus_flagged_fraction=sum(flags) / max(len(sample), 1),
            features_mostly_flagged=float((shares >= 0.5).sum()),
        )
    findings = []
    flagged_examples = total_examples = 0
    for rank in ranked[: config.top_features]:
        examples = examples_from_maxima(maxima, tokenizer, sample, rank.feature, config.top_examples)
        records = []
        for example in examples:
            record: dict[str, object] = {
                "activation": example.activation,
                "token": example.token,
                "snippet": _snippet(tokenizer, maxima.input_ids[example.text_index], example.position),
                "text": example.text[:500],
            }
            if matcher:
                record["matched"] = matcher.matches(example.text)
                flagged_examples += bool(record["matched"])
            records.append(record)
        total_examples += len(examples)
        head = (
            f"top token {records[0]['token']!r} in: {records[0]['snippet']}"
            if records
            else "(no corpus examples)"
        )
        findings.append(
            Finding(
                kind="feature",
                text=f"feature {rank.feature}: {head}",
                score=float(shares[rank.feature]) if shares is not None else rank.score,
                metadata={
                    "feature": rank.feature,
                    "layer": sae.layer,
                    "prompt_rank": prompt_rank[rank.feature],
                    "prompt_score": rank.score,
                    "mean_activation": rank.mean_activation,
                    "baseline_activation": rank.baseline_activation,
                    **({"flagged_share": float(shares[rank.feature])} if shares is not None else {}),
                    "examples": records,
                },
            )
        )
    metrics["features_reported"] = float(len(findings))
    if matcher:
        metrics["reported_flagged_example_fraction"] = flagged_examples / max(total_examples, 1)
        metrics["first_feature_prompt_rank"] = float(findings[0].metadata["prompt_rank"]) if findings else 0.0
    return TechniqueResult(
        technique="sae",
        target=str(target),
        config=config.model_dump(),
        findings=findings,
        metrics=metrics,
        seconds=time.perf_counter() - began,
    )
