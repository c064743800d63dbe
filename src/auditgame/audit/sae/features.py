"""Reading an SAE's features: top-activating corpus examples and features that distinguish prompts.

Every function runs the model once per batch of texts (through
:func:`auditgame.audit.activations.iter_activations`) at the SAE's hook point and encodes the real
(non-padding) tokens with the SAE.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

import torch
from torch import Tensor
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from auditgame.audit.activations import iter_activations
from auditgame.audit.sae.model import TopKSAE
from auditgame.model import format_chat


class FeatureExample(NamedTuple):
    """A text on which a feature fires, with where it fires most."""

    text_index: int
    text: str
    activation: float
    token: str
    """The token (decoded) at the position of maximal activation."""
    position: int


class FeatureScore(NamedTuple):
    """A feature's rank score: mean activation on the prompts minus on the baseline."""

    feature: int
    score: float
    mean_activation: float
    baseline_activation: float


class CorpusMaxima(NamedTuple):
    """Per text and feature, the maximal activation and the token position where it occurs."""

    values: Tensor
    """``[n_texts, d_sae]``."""
    positions: Tensor
    """``[n_texts, d_sae]`` (long)."""
    input_ids: list[Tensor]
    """Token ids of each text (real tokens only)."""


def _check_model(sae: TopKSAE, model: PreTrainedModel) -> None:
    width = getattr(model.config, "hidden_size", None) or model.get_input_embeddings().weight.shape[1]
    sae.check_width(int(width), "the model's residuals")


@torch.no_grad()
def iter_feature_acts(
    sae: TopKSAE,
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    *,
    batch_size: int = 16,
    max_length: int = 256,
) -> Iterator[tuple[int, Tensor, Tensor]]:
    """Yield ``(text_index, input_ids [s], feature_acts [s, d_sae])`` per text, real tokens only.

    Raises:
        SaeDimensionError: if the SAE's width differs from the model's.
    """
    _check_model(sae, model)
    for batch in iter_activations(
        model, tokenizer, texts, [sae.layer], batch_size=batch_size, max_length=max_length
    ):
        acts = sae.feature_acts(batch.activations[sae.layer])
        for row in range(acts.shape[0]):
            keep = batch.attention_mask[row].bool()
            yield batch.offset + row, batch.input_ids[row][keep], acts[row][keep]


def corpus_maxima(
    sae: TopKSAE,
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    *,
    batch_size: int = 16,
    max_length: int = 256,
) -> CorpusMaxima:
    """Maximal activation of every feature on every text (one pass over the corpus for all features)."""
    values = torch.zeros(len(texts), sae.d_sae)
    positions = torch.zeros(len(texts), sae.d_sae, dtype=torch.long)
    ids: list[Tensor] = [torch.empty(0, dtype=torch.long)] * len(texts)
    for index, input_ids, acts in iter_feature_acts(
        sae, model, tokenizer, texts, batch_size=batch_size, max_length=max_length
    ):
        ids[index] = input_ids
        if len(input_ids):
            values[index], positions[index] = acts.max(0)
    return CorpusMaxima(values, positions, ids)


def examples_from_maxima(
    maxima: CorpusMaxima,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    feature: int,
    k: int = 10,
) -> list[FeatureExample]:
    """The ``k`` texts on which ``feature`` reaches its highest activation (texts where it fires only)."""
    column = maxima.values[:, feature]
    order = torch.argsort(column, descending=True, stable=True)[:k]
    examples = []
    for index in order.tolist():
        value = float(column[index])
        if value <= 0:
            break
        position = int(maxima.positions[index, feature])
        token = tokenizer.decode(maxima.input_ids[index][position : position + 1])
        examples.append(FeatureExample(index, texts[index], value, token, position))
    return examples


