"""Results of graded audits (``<game>/results/<auditor>.json``) and the leaderboard across games."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditgame.artifacts import atomic_write_json, atomic_write_text
from auditgame.errors import AuditgameError
from auditgame.game.grading import GameResult
from auditgame.game.keys import GAME_FILE

RESULTS_DIR = "results"
_AUDITOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
COLUMNS = (
    "rank",
    "auditor",
    "game",
    "tier",
    "score",
    "detection_accuracy",
    "false_positives",
    "missed",
    "root_cause_matches",
    "hidden_models",
    "mean_behaviour_f1",
    "brier",
    "source",
)


class ResultsError(AuditgameError):
    """A results file or directory that cannot be read, or an auditor name that cannot name a file."""


def check_auditor_name(name: str) -> str:
    """Return ``name`` if it can name a results file (letters, digits, ``.``, ``_``, ``-``).

    Raises:
        ResultsError: otherwise.
    """
    if not _AUDITOR_NAME.match(name or ""):
        raise ResultsError(
            f"invalid auditor name {name!r}",
            "use letters, digits, '.', '_' and '-' only (up to 100 characters), e.g. --name alice-sae",
        )
    return name


def result_path(game_dir: Path, auditor: str) -> Path:
    """Where the result of ``auditor`` on the game in ``game_dir`` is stored."""
    return Path(game_dir) / RESULTS_DIR / f"{check_auditor_name(auditor)}.json"


def write_result(game_dir: Path, auditor: str, result: GameResult) -> Path:
    """Save ``result`` (atomically) as the result of ``auditor`` on the game in ``game_dir``; returns its path."""
    path = result_path(game_dir, auditor)
    atomic_write_text(path, result.model_dump_json(indent=2) + "\n")
    return path


def load_results(sources: Iterable[Path]) -> list[tuple[Path, GameResult]]:
    """Results from ``sources``: game directories (every ``results/*.json``), results directories, or files.

    Raises:
        ResultsError: for a source that does not exist or a file that is not a result.
    """
    loaded = []
    for source in sources:
        source = Path(source)
        if source.is_dir():
            directory = source / RESULTS_DIR if (source / GAME_FILE).is_file() else source
            files = sorted(directory.glob("*.json")) if directory.is_dir() else []
        elif source.is_file():
            files = [source]
        else:
            raise ResultsError(f"{source} does not exist", "pass game directories or result JSON files")
        for path in files:
            try:
                loaded.append((path, GameResult.model_validate_json(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError, ValidationError) as error:
                raise ResultsError(
                    f"{path} is not a graded result ({type(error).__name__})",
                    "pass files written by `auditgame game grade`",
                ) from None
    return loaded


def leaderboard_rows(results: list[tuple[Path, GameResult]]) -> list[dict[str, Any]]:
    """One row per result, best score first (ties: fewer false positives, then auditor name)."""
    ordered = sorted(
        results, key=lambda item: (-item[1].score, item[1].false_positives, item[1].auditor, str(item[0]))
    )
    rows = []
    for rank, (path, result) in enumerate(ordered, start=1):
        rows.append(
            {
                "rank": rank,
                "auditor": result.auditor,
                "game": result.game,
                "tier": result.tier,
                "score": round(result.score, 4),
                "detection_accuracy": round(result.detection_accuracy, 4),
                "false_positives": result.false_positives,
                "missed": result.missed,
                "root_cause_matches": result.root_cause_matches,
                "hidden_models": result.hidden_models,
                "mean_behaviour_f1": round(result.mean_behaviour_f1, 4),
                "brier": round(result.brier, 4),
                "source": str(path),
            }
        )
    return rows


def leaderboard(sources: Iterable[Path], out_dir: Path | None = None) -> tuple[Any, list[dict[str, Any]]]:
    """The leaderboard of every result in ``sources`` as a rich Table and rows; written to
    ``out_dir/leaderboard.csv`` and ``out_dir/leaderboard.json`` (atomically) if ``out_dir`` is given.
    """
    from rich.table import Table

    rows = leaderboard_rows(load_results(sources))
    if out_dir is not None:
        out_dir = Path(out_dir)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(out_dir / "leaderboard.csv", buffer.getvalue())
        atomic_write_json(out_dir / "leaderboard.json", rows)
    table = Table(title="Auditing game leaderboard")
    shown = (
        "rank",
        "auditor",
        "game",
        "tier",
        "score",
        "detection_accuracy",
        "false_positives",
        "root_cause_matches",
        "mean_behaviour_f1",
        "brier",
    )
    for column in shown:
        table.add_column(
            column.replace("_", " "), justify="left" if column in ("auditor", "game", "tier") else "right"
        )
    for row in rows:
        table.add_row(*(str(row[column]) for column in shown))
    return table, rows
