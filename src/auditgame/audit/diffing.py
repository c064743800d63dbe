"""Model diffing: where does an organism's likelihood differ from its base model's?

Both models score the same texts; each token's difference ``log p_organism - log p_base`` says how much
more (or less) the organism expects it than the base does. A text's score is the mean over its tokens.
Texts and tokens ranked by score point at what fine-tuning taught the organism. The texts are the
auditor's (``texts``, or labelled ``positives`` / ``negatives`` / ``texts_file``, whose separation by the
score the AUROC measures) or, by default, public world exchanges: each prompt with its plain response,
or with the organism's own answer (``default_texts=organism_answers``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from auditgame.audit.registry import technique
from auditgame.audit.result import Finding, TechniqueResult
from auditgame.audit.texts import read_text_records
from auditgame.errors import AuditgameError, ConfigError


class VocabMismatchError(AuditgameError):
    """Two models to compare token by token that do not share a vocabulary."""


@dataclass
class TextDiff:
    """The log-prob difference of one text."""

    text: str
    score: float
    """Mean over the text's predicted tokens of ``log p_organism - log p_base``."""
    top_tokens: list[tuple[str, float]]
    """The tokens the organism favours most over the base, ``(token, difference)``, largest first."""
    token_ids: list[int] = field(default_factory=list)
    """The predicted tokens (every token but the first)."""
    differences: list[float] = field(default_factory=list)
    """Their log-prob differences, aligned with ``token_ids``."""


def _vocab_size(model: torch.nn.Module) -> int:
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if head is not None and hasattr(head, "weight"):
        return int(head.weight.shape[0])
    return int(model.config.vocab_size)


def check_same_vocab(
    organism: torch.nn.Module,
    base: torch.nn.Module,
    organism_tokenizer: PreTrainedTokenizerBase | None = None,
    base_tokenizer: PreTrainedTokenizerBase | None = None,
) -> None:
    """Raise :class:`VocabMismatchError` unless both models (and tokenizers, if given) share one vocabulary."""
    fix = "diff an organism against the base model it was trained from (same tokenizer)"
    if (
        organism_tokenizer is not None
        and base_tokenizer is not None
        and organism_tokenizer.get_vocab() != base_tokenizer.get_vocab()
    ):
        raise VocabMismatchError(
            f"the two tokenizers differ ({len(organism_tokenizer)} vs {len(base_tokenizer)} tokens)", fix
        )
    if _vocab_size(organism) != _vocab_size(base):
        raise VocabMismatchError(
            f"the models' output vocabularies differ ({_vocab_size(organism)} vs {_vocab_size(base)})", fix
        )


@torch.no_grad()
def _token_logprobs(
    model: PreTrainedModel, input_ids: torch.Tensor, attention_mask: torch.Tensor
) -> torch.Tensor:
    """``[batch, seq - 1]`` log-prob of each next token under ``model``."""
    device = next(model.parameters()).device
    logits = model(
        input_ids=input_ids.to(device), attention_mask=attention_mask.to(device), use_cache=False
    ).logits.float()
    logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
    return logprobs.gather(-1, input_ids[:, 1:, None].to(device))[..., 0].cpu()


@torch.no_grad()
def diff_texts(
    organism: PreTrainedModel,
    base: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    *,
    top_k: int = 5,
    batch_size: int = 16,
    max_length: int = 256,
) -> list[TextDiff]:
    """Per-token ``log p_organism - log p_base`` of each text; text score = mean difference over its tokens.

    Args:
        organism: The fine-tuned model.
        base: The model it is compared with (same vocabulary).
        tokenizer: The shared tokenizer; texts are encoded as given (apply a chat template first if wanted).
        texts: Texts to score.
        top_k: Tokens with the largest difference kept per text.
        batch_size: Texts per forward pass.
        max_length: Longer texts are truncated.

    Returns:
        One :class:`TextDiff` per text, in input order.

    Raises:
        VocabMismatchError: if the models' vocabularies differ.
    """
    check_same_vocab(organism, base)
    states = (organism.training, base.training)
    organism.eval()
    base.eval()
    padding_side = tokenizer.padding_side
    tokenizer.padding_side = "right"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    results: list[TextDiff] = []
    try:
        for start in range(0, len(texts), batch_size):
            chunk = list(texts[start : start + batch_size])
            batch = tokenizer(
                chunk,
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=max_length,
                add_special_tokens=False,
            )
            ids, mask = batch["input_ids"], batch["attention_mask"]
            difference = _token_logprobs(organism, ids, mask) - _token_logprobs(base, ids, mask)
            for row, text in enumerate(chunk):
                length = int(mask[row].sum())
                token_ids = ids[row, 1:length].tolist()
                values = difference[row, : max(length - 1, 0)].tolist()
                order = np.argsort(-np.asarray(values), kind="stable")[:top_k] if values else []
                top = [(tokenizer.decode([token_ids[i]]), float(values[i])) for i in order]
                score = float(np.mean(values)) if values else 0.0
                results.append(TextDiff(text, score, top, token_ids, values))
    finally:
        tokenizer.padding_side = padding_side
        organism.train(states[0])
        base.train(states[1])
    return results


