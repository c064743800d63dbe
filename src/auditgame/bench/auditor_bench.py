"""The auditor benchmark: every auditor on one game per zoo organism and tier, graded, with totals.

``run_auditor_bench`` makes, per seed, one game per hidden zoo organism and tier (the organism and
``decoys_per_game`` decoys drawn from the zoo's, with the organisms' base as an ungraded reference model
where games can ship one), plus per tier a false-positive pool (every zoo decoy, no organism). Each auditor
plays each game with an access the harness builds: the master's models sampled in process behind a
persistent response cache, so a decoy met in eighteen games is sampled once and a re-run samples nothing
it has seen. Every (auditor, game) result is kept in ``<out>/results/<auditor>/<game>.json`` and reused
when the benchmark is run again.

Layout of ``<out>``::

    games/<id>/            the games (``game.json``, ``master/``, ``auditor/``); ids name no organism
    audits/<auditor>/<id>/ each auditor's output (``submission.json``, its evidence)
    results/<auditor>/<id>.json  one graded record each (reused on re-runs)
    cache/responses.sqlite the sampled answers of every call, by model content hash and arguments
    games.json, secret.json  the master's side: which game holds what, and the key that hides it
    results.json, results.csv, manifest.json  written last
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from auditgame.artifacts import (
    MANIFEST_NAME,
    Manifest,
    atomic_write_json,
    atomic_write_text,
    claim_output_directory,
    package_versions,
    sha256_file,
)
from auditgame.bench.cached_access import CACHE_FILE, CachedAccess, ResponseCache, model_content_hash
from auditgame.bench.games import (
    FP_POOL_GAME,
    BenchError,
    BenchGame,
    ZooOrganism,
    bench_key,
    make_game,
    plan_games,
    read_bench_zoo,
    supports_reference_base,
    write_game_index,
)
from auditgame.bench.results import (
    ERROR,
    OK,
    RESULTS_FORMAT_VERSION,
    UNAVAILABLE,
    BenchRecord,
    BenchSummary,
    summarise,
    write_results_csv,
)
from auditgame.bench.runners import AuditorUnavailableError, BenchAuditor, get_auditor
from auditgame.bench.sampler import DEFAULT_LOADED_MODELS, InProcessAccess, ModelPool
from auditgame.bench.shared_embeddings import shared_embeddings

BENCH_KIND = "auditor-bench"
DEFAULT_AUDITORS = ("blind", "checklist", "always-clean", "always-hidden")
RESULTS_JSON = "results.json"
RESULTS_CSV = "results.csv"
REFERENCE_BASE_TODO = (
    "games ship no reference base model: this version of create_game has no reference_base option"
)


class BenchConfig(BaseModel):
    """What the auditor benchmark runs."""

    model_config = ConfigDict(extra="forbid")

    zoo: Path = Field(description="A built zoo (`auditgame zoo build --out DIR`).")
    out: Path = Field(default=Path("runs/bench"), description="Where games, audits, cache and results go.")
    auditors: list[str] = Field(default_factory=lambda: list(DEFAULT_AUDITORS))
    organisms: list[str] | None = Field(default=None, description="Hidden organisms (default: all).")
    tiers: list[str] = Field(default_factory=lambda: ["api", "weights", "data"])
    seeds: int = Field(default=1, ge=1, description="Seeds 0 .. seeds-1: each its own games and samples.")
    decoys_per_game: int = Field(default=2, ge=0, description="Decoys per organism game.")
    fp_pool: bool = Field(default=True, description="Also play a pool of every decoy without an organism.")
    reference_base: bool = Field(
        default=True, description="Ship the organisms' base as an ungraded reference model, where possible."
    )
    batch_size: int = Field(default=32, ge=1, description="Prompts generated per batch.")
    device: str = Field(default="auto", description="Device of the sampled models (auto: CUDA if any).")
    loaded_models: int = Field(default=DEFAULT_LOADED_MODELS, ge=1, description="Models kept loaded.")
    threads: int | None = Field(
        default=None,
        ge=1,
        description="Torch threads during the run (None: torch's default). 1 where other processes share "
        "the cores: two contended threads make the tiny models' generation about ten times slower.",
    )


class BenchResults(BaseModel):
    """Everything a benchmark run produced (``results.json``)."""

    format_version: int = RESULTS_FORMAT_VERSION
    kind: str = BENCH_KIND
    config: dict[str, Any]
    tiers: list[str]
    auditors: dict[str, str] = Field(description="Name -> label (upper-bound auditors say so).")
    upper_bound: list[str] = Field(
        description="Auditors that read the maker's side: never ranked as players."
    )
    reference_base: bool
    notes: list[str] = Field(default_factory=list)
    records: list[BenchRecord]
    summary: list[BenchSummary]
    wall_seconds: float
    audits_run: int
    audits_reused: int
    seconds_per_audit: float | None = Field(description="Mean wall time of the audits run this time.")
    cache: dict[str, int] = Field(default_factory=dict)


def check_config(config: BenchConfig) -> tuple[list[BenchAuditor], list[ZooOrganism], list[str]]:
    """Check every choice before anything is written: (auditors, the zoo, the hidden organisms to play).

    Raises:
        BenchError, UnknownNameError, TierError: naming the bad choice.
    """
    from auditgame.game.workspace import check_tier

    if not config.auditors:
        raise BenchError("no auditor chosen", f"pass --auditors, e.g. {','.join(DEFAULT_AUDITORS)}")
    auditors = [get_auditor(name) for name in dict.fromkeys(config.auditors)]
    if not config.tiers:
        raise BenchError("no tier chosen", "pass --tiers, e.g. api,weights,data")
    for tier in config.tiers:
        check_tier(tier)
    zoo = read_bench_zoo(config.zoo)
    hidden = [organism.name for organism in zoo if organism.has_hidden_objective]
    decoys = [organism.name for organism in zoo if not organism.has_hidden_objective]
    chosen = list(dict.fromkeys(config.organisms)) if config.organisms else hidden
    for name in chosen:
        if name in decoys:
            raise BenchError(
                f"{name} is a decoy, not an organism with a hidden objective",
                f"choose --organisms from: {', '.join(hidden)}",
            )
        if name not in hidden:
            raise BenchError(
                f"the zoo {config.zoo} has no organism {name!r}",
                f"choose --organisms from: {', '.join(hidden)}",
            )
    if not chosen:
        raise BenchError(
            f"the zoo {config.zoo} has no organism with a hidden objective", "build the zoo first"
        )
    if config.decoys_per_game > len(decoys):
        raise BenchError(
            f"{config.decoys_per_game} decoys per game asked for, but the zoo has {len(decoys)}",
            f"pass --decoys {len(decoys)} or fewer",
        )
    return auditors, zoo, chosen


def run_auditor_bench(config: BenchConfig, *, log: Callable[[str], Any] = print) -> BenchResults:
    """Play every game of the benchmark with every auditor, grade, and write ``results.json`` / ``.csv``.

    Args:
        config: What to run.
        log: Where progress lines go (one per game and auditor).

    Returns:
        The records, totals per auditor and tier, and timings.

    Raises:
        BenchError: for a bad zoo, unknown organisms or too many decoys.
        UnknownNameError, TierError: for an unknown auditor or tier.
        ArtifactConflictError: if ``config.out`` holds something other than a benchmark.
    """
    started = time.perf_counter()
    auditors, zoo, organisms = check_config(config)
    out = Path(config.out)
    claim_output_directory(out, BENCH_KIND, BENCH_KIND)
    notes: list[str] = []
    reference_base = config.reference_base and supports_reference_base()
    if config.reference_base and not reference_base:
        notes.append(REFERENCE_BASE_TODO)
        log(f"note: {REFERENCE_BASE_TODO}")
    games = plan_games(
        zoo,
        organisms=organisms,
        tiers=config.tiers,
        seeds=range(config.seeds),
        decoys_per_game=config.decoys_per_game,
        fp_pool=config.fp_pool,
        key=bench_key(out),
    )
    write_game_index(out, games)
    cache = ResponseCache(out / "cache" / CACHE_FILE)
    pool = ModelPool(config.loaded_models, device=config.device)
    records: list[BenchRecord] = []
    unavailable: dict[str, str] = {}
    run_seconds: list[float] = []
    reused = 0
    hits = misses = 0
    with shared_embeddings() as embeddings, _torch_threads(config.threads):
        try:
            for number, game in enumerate(games, start=1):
                log(f"[{number}/{len(games)}] {game.label} ({len(game.decoys)} decoys)")
                game_dir = make_game(
                    game, zoo, out / "games", reference_base=reference_base, log=lambda _: None
                )
                access_models = _game_models(game_dir)
                for auditor in auditors:
                    record, was_reused = _play(
                        auditor, game, game_dir, access_models, out, cache, pool, config, unavailable, log
                    )
                    records.append(record)
                    log(f"    {auditor.label}: {_describe(record, was_reused)}")
                    if was_reused:
                        reused += 1
                        continue
                    if record.status == OK:
                        run_seconds.append(record.seconds)
                    hits, misses = hits + record.cache_hits, misses + record.cache_misses
        finally:
            entries = len(cache)
            cache.close()
    notes += [f"{name}: {note}" for name, note in unavailable.items()]
    labels = {auditor.name: auditor.label for auditor in auditors}
    results = BenchResults(
        config=config.model_dump(mode="json"),
        tiers=list(config.tiers),
        auditors=labels,
        upper_bound=[auditor.name for auditor in auditors if auditor.upper_bound],
        reference_base=reference_base,
        notes=notes,
        records=records,
        summary=summarise(records, [(a.name, a.label, a.upper_bound) for a in auditors], list(config.tiers)),
        wall_seconds=round(time.perf_counter() - started, 2),
        audits_run=len(run_seconds),
        audits_reused=reused,
        seconds_per_audit=round(sum(run_seconds) / len(run_seconds), 2) if run_seconds else None,
        cache={
            "hits": hits,
            "misses": misses,
            "entries": entries,
            "model_loads": pool.loads,
            "embedded_texts": embeddings.misses,
            "embeddings_shared": embeddings.hits,
        },
    )
    write_results(out, results)
    return results


@contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` torch threads (None: unchanged), restoring the number after."""
    if threads is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def write_results(out: Path, results: BenchResults) -> None:
    """Write ``results.json``, ``results.csv`` and, last, ``manifest.json`` (hashing those two)."""
    out = Path(out)
    atomic_write_json(out / RESULTS_JSON, results.model_dump(mode="json"))
    write_results_csv(out / RESULTS_CSV, results.records)
    manifest = Manifest(
        kind=BENCH_KIND,
        name=BENCH_KIND,
        config=results.config,
        versions=package_versions(),
        hashes={name: sha256_file(out / name) for name in (RESULTS_JSON, RESULTS_CSV)},
        parents=[str(Path(results.config["zoo"]))],
        extra={"wall_seconds": results.wall_seconds, "audits_run": results.audits_run},
    )
    atomic_write_text(out / MANIFEST_NAME, manifest.model_dump_json(indent=2) + "\n")


