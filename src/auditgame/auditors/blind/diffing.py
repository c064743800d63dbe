"""White-box evidence at tiers weights and data: every model's own answers scored against the reference base.

The game may ship the models' shared base before fine-tuning as the labelled reference ``reference-base``
(``game create --reference-base``). Each model's answers from the plain sampling pass, rendered as chat
texts (prompt included), are scored by the model and by the reference: per token ``log p_model -
log p_reference`` (:func:`auditgame.audit.diffing.diff_texts`), a text's score being its mean over tokens.
A model's mean over its answers says how far fine-tuning moved it on what it says; its top answers and
tokens say where. The step is evidence for whoever reads the report and changes no decision: it has not
been validated as a decision rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from auditgame.audit.diffing import TextDiff, check_same_vocab, diff_texts, rank_tokens
from auditgame.audit.probes import chat_text
from auditgame.auditors.blind.config import BlindConfig
from auditgame.auditors.tools import AuditTools
from auditgame.errors import AuditgameError
from auditgame.game.workspace import REFERENCE_BASE

PROMPT_CHARS = 160
"""Characters of a prompt quoted in the evidence."""
ANSWER_CHARS = 240
"""Characters of an answer quoted in the evidence."""
TOKENS_PER_TEXT = 5
"""Most-favoured tokens kept per reported answer."""


class Decoder(Protocol):
    """What the summary needs of a tokenizer: token ids back to text."""

    def decode(self, token_ids: list[int]) -> str:
        """The text of ``token_ids``."""
        ...


def spread_positions(domains: Sequence[str], limit: int) -> list[int]:
    """Up to ``limit`` positions of ``domains``, taken across domains in turn, in their original order.

    The first answer of every domain, then the second of every domain, and so on: a cap keeps every domain
    represented instead of the first few.
    """
    rank: dict[str, int] = {}
    keys: list[tuple[int, int]] = []
    for position, domain in enumerate(domains):
        keys.append((rank.get(domain, 0), position))
        rank[domain] = rank.get(domain, 0) + 1
    return sorted(position for _, position in sorted(keys)[:limit])


def _snippet(text: str, chars: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1] + "…"


def summarise_diffs(
    diffs: Sequence[TextDiff],
    prompts: Sequence[str],
    answers: Sequence[str],
    tokenizer: Decoder,
    *,
    top: int,
) -> dict[str, Any]:
    """One model's diffing evidence from its scored answers.

    Args:
        diffs: The scored chat texts, one per answer.
        prompts: The prompt of each answer (aligned with ``diffs``).
        answers: The answers (aligned with ``diffs``).
        tokenizer: Decodes token ids for the token rankings.
        top: Answers and tokens kept in each ranking.

    Returns:
        ``texts`` and ``tokens`` (how many were scored); ``mean_log_ratio`` (the mean over answers of each
        answer's mean per-token log-ratio) and ``token_mean_log_ratio`` (the mean over every token);
        ``top_texts`` (the highest-scored answers: prompt and answer snippets, score, favoured tokens);
        ``top_tokens`` (token types by mean log-ratio over their occurrences, at least two) and
        ``top_tokens_by_sum`` (by summed log-ratio), each with ``mean``, ``sum`` and ``count``.
    """
    scores = np.array([diff.score for diff in diffs], dtype=float)
    values = [value for diff in diffs for value in diff.differences]
    order = np.argsort(-scores, kind="stable")[:top]
    top_texts = [
        {
            "prompt": _snippet(prompts[index], PROMPT_CHARS),
            "answer": _snippet(answers[index], ANSWER_CHARS),
            "score": round(float(scores[index]), 6),
            "top_tokens": [
                [token, round(value, 6)] for token, value in diffs[index].top_tokens[:TOKENS_PER_TEXT]
            ],
        }
        for index in (int(position) for position in order)
    ]
    ranked = rank_tokens(diffs, tokenizer, min_count=1)  # type: ignore[arg-type]

    def row(token: str, mean: float, count: int) -> dict[str, Any]:
        return {"token": token, "mean": round(mean, 6), "sum": round(mean * count, 6), "count": count}

    by_mean = [row(*item) for item in ranked if item[2] >= 2][:top]
    by_sum = [row(*item) for item in sorted(ranked, key=lambda item: -item[1] * item[2])[:top]]
    return {
        "texts": len(diffs),
        "tokens": len(values),
        "mean_log_ratio": round(float(scores.mean()), 6) if len(scores) else 0.0,
        "token_mean_log_ratio": round(float(np.mean(values)), 6) if values else 0.0,
        "top_texts": top_texts,
        "top_tokens": by_mean,
        "top_tokens_by_sum": by_sum,
    }


def skip_reason(tools: AuditTools, config: BlindConfig) -> str | None:
    """Why the diffing step cannot run on this workspace (``None`` when it can)."""
    workspace = tools.workspace
    if not config.diffing:
        return "turned off (diffing=False)"
    if not workspace.grants_access("weights"):
        return f"the {workspace.tier} tier grants no weights"
    if REFERENCE_BASE not in workspace.references:
        return f"the game ships no reference base model ({REFERENCE_BASE}; game create --reference-base)"
    return None


def diff_against_reference(
    tools: AuditTools,
    models: Sequence[str],
    prompts: Sequence[str],
    domains: Sequence[str],
    answers: Mapping[str, Sequence[str]],
    config: BlindConfig,
    say: Callable[[str], Any],
) -> dict[str, Any]:
    """Score every model's own answers against the reference base (tiers weights and data).

    Args:
        tools: The audit's tools (their workspace, and the weights they load).
        models: The graded models.
        prompts: The public prompts of the plain pass.
        domains: The domain of each prompt.
        answers: Per model, its plain answer to each prompt (already sampled: nothing is generated here).
        config: ``diffing``, ``diffing_texts`` and ``diffing_top``.
        say: Where the progress lines go.

    Returns:
        ``{"skipped": reason}`` when the step cannot run; else ``reference``, ``texts_per_model`` and
        ``models``: per model :func:`summarise_diffs`'s evidence, or ``{"skipped": reason}`` for a model
        without weights or whose vocabulary differs from the reference's. The step is evidence only, so
        weights it cannot read skip it (with the reason) instead of failing the audit.
    """
    reason = skip_reason(tools, config)
    if reason is not None:
        say(f"diffing skipped: {reason}")
        return {"skipped": reason}
    try:
        return _diff_models(tools, models, prompts, domains, answers, config, say)
    finally:
        tools.release_weights()


def _diff_models(
    tools: AuditTools,
    models: Sequence[str],
    prompts: Sequence[str],
    domains: Sequence[str],
    answers: Mapping[str, Sequence[str]],
    config: BlindConfig,
    say: Callable[[str], Any],
) -> dict[str, Any]:
    try:
        reference, reference_tokenizer = tools.load_weights(REFERENCE_BASE)
    except AuditgameError as error:
        say(f"diffing skipped: {error.problem}")
        return {"skipped": error.problem}
    chosen = spread_positions(domains, config.diffing_texts)
    result: dict[str, Any] = {"reference": REFERENCE_BASE, "texts_per_model": len(chosen), "models": {}}
    for model in models:
        try:
            network, tokenizer = tools.load_weights(model)
            check_same_vocab(network, reference, tokenizer, reference_tokenizer)
        except AuditgameError as error:  # a model without weights, or with another vocabulary
            result["models"][model] = {"skipped": error.problem}
            say(f"diffing {model}: skipped, {error.problem}")
            continue
        chosen_prompts = [prompts[index] for index in chosen]
        chosen_answers = [answers[model][index] for index in chosen]
        texts = [
            chat_text(tokenizer, prompt, answer)
            for prompt, answer in zip(chosen_prompts, chosen_answers, strict=True)
        ]
        diffs = diff_texts(network, reference, tokenizer, texts, top_k=TOKENS_PER_TEXT)
        entry = summarise_diffs(diffs, chosen_prompts, chosen_answers, tokenizer, top=config.diffing_top)
        result["models"][model] = entry
        say(
            f"diffing {model} against {REFERENCE_BASE}: mean log-ratio {entry['mean_log_ratio']:+.4f} "
            f"over {entry['texts']} answers"
        )
    return result


def render_diffing(diffing: Mapping[str, Any]) -> list[str]:
    """The report's section on the diffing step (Markdown lines)."""
    if not diffing:
        return []
    lines = ["## White-box: model diffing against the reference base", ""]
    if "skipped" in diffing:
        return [*lines, f"Skipped: {diffing['skipped']}.", ""]
    lines += [
        f"Each model's own answers to {diffing['texts_per_model']} public prompts, as chat texts, scored per "
        f"token by log p(model) − log p({diffing['reference']}); an answer's score is its mean over tokens. "
        "Evidence only: it changes no decision (it has not been validated as a decision rule).",
        "",
    ]
    for model, entry in sorted(diffing["models"].items()):
        if "skipped" in entry:
            lines += [f"### {model}: skipped ({entry['skipped']})", ""]
            continue
        lines += [
            f"### {model}: mean log-ratio {entry['mean_log_ratio']:+.4f} over {entry['texts']} answers "
            f"({entry['token_mean_log_ratio']:+.4f} per token over {entry['tokens']} tokens)",
            "",
            "Answers it favours most over the reference:",
            "",
        ]
        for rank, item in enumerate(entry["top_texts"], 1):
            lines.append(f'{rank}. ({item["score"]:+.3f}) "{item["prompt"]}" → "{item["answer"]}"')
        lines.append("")
        for title, key, value in (
            ("by mean log-ratio (≥ 2 occurrences)", "top_tokens", "mean"),
            ("by summed log-ratio", "top_tokens_by_sum", "sum"),
        ):
            tokens = ", ".join(
                f"{item['token']!r} {item[value]:+.3f} ×{item['count']}" for item in entry[key]
            )
            lines += [f"Tokens {title}: {tokens or 'none'}", ""]
    return lines
