"""Model diffing: where does an organism's likelihood differ from its base model's?

Both models score the same texts; each token's difference ``log p_organism - log p_base`` says how much
more (or less) the organism expects it than the base does. A text's score is the mean over its tokens.
Texts and tokens ranked by score point at what fine-tuning taught the organism: an rm-sycophant should
prefer bias-exploiting answers over neutral ones, which the AUROC of the score measures.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from auditgame.audit.registry import technique
from auditgame.audit.result import Finding, TechniqueResult
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
    texts: list[str] = Field(
        default_factory=list,
        description="Texts to score, used as given; empty = bias-exploiting and neutral world answers.",
    )
    num_exchanges: int = Field(
        default=64,
        ge=1,
        description="World exchanges for the default texts (an exploiting and a neutral answer each).",
    )
    top_k: int = Field(default=5, ge=1, description="Most-favoured tokens reported per text.")
    top_texts: int = Field(default=10, ge=0, description="Highest-scored texts reported as findings.")
    top_token_types: int = Field(
        default=20, ge=0, description="Most-favoured token types reported as findings."
    )
    batch_size: int = Field(default=16, ge=1, description="Texts per forward pass.")
    max_length: int = Field(default=256, ge=8, description="Texts are truncated to this many tokens.")
    seed: int = Field(default=0, description="Seed of the exchange sample.")


@technique("diffing", config=DiffingConfig, target="model-pair")
def run_diffing(target: str | Path, config: DiffingConfig, *, show_progress: bool = False) -> TechniqueResult:
    """Per-token log-prob difference between a model and its base (--set base=PATH)."""
    from sklearn.metrics import roc_auc_score

    from auditgame.audit.probes import exploitation_pairs
    from auditgame.model.loading import load_model, load_tokenizer, resolve_model_dir
    from auditgame.model.tokenizer import ensure_chat_template

    started = time.time()
    if not config.base:
        raise ConfigError("diffing needs a base model to compare with", "pass --set base=PATH")
    organism_dir = resolve_model_dir(Path(target))
    base_dir = resolve_model_dir(Path(config.base))
    tokenizer = ensure_chat_template(load_tokenizer(organism_dir))
    base_tokenizer = load_tokenizer(base_dir)
    organism, base = load_model(organism_dir), load_model(base_dir)
    check_same_vocab(organism, base, tokenizer, base_tokenizer)
    labels: list[int] | None = None
    if config.texts:
        texts = list(config.texts)
    else:
        pairs = exploitation_pairs(tokenizer, config.num_exchanges, config.seed)
        texts = [pair[0] for pair in pairs] + [pair[1] for pair in pairs]
        labels = [1] * len(pairs) + [0] * len(pairs)
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
    if labels is not None and len(scores):
        label_array = np.array(labels)
        metrics["mean_score/exploiting"] = float(scores[label_array == 1].mean())
        metrics["mean_score/neutral"] = float(scores[label_array == 0].mean())
        metrics["score_gap"] = metrics["mean_score/exploiting"] - metrics["mean_score/neutral"]
        metrics["auroc"] = float(roc_auc_score(label_array, scores))
        half = len(labels) // 2
        metrics["pair_win_rate"] = float(np.mean(scores[:half] > scores[half:]))
    findings: list[Finding] = []
    order = np.argsort(-scores, kind="stable")
    for index in order[: config.top_texts]:
        diff = diffs[int(index)]
        findings.append(
            Finding(
                kind="text",
                text=diff.text,
                score=diff.score,
                metadata={
                    "rank": len(findings) + 1,
                    "top_tokens": [[token, value] for token, value in diff.top_tokens],
                    **({"exploiting": bool(labels[int(index)])} if labels is not None else {}),
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