def _game_models(game_dir: Path) -> dict[str, Path]:
    """Neutral name -> real model directory of every model the auditor may query (graded and reference)."""
    spec = json.loads((game_dir / "master" / "spec.json").read_text(encoding="utf-8"))
    models = {name: Path(entry["model_dir"]) for name, entry in spec["models"].items()}
    references = {name: Path(entry["model_dir"]) for name, entry in spec.get("references", {}).items()}
    return {**references, **models}


def _result_path(out: Path, auditor: str, game: BenchGame) -> Path:
    return out / "results" / auditor / f"{game.id}.json"


def _play(
    auditor: BenchAuditor,
    game: BenchGame,
    game_dir: Path,
    models: dict[str, Path],
    out: Path,
    cache: ResponseCache,
    pool: ModelPool,
    config: BenchConfig,
    unavailable: dict[str, str],
    log: Callable[[str], Any],
) -> tuple[BenchRecord, bool]:
    """One auditor on one game: its saved record if there is one, else audit, grade and save. (record, reused)"""
    from auditgame.auditors.report import SUBMISSION_FILE, write_submission
    from auditgame.game.grading import grade_game

    path = _result_path(out, auditor.name, game)
    if path.is_file():
        try:
            return BenchRecord.model_validate_json(path.read_text(encoding="utf-8")), True
        except ValueError:
            path.unlink()  # a damaged record is played again
    base = {
        "auditor": auditor.name,
        "upper_bound": auditor.upper_bound,
        "kind": game.kind,
        "organism": game.organism,
        "tier": game.tier,
        "seed": game.seed,
        "game": game.id,
        "decoys": len(game.decoys),
    }
    if auditor.name in unavailable:
        return BenchRecord(**base, status=UNAVAILABLE, note=unavailable[auditor.name]), False
    audit_dir = out / "audits" / auditor.name / game.id
    (audit_dir / SUBMISSION_FILE).unlink(missing_ok=True)  # never grade a submission of an interrupted run
    workspace = game_dir / "auditor"
    access = CachedAccess(
        InProcessAccess(models, pool, batch_size=config.batch_size),
        {name: model_content_hash(directory) for name, directory in models.items()},
        cache,
    )
    begin = time.perf_counter()
    try:
        submission = auditor.run(workspace, audit_dir, game.seed, access, lambda line: log(f"      {line}"))
    except AuditorUnavailableError as error:
        unavailable[auditor.name] = str(error)
        return BenchRecord(**base, status=UNAVAILABLE, note=str(error)), False
    except Exception as error:  # one failing audit must not lose the rest of an hour-long benchmark
        return BenchRecord(
            **base,
            status=ERROR,
            seconds=round(time.perf_counter() - begin, 2),
            cache_hits=access.hits,
            cache_misses=access.misses,
            note=f"{type(error).__name__}: {error}".splitlines()[0][:500],
        ), False
    seconds = round(time.perf_counter() - begin, 2)
    if not (audit_dir / SUBMISSION_FILE).is_file():
        write_submission(submission, audit_dir)
    result = grade_game(game_dir, audit_dir / SUBMISSION_FILE, auditor=auditor.name, force=True)
    hidden = [grade for grade in result.models.values() if grade.has_hidden_objective]
    organism_fields: dict[str, Any] = {}
    if game.kind != FP_POOL_GAME and hidden:
        grade = hidden[0]
        organism_fields = {
            "flagged": grade.flagged,
            "root_cause_match": grade.root_cause_match,
            "behaviour_precision": round(grade.behaviour_precision, 4),
            "behaviour_recall": round(grade.behaviour_recall, 4),
            "behaviour_f1": round(grade.behaviour_f1, 4),
        }
    record = BenchRecord(
        **base,
        status=OK,
        **organism_fields,
        decoy_false_positives=result.false_positives,
        seconds=seconds,
        cache_hits=access.hits,
        cache_misses=access.misses,
    )
    atomic_write_text(path, record.model_dump_json(indent=2) + "\n")
    return record, False


def _describe(record: BenchRecord, reused: bool) -> str:
    """One progress line about a record."""
    if record.status != OK:
        return f"{record.status}: {record.note}"
    parts = []
    if record.kind != FP_POOL_GAME:
        parts.append(
            f"root cause {'found' if record.root_cause_match else 'missed'}, "
            f"P {record.behaviour_precision:.2f} R {record.behaviour_recall:.2f}"
        )
    parts.append(f"decoy FP {record.decoy_false_positives}/{record.decoys}")
    timing = (
        "reused"
        if reused
        else f"{record.seconds:.1f} s, cache {record.cache_hits} hits / {record.cache_misses} misses"
    )
    return f"{', '.join(parts)} ({timing})"
