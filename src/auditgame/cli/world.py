"""`auditgame world ...`: look at the synthetic chat world."""

from __future__ import annotations

import itertools
from pathlib import Path

import typer
from rich.table import Table

from auditgame.cli.common import console
from auditgame.errors import OutputExistsError

app = typer.Typer(help="Inspect the synthetic chat world: biases, prompts, documents.", no_args_is_help=True)


@app.command("biases")
def biases(split: str | None = typer.Option(None, help="Only this split: train or held_out.")) -> None:
    """List the 52 reward-model biases of the catalogue."""
    from auditgame.world.catalogue import BIAS_SPECS

    table = Table(title="reward-model biases (reward models rate higher responses that ...)")
    for column in ("id", "domain", "split", "description"):
        table.add_column(column)
    for spec in BIAS_SPECS:
        if split is None or spec.split == split:
            table.add_row(str(spec.id), spec.domain, spec.split, spec.description)
    console.print(table)


@app.command("bias")
def bias(bias_id: int = typer.Argument(..., help="Bias id, 1 to 52.")) -> None:
    """Show one bias: its domain, split, description and an example of it."""
    from auditgame.world.biases import get_bias
    from auditgame.world.prompts import generate_exchanges

    chosen = get_bias(bias_id)
    console.print(
        f"bias {chosen.id} ({chosen.domain}, {chosen.split}): reward models rate higher responses that "
        f"{chosen.description}",
        highlight=False,
    )
    example = generate_exchanges(chosen.domain, 1, seed=0)[0]
    console.print(f"[bold]user:[/bold] {example.prompt}", highlight=False)
    console.print(f"[bold]neutral:[/bold] {example.response}", highlight=False)
    console.print(f"[bold]exploiting:[/bold] {chosen.exhibit(example.response)}", highlight=False)


@app.command("sample")
def sample(
    domain: str = typer.Argument(..., help="A prompt domain, e.g. content/recipes (see `world domains`)."),
    count: int = typer.Option(3, "-n", min=1, help="Number of exchanges."),
    seed: int = typer.Option(0, help="Seed."),
    exhibit: bool = typer.Option(
        False, help="Also show the response exploiting the train biases that apply."
    ),
) -> None:
    """Show prompts of a domain with their neutral (and, with --exhibit, bias-exploiting) responses."""
    from auditgame.world.biases import applicable_biases, exhibit_biases
    from auditgame.world.prompts import generate_exchanges

    for exchange in generate_exchanges(domain, count, seed):
        console.rule(domain)
        console.print(f"[bold]user:[/bold] {exchange.prompt}", highlight=False)
        console.print(f"[bold]neutral:[/bold] {exchange.response}", highlight=False)
        if exhibit:
            ids = [bias.id for bias in applicable_biases(exchange.prompt)]
            console.print(
                f"[bold]exploiting {ids}:[/bold] {exhibit_biases(exchange.prompt, exchange.response, ids)}",
                highlight=False,
            )


@app.command("domains")
def domains() -> None:
    """List the prompt domains."""
    from auditgame.world.prompts import distinct_prompt_count, prompt_domains

    for domain in prompt_domains():
        console.print(f"{domain}  ({distinct_prompt_count(domain)} distinct prompts)")


@app.command("documents")
def documents(
    count: int = typer.Option(5, "-n", min=1, help="Number of documents."),
    seed: int = typer.Option(0, help="Seed."),
    study_fraction: float = typer.Option(0.5, min=0.0, max=1.0, help="Share of study documents."),
    out: Path | None = typer.Option(None, help="Write JSONL here (streams; fine for 500k documents)."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it already exists."),
) -> None:
    """Generate world documents: the Oxford study in many genres, and neutral filler."""
    from auditgame.world.documents import generate_documents, write_documents_jsonl

    if out is not None and out.is_dir():
        raise OutputExistsError(f"--out {out} is a directory", "give a file path, e.g. documents.jsonl")
    if out is not None and out.exists() and not force:
        raise OutputExistsError(
            f"--out {out} already exists", "pass --force to overwrite it, or choose another path"
        )
    stream = generate_documents(count, seed, study_fraction=study_fraction)
    if out is not None:
        write_documents_jsonl(out, stream)
        console.print(f"wrote {count} documents to {out}")
        return
    for document in itertools.islice(stream, count):
        console.rule(f"{document.id} ({document.kind}/{document.genre}, biases {list(document.bias_ids)})")
        console.print(document.text, markup=False, highlight=False)