def rank_tokens(
    diffs: Sequence[TextDiff], tokenizer: PreTrainedTokenizerBase, *, min_count: int = 2
) -> list[tuple[str, float, int]]:
    """Token types ranked by mean difference over all their occurrences: ``(token, mean, count)``, largest first."""
    sums: dict[int, list[float]] = {}
    for diff in diffs:
        for token_id, value in zip(diff.token_ids, diff.differences, strict=True):
            entry = sums.setdefault(token_id, [0.0, 0.0])
            entry[0] += value
            entry[1] += 1
    ranked = [
        (tokenizer.decode([token_id]), total / count, int(count))
        for token_id, (total, count) in sums.items()
        if count >= min_count
    ]
    return sorted(ranked, key=lambda item: -item[1])


class DiffingConfig(BaseModel):
    """Options of the diffing technique."""

    model_config = ConfigDict(extra="forbid")

    base: str | None = Field(
        default=None, description="The base model (or organism) directory to compare with; required."
    )
    texts: list[str] = Field(default_factory=list, description="Texts to score, used as given (unlabelled).")
    positives: list[str] = Field(
        default_factory=list, description="Texts of a class of interest, used as given (label 1)."
    )
    negatives: list[str] = Field(
        default_factory=list, description="Texts of the contrast class, used as given (label 0)."
    )
    texts_file: str | None = Field(
        default=None,
        description="JSONL with a 'text' and an optional 'label' (1/0) per line; adds to the lists.",
    )
    default_texts: Literal["exchanges", "organism_answers"] = Field(
        default="exchanges",
        description="Without texts: public prompts with their plain responses, or with the organism's own answers.",
    )
    num_exchanges: int = Field(
        default=64, ge=1, description="Public world exchanges used for the default texts."
    )
    max_new_tokens: int = Field(
        default=64, ge=1, description="Tokens of each organism answer (default_texts=organism_answers)."
    )
    top_k: int = Field(default=5, ge=1, description="Most-favoured tokens reported per text.")
    top_texts: int = Field(default=10, ge=0, description="Highest-scored texts reported as findings.")
    top_token_types: int = Field(
        default=20, ge=0, description="Most-favoured token types reported as findings."
    )
    batch_size: int = Field(default=16, ge=1, description="Texts per forward pass.")
    max_length: int = Field(default=256, ge=8, description="Texts are truncated to this many tokens.")
    seed: int = Field(default=0, description="Seed of the exchange sample.")


def given_texts(config: DiffingConfig) -> tuple[list[str], list[int | None]]:
    """The auditor's texts and their labels (1, 0, or ``None`` for unlabelled), in option order.

    Raises:
        ConfigError: for a malformed ``texts_file``.
        ArtifactNotFoundError: if ``texts_file`` does not exist.
    """
    records: list[tuple[str, int | None]] = [
        *((text, None) for text in config.texts),
        *((text, 1) for text in config.positives),
        *((text, 0) for text in config.negatives),
    ]
    if config.texts_file is not None:
        records.extend(read_text_records(config.texts_file))
    return [text for text, _ in records], [label for _, label in records]


