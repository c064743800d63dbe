"""`auditgame chat`: talk to a model or organism."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.cli.common import console, resolve_model_dir, warn_if_changed


def chat(
    path: Path = typer.Argument(..., help="Organism directory (uses its final model) or model directory."),
    message: str = typer.Argument(..., help="The user's message (with --raw: the raw text to continue)."),
    system: str | None = typer.Option(None, help="System prompt."),
    prefill: str | None = typer.Option(
        None, help="Start of the assistant's answer, which the model continues."
    ),
    raw: bool = typer.Option(False, help="No chat template: continue MESSAGE as plain text."),
    samples: int = typer.Option(1, help="Number of answers to sample (1 to 16, as the game server allows)."),
    temperature: float = typer.Option(0.7, min=0.0, help="Sampling temperature (0 = greedy)."),
    max_new_tokens: int = typer.Option(
        128,
        help="Tokens to generate (1 to 1024, as the game server allows; prompt + answer must fit the context).",
    ),
    seed: int = typer.Option(0, help="Sampling seed."),
) -> None:
    """Send one message and print the answer(s)."""
    from auditgame.model.generation import GenerationConfig, format_chat, generate
    from auditgame.model.limits import (
        MAX_NEW_TOKENS,
        MAX_SAMPLES,
        check_count,
        check_prompt_fits,
        check_text,
        context_length,
        count_prompt_tokens,
    )
    from auditgame.model.loading import load_config, load_model, load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template

    # Refuse bad requests before the (slow) model load, with the game server's limits.
    check_count(max_new_tokens, "--max-new-tokens", MAX_NEW_TOKENS)
    check_count(samples, "--samples", MAX_SAMPLES)
    check_text(message, "the message")
    for name, value in (("--system", system), ("--prefill", prefill)):
        if value is not None:
            check_text(value, name)
    model_dir = resolve_model_dir(path)
    warn_if_changed(model_dir)
    tokenizer = ensure_chat_template(load_tokenizer(model_dir))
    text = format_chat(tokenizer, message, system=system, prefill=prefill, raw=raw)
    context = context_length(load_config(model_dir))  # checked before the (slow) weights load
    check_prompt_fits(count_prompt_tokens(tokenizer, text), max_new_tokens, context, name="--max-new-tokens")
    model = load_model(model_dir)
    config = GenerationConfig(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)
    answers = generate(
        model, tokenizer, [message] * samples, system=system, prefill=prefill, raw=raw, config=config
    )
    for index, answer in enumerate(answers):
        if samples > 1:
            console.rule(f"sample {index + 1}")
        console.print((prefill or "") + answer, markup=False, highlight=False)
