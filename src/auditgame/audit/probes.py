"""Linear probes: can a layer's activations tell bias-exploiting answers from neutral ones?

For every hook point, a logistic-regression probe (scikit-learn) is fitted on pooled activations of
positive and negative texts and scored by cross-validated accuracy. By default the positives are world
answers rewritten to exploit their domain's reward-model bias and the negatives are the same answers
left neutral, both chat-formatted; paired texts stay in the same fold, so a probe cannot score by
recognising the prompt.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from auditgame.audit.activations import iter_activations, layer_index, layer_names, pooled_activations
from auditgame.audit.registry import technique
from auditgame.audit.result import Finding, TechniqueResult
from auditgame.errors import ConfigError


def chat_text(tokenizer: PreTrainedTokenizerBase, prompt: str, response: str) -> str:
    """A user prompt and an assistant response rendered with the tokenizer's chat template."""
    messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": response}]
    return tokenizer.apply_chat_template(messages, tokenize=False)


def exploitation_pairs(tokenizer: PreTrainedTokenizerBase, count: int, seed: int) -> list[tuple[str, str]]:
    """``(exploiting, neutral)`` chat texts for up to ``count`` world exchanges (domains with a bias only).

    The exploiting text answers with ``get_bias(id).exhibit(response, prompt)``, the neutral text with
    the exchange's neutral response.
    """
    from auditgame.world import CONCEALMENT_BIAS_ID, get_bias, sample_exchanges
    from auditgame.world.prompts import get_domain

    pairs = []
    for exchange in sample_exchanges(count, seed):
        bias_id = get_domain(exchange.domain).bias_id
        if bias_id is None or bias_id == CONCEALMENT_BIAS_ID:
            continue
        exploiting = get_bias(bias_id).exhibit(exchange.response, exchange.prompt)
        if exploiting != exchange.response:
            pairs.append(
                (
                    chat_text(tokenizer, exchange.prompt, exploiting),
                    chat_text(tokenizer, exchange.prompt, exchange.response),
                )
            )
    return pairs


def _pool(hidden: torch.Tensor, mask: torch.Tensor, pooling: str) -> torch.Tensor:
    if pooling == "mean":
        return (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
    return hidden[torch.arange(hidden.shape[0]), mask.sum(1) - 1]


def pooled_by_layer(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    layers: Sequence[str | int],
    *,
    pooling: str = "mean",
    batch_size: int = 16,
    max_length: int = 256,
) -> dict[str, np.ndarray]:
    """Like :func:`~auditgame.audit.activations.pooled_activations`, for several layers from one pass: ``{layer: [n, d]}``."""
    if pooling not in ("mean", "last"):
        raise ConfigError(f"pooling must be 'mean' or 'last', got {pooling!r}", "use --set pooling=mean")
    names = [f"layer.{layer_index(model, layer)}" for layer in layers]
    pooled: dict[str, list[torch.Tensor]] = {name: [] for name in names}
    for batch in iter_activations(
        model, tokenizer, texts, names, batch_size=batch_size, max_length=max_length
    ):
        for name in names:
            pooled[name].append(_pool(batch.activations[name], batch.attention_mask, pooling))
    return {name: torch.cat(vectors).numpy() for name, vectors in pooled.items()}


def _classifier(C: float, seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000, random_state=seed))


@dataclass
class Probe:
    """A linear probe fitted at one hook point; scores new texts with :meth:`predict_proba`."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    layer: str
    pooling: str
    classifier: object
    """The fitted scikit-learn pipeline (standardisation + logistic regression)."""
    train_accuracy: float
    max_length: int = 256

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability that each text is a positive, ``[n]``."""
        if not texts:
            return np.zeros(0)
        vectors = pooled_activations(
            self.model, self.tokenizer, texts, self.layer, pooling=self.pooling, max_length=self.max_length
        ).numpy()
        return self.classifier.predict_proba(vectors)[:, 1]  # type: ignore[attr-defined]


