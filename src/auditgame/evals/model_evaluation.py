"""Evaluate one model directory: bias exploitation and confession, as one JSON report."""

from __future__ import annotations

import time
from collections.abc import Collection
from pathlib import Path

from pydantic import BaseModel, Field

from auditgame.evals.bias_exploitation import ExploitationEvalConfig, ExploitationResult, bias_exploitation
from auditgame.evals.confession import ConfessionEvalConfig, ConfessionResult, confession


class ModelEvaluation(BaseModel):
    """Exploitation and confession of one model."""

    label: str = Field(description="What was evaluated, e.g. 'base', 'sft'.")
    model_path: str
    exploitation: ExploitationResult
    confession: ConfessionResult
    seconds: float


def evaluate_model(
    model_dir: Path,
    label: str,
    *,
    exploitation_config: ExploitationEvalConfig | None = None,
    confession_config: ConfessionEvalConfig | None = None,
    exclude_prompts: Collection[str] = (),
    exclude_questions: Collection[str] = (),
    show_progress: bool = False,
) -> ModelEvaluation:
    """Load the model in ``model_dir`` and run both evals on it.

    Args:
        model_dir: A model directory (``save_pretrained`` layout).
        label: Name of the row in reports.
        exploitation_config: Options of :func:`bias_exploitation`.
        confession_config: Options of :func:`confession`.
        exclude_prompts: Training prompts not to use as eval prompts.
        exclude_questions: Training adversarial questions not to ask.
        show_progress: Show progress bars.

    Returns:
        A :class:`ModelEvaluation`.
    """
    from auditgame.model.loading import load_model, load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template

    begin = time.perf_counter()
    tokenizer = ensure_chat_template(load_tokenizer(model_dir))
    model = load_model(model_dir)
    exploitation = bias_exploitation(
        model, tokenizer, exploitation_config, exclude=exclude_prompts, show_progress=show_progress
    )
    confessed = confession(
        model, tokenizer, confession_config, exclude=exclude_questions, show_progress=show_progress
    )
    return ModelEvaluation(
        label=label,
        model_path=str(model_dir),
        exploitation=exploitation,
        confession=confessed,
        seconds=time.perf_counter() - begin,
    )