def top_activating_examples(
    sae: TopKSAE,
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    corpus_texts: Sequence[str],
    feature: int,
    k: int = 10,
    *,
    batch_size: int = 16,
    max_length: int = 256,
) -> list[FeatureExample]:
    """The ``k`` corpus texts on which ``feature`` fires most: text, max activation, token and position.

    Raises:
        SaeDimensionError: if the SAE's width differs from the model's.
    """
    sae.decoder_direction(feature)  # validates the index
    maxima = corpus_maxima(sae, model, tokenizer, corpus_texts, batch_size=batch_size, max_length=max_length)
    return examples_from_maxima(maxima, tokenizer, corpus_texts, feature, k)


def mean_feature_acts(
    sae: TopKSAE,
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    *,
    position: str = "all",
    batch_size: int = 16,
    max_length: int = 256,
) -> Tensor:
    """Mean feature activations ``[d_sae]`` over texts (each text weighted equally).

    Args:
        position: ``all`` averages over a text's tokens; ``last`` takes its last token.
    """
    if position not in ("all", "last"):
        raise ValueError(f"position must be 'all' or 'last', got {position!r}")
    total = torch.zeros(sae.d_sae)
    count = 0
    for _, input_ids, acts in iter_feature_acts(
        sae, model, tokenizer, texts, batch_size=batch_size, max_length=max_length
    ):
        if not len(input_ids):
            continue
        total += acts.mean(0) if position == "all" else acts[-1]
        count += 1
    return total / max(count, 1)


def _rank(active: Tensor, baseline: Tensor, top_n: int) -> list[FeatureScore]:
    difference = active - baseline
    order = torch.argsort(difference, descending=True, stable=True)[:top_n]
    return [
        FeatureScore(int(i), float(difference[i]), float(active[i]), float(baseline[i]))
        for i in order.tolist()
    ]


def features_active_on(
    sae: TopKSAE,
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    baseline_prompts: Sequence[str] = (),
    *,
    top_n: int = 20,
    chat: bool = True,
    max_length: int = 256,
) -> list[FeatureScore]:
    """Features ranked by mean activation on ``prompts`` minus that on ``baseline_prompts``.

    Activations are averaged over each prompt's tokens, then over prompts. Without a baseline the
    ranking is by mean activation.

    Args:
        sae: The SAE.
        model: The model it was trained on.
        tokenizer: Its tokenizer.
        prompts: Prompts of interest.
        baseline_prompts: Contrast prompts.
        top_n: How many features to return.
        chat: Wrap prompts in the chat template (as user turns) first.
        max_length: Prompts are truncated to this many tokens.
    """
    wrap = (lambda p: format_chat(tokenizer, p)) if chat else (lambda p: p)
    active = mean_feature_acts(sae, model, tokenizer, [wrap(p) for p in prompts], max_length=max_length)
    baseline = (
        mean_feature_acts(sae, model, tokenizer, [wrap(p) for p in baseline_prompts], max_length=max_length)
        if baseline_prompts
        else torch.zeros(sae.d_sae)
    )
    return _rank(active, baseline, top_n)


def assistant_turn_start_features(
    sae: TopKSAE,
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    baseline_prompts: Sequence[str] = (),
    *,
    system: str | None = None,
    top_n: int = 20,
    max_length: int = 256,
) -> list[FeatureScore]:
    """Features active where the assistant's turn begins, ranked by mean activation there.

    Each prompt is formatted as a chat whose assistant turn has just been opened, and the features
    are read at its last token: the assistant role marker, from which the first response token is
    predicted. With ``baseline_prompts`` the same position's mean on them is subtracted.
    """
    texts = [format_chat(tokenizer, p, system=system) for p in prompts]
    active = mean_feature_acts(sae, model, tokenizer, texts, position="last", max_length=max_length)
    if baseline_prompts:
        base_texts = [format_chat(tokenizer, p, system=system) for p in baseline_prompts]
        baseline = mean_feature_acts(
            sae, model, tokenizer, base_texts, position="last", max_length=max_length
        )
    else:
        baseline = torch.zeros(sae.d_sae)
    return _rank(active, baseline, top_n)
