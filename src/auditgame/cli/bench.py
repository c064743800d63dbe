"""`auditgame bench ...`: benchmark auditors on games made from a built zoo."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.cli.common import console

app = typer.Typer(help="Benchmark auditors on games made from a built zoo.", no_args_is_help=True)


def _names(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [name.strip() for name in value.split(",") if name.strip()]


@app.command("auditors")
def auditors(
    zoo: Path = typer.Option(..., "--zoo", help="A built zoo (`auditgame zoo build --out DIR`)."),
    out: Path = typer.Option(
        Path("runs/bench"), "--out", help="Where games, audits, the cache and results go (re-run resumes)."
    ),
    auditor_names: str = typer.Option(
        "blind,checklist,always-clean,always-hidden",
        "--auditors",
        help="Comma-separated auditors: blind, checklist (an upper bound), always-clean, always-hidden.",
    ),
    organisms: str | None = typer.Option(
        None, "--organisms", help="Comma-separated hidden organisms of the zoo (default: all)."
    ),
    tiers: str = typer.Option("api,weights,data", "--tiers", help="Comma-separated tiers."),
    seeds: int = typer.Option(1, "--seeds", min=1, help="How many seeds (0 .. N-1): each its own games."),
    decoys: int = typer.Option(2, "--decoys", min=0, help="Decoys per organism game."),
    fp_pool: bool = typer.Option(
        True, "--fp-pool/--no-fp-pool", help="Also play every decoy in one game without an organism."
    ),
    reference_base: bool = typer.Option(
        True, "--reference-base/--no-reference-base", help="Ship the base as an ungraded reference model."
    ),
    batch_size: int = typer.Option(32, "--batch-size", min=1, help="Prompts generated per batch."),
    device: str = typer.Option("auto", "--device", help="Device of the sampled models (auto, cpu, cuda)."),
    threads: int | None = typer.Option(
        None,
        "--threads",
        min=1,
        help="Torch threads (default: torch's); 1 where other processes share the cores.",
    ),
) -> None:
    """Run every auditor on one game per zoo organism and tier (with decoys) plus a false-positive pool;
    grade; print totals with Wilson intervals and write results.json and results.csv."""
    from auditgame.bench import (
        BenchConfig,
        check_config,
        fp_pool_table,
        organism_table,
        run_auditor_bench,
        summary_table,
    )

    config = BenchConfig(
        zoo=zoo,
        out=out,
        auditors=_names(auditor_names) or [],
        organisms=_names(organisms),
        tiers=_names(tiers) or [],
        seeds=seeds,
        decoys_per_game=decoys,
        fp_pool=fp_pool,
        reference_base=reference_base,
        batch_size=batch_size,
        device=device,
        threads=threads,
    )
    check_config(config)  # bad input fails here, before anything is written
    results = run_auditor_bench(config, log=lambda line: console.print(line, markup=False, highlight=False))
    console.print(organism_table(results.records, results.auditors, results.tiers))
    console.print(summary_table(results.summary, results.tiers))
    if config.fp_pool:
        console.print(fp_pool_table(results.summary, results.tiers))
    for note in results.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    if results.upper_bound:
        console.print(
            f"{', '.join(results.upper_bound)}: an upper bound (reads the organism maker's side), never ranked "
            "as a player.",
            markup=False,
        )
    per_audit = "–" if results.seconds_per_audit is None else f"{results.seconds_per_audit:.1f} s"
    console.print(
        f"{results.audits_run} audits run, {results.audits_reused} reused, in {results.wall_seconds:.0f} s "
        f"({per_audit} per audit); cache {results.cache.get('hits', 0)} hits / {results.cache.get('misses', 0)} "
        f"misses. Wrote {out / 'results.json'} and {out / 'results.csv'}.",
        markup=False,
    )
