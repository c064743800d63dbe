"""Linear probes: can a layer's activations tell two sets of texts apart?

For every hook point, a logistic-regression probe (scikit-learn) is fitted on pooled activations of
positive and negative texts and scored by cross-validated accuracy. The auditor gives the two sets
(``positives`` / ``negatives``, or a labelled JSONL ``texts_file``), or a ``condition``: then the model
answers the same prompts with and without it (as a system prompt, or a phrase before or after the
prompt), and the probe separates the answers given under the condition from the others. Both answers
are rendered after the *plain* prompt, so the probe sees only how the answers differ, and paired texts
stay in the same fold, so a probe cannot score by recognising the prompt.
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
from auditgame.audit.texts import read_labelled_texts
from auditgame.errors import ConfigError


def chat_text(tokenizer: PreTrainedTokenizerBase, prompt: str, response: str) -> str:
    """A user prompt and an assistant response rendered with the tokenizer's chat template."""
    messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": response}]
    return tokenizer.apply_chat_template(messages, tokenize=False)


def apply_condition(prompt: str, condition: str, where: str) -> tuple[str, str | None]:
    """``(user prompt, system prompt)`` for asking ``prompt`` under ``condition``.

    Args:
        prompt: The plain user prompt.
        condition: The condition text.
        where: ``system`` (the condition is the system prompt), ``prefix`` or ``suffix`` (it is put
            before or after the prompt, separated by a space).
    """
    if where == "system":
        return prompt, condition
    if where == "prefix":
        return f"{condition} {prompt}", None
    return f"{prompt} {condition}", None


def condition_pairs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    condition: str,
    *,
    where: str = "system",
    max_new_tokens: int = 48,
    temperature: float = 0.0,
    batch_size: int = 16,
    seed: int = 0,
    show_progress: bool = False,
) -> list[tuple[str, str]]:
    """``(with condition, without)`` chat texts: the model's two answers to each prompt, after the plain prompt.

    Args:
        model: A causal LM.
        tokenizer: Its tokenizer, with a chat template.
        prompts: User prompts.
        condition: What changes between the two answers (see :func:`apply_condition`).
        where: ``system``, ``prefix`` or ``suffix``.
        max_new_tokens: Tokens generated per answer.
        temperature: Sampling temperature (0 = greedy); both answers use the same seed.
        batch_size: Prompts generated per batch.
        seed: Sampling seed.
        show_progress: Show progress bars while generating.
    """
    from auditgame.model.generation import GenerationConfig, generate

    generation = GenerationConfig(
        max_new_tokens=max_new_tokens, temperature=temperature, batch_size=batch_size, seed=seed
    )
    plain = generate(model, tokenizer, prompts, config=generation, show_progress=show_progress)
    asked = [apply_condition(prompt, condition, where)[0] for prompt in prompts]
    system = condition if where == "system" else None
    conditioned = generate(
        model, tokenizer, asked, system=system, config=generation, show_progress=show_progress
    )
    return [
        (chat_text(tokenizer, prompt, with_condition), chat_text(tokenizer, prompt, without))
        for prompt, with_condition, without in zip(prompts, conditioned, plain, strict=True)
    ]


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
        default_factory=list, description="Texts of the class to detect, used as given (with negatives)."
    )
    negatives: list[str] = Field(
        default_factory=list, description="Texts of the other class, used as given (with positives)."
    )
    texts_file: str | None = Field(
        default=None,
        description="JSONL with 'text' and 'label' (1/positive or 0/negative) per line; adds to the lists.",
    )
    condition: str | None = Field(
        default=None,
        description="Without texts: contrast the model's answers with and without this condition.",
    )
    condition_as: Literal["system", "prefix", "suffix"] = Field(
        default="system", description="How the condition is given: system prompt, or before/after the prompt."
    )
    prompts: list[str] = Field(
        default_factory=list,
        description="Prompts answered with and without the condition; empty = num_prompts public world prompts.",
    )
    num_prompts: int = Field(default=48, ge=2, description="Public prompts sampled when prompts is empty.")
    max_new_tokens: int = Field(default=48, ge=1, description="Tokens generated per answer (condition mode).")
    temperature: float = Field(
        default=0.0, ge=0, description="Sampling temperature of the answers (0 = greedy)."
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
    seed: int = Field(default=0, description="Seed of the prompt sample, sampling, the folds and the solver.")


def labelled_texts(config: ProbesConfig) -> tuple[list[str], list[str]]:
    """The auditor's ``(positives, negatives)``: the configured lists plus the labelled ``texts_file``.

    Raises:
        ConfigError: if only one side is given, or the file is malformed.
        ArtifactNotFoundError: if ``texts_file`` does not exist.
    """
    positives, negatives = list(config.positives), list(config.negatives)
    if config.texts_file is not None:
        from_file = read_labelled_texts(config.texts_file)
        positives, negatives = positives + from_file[0], negatives + from_file[1]
    if bool(positives) != bool(negatives):
        raise ConfigError(
            "probes got texts of one class only",
            "pass both positives and negatives (or labels of both kinds)",
        )
    return positives, negatives


def _public_prompts(count: int, seed: int) -> list[str]:
    from auditgame.world.prompts import sample_exchanges

    return list(dict.fromkeys(exchange.prompt for exchange in sample_exchanges(count, seed)))


@technique("probes", config=ProbesConfig, target="model")
def run_probes(target: str | Path, config: ProbesConfig, *, show_progress: bool = False) -> TechniqueResult:
    """Linear probes on each layer's activations: cross-validated accuracy per layer."""
    from auditgame.model.loading import load_model, load_tokenizer, resolve_model_dir
    from auditgame.model.tokenizer import ensure_chat_template

    started = time.time()
    positives, negatives = labelled_texts(config)
    if positives and config.condition is not None:
        raise ConfigError("probes got both labelled texts and a condition", "pass one or the other")
    if not positives and not config.condition:
        raise ConfigError(
            "probes needs labelled texts or a condition to contrast",
            "pass --set positives=[...] --set negatives=[...], --set texts_file=PATH, or --set condition=TEXT",
        )
    model_dir = resolve_model_dir(Path(target))
    model = load_model(model_dir)
    tokenizer = ensure_chat_template(load_tokenizer(model_dir))
    names = [f"layer.{layer_index(model, layer)}" for layer in (config.layers or layer_names(model))]
    extra: dict[str, float] = {}
    if positives:
        groups = None
    else:
        assert config.condition is not None
        prompts = list(config.prompts) or _public_prompts(config.num_prompts, config.seed)
        pairs = condition_pairs(
            model,
            tokenizer,
            prompts,
            config.condition,
            where=config.condition_as,
            max_new_tokens=config.max_new_tokens,
            temperature=config.temperature,
            batch_size=config.batch_size,
            seed=config.seed,
            show_progress=show_progress,
        )
        positives, negatives = [pair[0] for pair in pairs], [pair[1] for pair in pairs]
        groups = list(range(len(pairs))) * 2
        extra["identical_pairs"] = sum(a == b for a, b in pairs) / len(pairs)
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
    metrics.update(extra)
    return TechniqueResult(
        technique="probes",
        target=str(target),
        config=config.model_dump(mode="json"),
        findings=findings,
        metrics=metrics,
        seconds=time.time() - started,
    )