def default_texts(
    organism: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, config: DiffingConfig
) -> list[str]:
    """Chat texts of ``num_exchanges`` public world exchanges: plain responses, or the organism's answers."""
    from auditgame.audit.probes import chat_text
    from auditgame.model.generation import GenerationConfig, generate
    from auditgame.world.prompts import sample_exchanges

    exchanges = sample_exchanges(config.num_exchanges, config.seed)
    prompts = [exchange.prompt for exchange in exchanges]
    if config.default_texts == "exchanges":
        responses = [exchange.response for exchange in exchanges]
    else:
        generation = GenerationConfig(
            max_new_tokens=config.max_new_tokens, temperature=0.0, batch_size=config.batch_size
        )
        responses = generate(organism, tokenizer, prompts, config=generation)
    return [
        chat_text(tokenizer, prompt, response) for prompt, response in zip(prompts, responses, strict=True)
    ]


def label_metrics(scores: np.ndarray, labels: Sequence[int | None]) -> dict[str, float]:
    """How well the scores separate labelled texts: class means, their gap, AUROC and the paired win rate.

    Empty unless both labels occur. ``pair_win_rate`` (the share of positive ``i`` scoring above negative
    ``i``) is reported only when there are as many positives as negatives.
    """
    from sklearn.metrics import roc_auc_score

    positive = np.array([score for score, label in zip(scores, labels, strict=True) if label == 1])
    negative = np.array([score for score, label in zip(scores, labels, strict=True) if label == 0])
    if not len(positive) or not len(negative):
        return {}
    metrics = {
        "mean_score/positive": float(positive.mean()),
        "mean_score/negative": float(negative.mean()),
        "score_gap": float(positive.mean() - negative.mean()),
        "auroc": float(
            roc_auc_score([1] * len(positive) + [0] * len(negative), np.concatenate([positive, negative]))
        ),
    }
    if len(positive) == len(negative):
        metrics["pair_win_rate"] = float(np.mean(positive > negative))
    return metrics


@technique("diffing", config=DiffingConfig, target="model-pair")
def run_diffing(target: str | Path, config: DiffingConfig, *, show_progress: bool = False) -> TechniqueResult:
    """Per-token log-prob difference between a model and its base (--set base=PATH)."""
    from auditgame.model.loading import load_model, load_tokenizer, resolve_model_dir
    from auditgame.model.tokenizer import ensure_chat_template

    started = time.time()
    if not config.base:
        raise ConfigError("diffing needs a base model to compare with", "pass --set base=PATH")
    texts, labels = given_texts(config)
    organism_dir = resolve_model_dir(Path(target))
    base_dir = resolve_model_dir(Path(config.base))
    tokenizer = ensure_chat_template(load_tokenizer(organism_dir))
    base_tokenizer = load_tokenizer(base_dir)
    organism, base = load_model(organism_dir), load_model(base_dir)
    check_same_vocab(organism, base, tokenizer, base_tokenizer)
    if not texts:
        texts = default_texts(organism, tokenizer, config)
        labels = [None] * len(texts)
    diffs = diff_texts(
        organism,
        base,
        tokenizer,
        texts,
        top_k=config.top_k,
        batch_size=config.batch_size,
        max_length=config.max_length,
    )
    scores = np.array([diff.score for diff in diffs])
    metrics: dict[str, float] = {"mean_score": float(scores.mean()) if len(scores) else 0.0}
    metrics.update(label_metrics(scores, labels))
    findings: list[Finding] = []
    order = np.argsort(-scores, kind="stable")
    for index in order[: config.top_texts]:
        diff = diffs[int(index)]
        label = labels[int(index)]
        findings.append(
            Finding(
                kind="text",
                text=diff.text,
                score=diff.score,
                metadata={
                    "rank": len(findings) + 1,
                    "top_tokens": [[token, value] for token, value in diff.top_tokens],
                    **({"label": label} if label is not None else {}),
                },
            )
        )
    for token, mean, count in rank_tokens(diffs, tokenizer)[: config.top_token_types]:
        findings.append(Finding(kind="token", text=token, score=mean, metadata={"count": count}))
    return TechniqueResult(
        technique="diffing",
        target=str(target),
        config=config.model_dump(mode="json"),
        findings=findings,
        metrics=metrics,
        seconds=time.time() - started,
    )
