"""`auditgame chat`: talk to a model or organism."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.cli.common import console, resolve_model_dir


def chat(
    path: Path = typer.Argument(..., help="Organism directory (uses its final model) or model directory."),
    message: str = typer.Argument(..., help="The user's message (with --raw: the raw text to continue)."),
    system: str | None = typer.Option(None, help="System prompt."),
    prefill: str | None = typer.Option(
        None, help="Start of the assistant's answer, which the model continues."
    ),
    raw: bool = typer.Option(False, help="No chat template: continue MESSAGE as plain text."),
    samples: int = typer.Option(1, min=1, help="Number of answers to sample."),
    temperature: float = typer.Option(0.7, min=0.0, help="Sampling temperature (0 = greedy)."),
    max_new_tokens: int = typer.Option(128, min=1, help="Tokens to generate."),
    seed: int = typer.Option(0, help="Sampling seed."),
) -> None:
    """Send one message and print the answer(s)."""
    from auditgame.model.generation import GenerationConfig, generate
    from auditgame.model.loading import load_model, load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template

    model_dir = resolve_model_dir(path)
    tokenizer = ensure_chat_template(load_tokenizer(model_dir))
    model = load_model(model_dir)
    config = GenerationConfig(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)
    answers = generate(
        model, tokenizer, [message] * samples, system=system, prefill=prefill, raw=raw, config=config
    )
    for index, answer in enumerate(answers):
        if samples > 1:
            console.rule(f"sample {index + 1}")
        console.print((prefill or "") + answer, markup=False, highlight=False)