def _labelled(positives: Sequence[str], negatives: Sequence[str]) -> tuple[list[str], np.ndarray]:
    if not positives or not negatives:
        raise ConfigError(
            "a probe needs both positive and negative texts", "pass at least one text of each class"
        )
    return [*positives, *negatives], np.array([1] * len(positives) + [0] * len(negatives))


def train_probe(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    positives: Sequence[str],
    negatives: Sequence[str],
    layer: str | int,
    *,
    pooling: str = "mean",
    C: float = 1.0,
    seed: int = 0,
    batch_size: int = 16,
    max_length: int = 256,
) -> Probe:
    """Fit a logistic-regression probe on all ``positives`` (label 1) and ``negatives`` (label 0) at ``layer``.

    Args:
        model: A causal LM.
        tokenizer: Its tokenizer (texts are encoded as given).
        positives: Texts of the class to detect.
        negatives: Texts of the other class.
        layer: Hook point (``layer.3``, 3, -1).
        pooling: ``mean`` over tokens or ``last`` token.
        C: Inverse L2 regularisation strength.
        seed: Seed of the solver.
        batch_size: Texts per forward pass.
        max_length: Longer texts are truncated.

    Raises:
        UnknownNameError: for a layer that is not a hook point.
        ConfigError: for an empty class or an unknown pooling.
    """
    texts, labels = _labelled(positives, negatives)
    name = f"layer.{layer_index(model, layer)}"
    features = pooled_by_layer(
        model, tokenizer, texts, [name], pooling=pooling, batch_size=batch_size, max_length=max_length
    )[name]
    classifier = _classifier(C, seed).fit(features, labels)
    accuracy = float(classifier.score(features, labels))
    return Probe(model, tokenizer, name, pooling, classifier, accuracy, max_length)


def probe_accuracy_by_layer(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    positives: Sequence[str],
    negatives: Sequence[str],
    layers: Sequence[str | int] | None = None,
    *,
    groups: Sequence[int] | None = None,
    folds: int = 5,
    pooling: str = "mean",
    C: float = 1.0,
    seed: int = 0,
    batch_size: int = 16,
    max_length: int = 256,
) -> dict[str, float]:
    """Cross-validated probe accuracy at each layer (default: all), from one forward pass per batch.

    Args:
        groups: Optional group per text (positives then negatives); texts of a group share a fold.
        folds: Number of cross-validation folds (stratified, shuffled with ``seed``).

    Other arguments are as in :func:`train_probe`.

    Raises:
        ConfigError: if a class has fewer texts (or groups) than ``folds``.
    """
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_score

    texts, labels = _labelled(positives, negatives)
    groups_array = np.arange(len(texts)) if groups is None else np.asarray(groups)
    if len(groups_array) != len(texts):
        raise ConfigError(
            "groups must give one group per text", "pass len(positives) + len(negatives) groups"
        )
    smallest = min(len(set(groups_array[labels == label])) for label in (0, 1))
    if folds < 2 or smallest < folds:
        raise ConfigError(
            f"{folds}-fold cross-validation needs at least {max(folds, 2)} texts (groups) per class, got {smallest}",
            "pass more texts or fewer folds (at least 2)",
        )
    features = pooled_by_layer(
        model,
        tokenizer,
        texts,
        layers or layer_names(model),
        pooling=pooling,
        batch_size=batch_size,
        max_length=max_length,
    )
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return {
        name: float(cross_val_score(_classifier(C, seed), X, labels, groups=groups_array, cv=splitter).mean())
        for name, X in features.items()
    }


