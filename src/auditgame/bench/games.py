"""The benchmark's games: one per hidden zoo organism, tier and seed (with decoys), plus a false-positive pool.

Every game reuses the zoo's built organisms (nothing is built). Its directory and its 256-bit game secret
are derived from a random key kept in ``<out>/secret.json`` (the master's side), so neither a workspace
path nor a commitment gives away which organism a game holds, and a rerun finds the same games again;
the decoys of a game are drawn from the zoo's decoys by the public seed alone, so the same seeds pit
every organism against the same decoys in every run. ``<out>/games.json`` (also the master's) says which game is which.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditgame.artifacts import atomic_write_json
from auditgame.errors import AuditgameError

ORGANISM_GAME = "organism"
FP_POOL_GAME = "fp-pool"
GAME_NAME = "auditor-bench"
"""The public name of every benchmark game (the same for all, so it names no organism)."""
SECRET_FILE = "secret.json"
GAMES_FILE = "games.json"


class BenchError(AuditgameError):
    """Benchmark input that cannot be used: a zoo that is not there, unknown auditors, tiers or organisms."""


@dataclass(frozen=True)
class ZooOrganism:
    """One built organism of the zoo.

    Attributes:
        name: Its recipe name.
        directory: Its built organism directory.
        has_hidden_objective: False for decoys.
        took: Whether its behaviour took (the zoo table's verdict).
    """

    name: str
    directory: Path
    has_hidden_objective: bool
    took: bool = True


@dataclass(frozen=True)
class BenchGame:
    """One game of the benchmark.

    Attributes:
        id: Its directory name under ``<out>/games`` (names no organism).
        kind: ``organism`` (one hidden organism and its decoys) or ``fp-pool`` (decoys only).
        organism: The hidden organism (empty for the false-positive pool).
        tier: ``api``, ``weights`` or ``data``.
        seed: The public benchmark seed (decoy draw and the auditors' seed).
        decoys: The decoy recipes in the game.
        game_secret: The secret of ``create_game`` (names and salts), derived from the benchmark key.
    """

    id: str
    kind: str
    organism: str
    tier: str
    seed: int
    decoys: tuple[str, ...]
    game_secret: bytes = field(repr=False)

    @property
    def label(self) -> str:
        """``<organism or fp-pool> / <tier> / seed <seed>`` (the master's view, for progress lines)."""
        return f"{self.organism or FP_POOL_GAME} / {self.tier} / seed {self.seed}"


def read_bench_zoo(zoo_dir: Path) -> list[ZooOrganism]:
    """The organisms of a built zoo: ``zoo.json``'s rows, each in ``<zoo>/<name>``.

    Raises:
        BenchError: if ``zoo_dir`` is not a built zoo or a listed organism's directory is missing.
    """
    zoo_dir = Path(zoo_dir)
    fix = "pass --zoo a directory written by `auditgame zoo build --out DIR` (it holds zoo.json)"
    table = zoo_dir / "zoo.json"
    if not zoo_dir.is_dir():
        raise BenchError(f"the zoo {zoo_dir} does not exist", fix)
    try:
        rows = json.loads(table.read_text(encoding="utf-8"))
        organisms = [
            ZooOrganism(
                name=str(row["organism"]),
                directory=zoo_dir / str(row["organism"]),
                has_hidden_objective=bool(row["has_hidden_objective"]),
                took=bool(row.get("took", True)),
            )
            for row in rows
        ]
    except FileNotFoundError:
        raise BenchError(f"{zoo_dir} holds no zoo.json, so it is not a built zoo", fix) from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BenchError(f"{table} is not a zoo table", fix) from None
    missing = [organism.name for organism in organisms if not organism.directory.is_dir()]
    if missing:
        raise BenchError(
            f"the zoo {zoo_dir} lists organisms that are not built there: {', '.join(missing)}",
            f"build them with `auditgame zoo build --out {zoo_dir}`",
        )
    if not organisms:
        raise BenchError(f"the zoo {zoo_dir} lists no organism", fix)
    return sorted(organisms, key=lambda organism: organism.name)


def bench_key(out_dir: Path) -> bytes:
    """The benchmark's secret key, created once in ``<out>/secret.json``."""
    path = Path(out_dir) / SECRET_FILE
    if path.is_file():
        try:
            return bytes.fromhex(json.loads(path.read_text(encoding="utf-8"))["key"])
        except (ValueError, KeyError, TypeError):
            raise BenchError(
                f"{path} is not a benchmark secret", "restore it, or use a fresh --out directory"
            ) from None
    key = secrets.token_bytes(32)
    atomic_write_json(path, {"key": key.hex()})
    return key


def _derive(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def draw_decoys(decoys: Sequence[str], count: int, organism: str, seed: int) -> tuple[str, ...]:
    """``count`` of ``decoys`` drawn by ``organism`` and the public ``seed`` (every decoy for a pool).

    Raises:
        BenchError: if the zoo has fewer than ``count`` decoys.
    """
    pool = sorted(decoys)
    if count > len(pool):
        raise BenchError(
            f"{count} decoys per game asked for, but the zoo has {len(pool)}",
            f"pass --decoys {len(pool)} or fewer, or build more decoys",
        )
    return tuple(sorted(random.Random(f"auditor-bench:decoys:{organism}:{seed}").sample(pool, count)))


def plan_games(
    zoo: Sequence[ZooOrganism],
    *,
    organisms: Sequence[str],
    tiers: Sequence[str],
    seeds: Sequence[int],
    decoys_per_game: int,
    fp_pool: bool,
    key: bytes,
) -> list[BenchGame]:
    """Every game of the benchmark, in the order they are played: per seed, per organism, per tier
    (so one organism's tiers follow each other and share their samples), then the false-positive pools.
    """
    decoys = [organism.name for organism in zoo if not organism.has_hidden_objective]
    games = []

    def game(kind: str, organism: str, tier: str, seed: int, chosen: tuple[str, ...]) -> BenchGame:
        digest = _derive(key, f"game:{kind}:{organism}:{tier}:{seed}")
        return BenchGame(
            id=f"{tier}-seed{seed}-{digest[:12]}",
            kind=kind,
            organism=organism,
            tier=tier,
            seed=seed,
            decoys=chosen,
            # The whole HMAC, not a number cut from it: the benchmark key is random, so is the secret.
            game_secret=bytes.fromhex(_derive(key, f"secret:{kind}:{organism}:{tier}:{seed}")),
        )

    for seed in seeds:
        for organism in organisms:
            chosen = draw_decoys(decoys, decoys_per_game, organism, seed)
            games.extend(game(ORGANISM_GAME, organism, tier, seed, chosen) for tier in tiers)
    if fp_pool and decoys:
        for seed in seeds:
            games.extend(game(FP_POOL_GAME, "", tier, seed, tuple(sorted(decoys))) for tier in tiers)
    return games


def write_game_index(out_dir: Path, games: Sequence[BenchGame]) -> None:
    """``<out>/games.json``: which game holds what (the master's side)."""
    atomic_write_json(
        Path(out_dir) / GAMES_FILE,
        [
            {
                "id": game.id,
                "kind": game.kind,
                "organism": game.organism,
                "tier": game.tier,
                "seed": game.seed,
                "decoys": list(game.decoys),
            }
            for game in games
        ],
    )


def supports_reference_base() -> bool:
    """Whether :func:`~auditgame.game.create.create_game` can ship the organisms' base as a reference model."""
    from auditgame.game.create import create_game

    return "reference_base" in inspect.signature(create_game).parameters


def make_game(
    game: BenchGame,
    zoo: Sequence[ZooOrganism],
    games_dir: Path,
    *,
    reference_base: bool,
    log: Callable[[str], Any],
) -> Path:
    """Create (or find again) the game ``game`` in ``<games_dir>/<id>`` from the zoo's built organisms."""
    from auditgame.game.create import create_game

    directories = {organism.name: organism.directory for organism in zoo}
    options: dict[str, Any] = {"reference_base": True} if reference_base else {}
    return create_game(
        Path(games_dir) / game.id,
        organism=game.organism or None,
        decoy_names=list(game.decoys),
        tier=game.tier,
        secret=game.game_secret,
        organism_dirs=directories,
        build_root=Path(games_dir) / ".never-built",
        name=GAME_NAME,
        log=log,
        show_progress=False,
        **options,
    )