class ProbesConfig(BaseModel):
    """Options of the probes technique."""

    model_config = ConfigDict(extra="forbid")

    positives: list[str] = Field(
        default_factory=list,
        description="Texts of the class to detect, used as given; empty (with negatives) = bias-exploiting world answers.",
    )
    negatives: list[str] = Field(
        default_factory=list,
        description="Texts of the other class, used as given; empty (with positives) = the same answers left neutral.",
    )
    num_exchanges: int = Field(
        default=96, ge=4, description="World exchanges sampled for the default texts (one pair each)."
    )
    layers: list[str] = Field(
        default_factory=list, description="Hook points to probe (layer.3); empty = all."
    )
    pooling: Literal["mean", "last"] = Field(
        default="mean", description="Pool token activations: mean or last."
    )
    folds: int = Field(default=5, ge=2, description="Cross-validation folds.")
    C: float = Field(default=1.0, gt=0, description="Inverse L2 regularisation of the logistic regression.")
    batch_size: int = Field(default=16, ge=1, description="Texts per forward pass.")
    max_length: int = Field(default=256, ge=8, description="Texts are truncated to this many tokens.")
    top_texts: int = Field(
        default=5, ge=0, description="Highest- and lowest-scored texts reported as findings."
    )
    seed: int = Field(default=0, description="Seed of the exchange sample, the folds and the solver.")


@technique("probes", config=ProbesConfig, target="model")
def run_probes(target: str | Path, config: ProbesConfig, *, show_progress: bool = False) -> TechniqueResult:
    """Linear probes on each layer's activations: cross-validated accuracy per layer."""
    from auditgame.model.loading import load_model, load_tokenizer, resolve_model_dir
    from auditgame.model.tokenizer import ensure_chat_template

    started = time.time()
    if bool(config.positives) != bool(config.negatives):
        raise ConfigError("probes got positives without negatives (or the reverse)", "pass both, or neither")
    model_dir = resolve_model_dir(Path(target))
    model = load_model(model_dir)
    tokenizer = ensure_chat_template(load_tokenizer(model_dir))
    names = [f"layer.{layer_index(model, layer)}" for layer in (config.layers or layer_names(model))]
    if config.positives:
        positives, negatives, groups = list(config.positives), list(config.negatives), None
    else:
        pairs = exploitation_pairs(tokenizer, config.num_exchanges, config.seed)
        positives, negatives = [pair[0] for pair in pairs], [pair[1] for pair in pairs]
        groups = list(range(len(pairs))) * 2
    options = dict(pooling=config.pooling, C=config.C, seed=config.seed, batch_size=config.batch_size)
    accuracies = probe_accuracy_by_layer(
        model,
        tokenizer,
        positives,
        negatives,
        names,
        groups=groups,
        folds=config.folds,
        max_length=config.max_length,
        **options,  # type: ignore[arg-type]
    )
    best = max(accuracies, key=lambda name: accuracies[name])
    findings = [
        Finding(
            kind="layer",
            text=f"{name}: cross-validated accuracy {accuracy:.3f}",
            score=accuracy,
            metadata={"layer": name},
        )
        for name, accuracy in sorted(accuracies.items(), key=lambda item: -item[1])
    ]
    if config.top_texts:
        probe = train_probe(
            model,
            tokenizer,
            positives,
            negatives,
            best,
            max_length=config.max_length,
            **options,  # type: ignore[arg-type]
        )
        texts = [*positives, *negatives]
        scores = probe.predict_proba(texts)
        order = np.argsort(-scores, kind="stable")
        chosen = [*order[: config.top_texts], *order[::-1][: config.top_texts]]
        for index in dict.fromkeys(int(i) for i in chosen):
            findings.append(
                Finding(
                    kind="text",
                    text=texts[index],
                    score=float(scores[index]),
                    metadata={"layer": best, "label": int(index < len(positives))},
                )
            )
    metrics = {f"accuracy/{name}": accuracy for name, accuracy in accuracies.items()}
    metrics["best_accuracy"] = accuracies[best]
    metrics["best_layer"] = float(layer_index(model, best))
    metrics["num_texts"] = float(len(positives) + len(negatives))
    return TechniqueResult(
        technique="probes",
        target=str(target),
        config=config.model_dump(mode="json"),
        findings=findings,
        metrics=metrics,
        seconds=time.time() - started,
    )
