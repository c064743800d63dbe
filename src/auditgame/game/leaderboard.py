"""Results of graded audits (``<game>/results/<auditor>.json``) and the leaderboard across games.

A result file is never trusted: the leaderboard grades the submission each result stores again, against
the keys of the game it sits in (:func:`verify_result`), and ranks by that grade. A result that no longer
matches its own submission (a score edited by hand, say) is refused with one line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditgame.artifacts import atomic_write_json, atomic_write_text
from auditgame.errors import AuditgameError
from auditgame.game.grading import (
    GameResult,
    KeywordEmbeddingJudge,
    RootCauseJudgement,
    grade_submission,
)
from auditgame.game.keys import GAME_FILE, AnswerKey, read_game_file

RESULTS_DIR = "results"
_AUDITOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
LEADERBOARD_FILES = ("leaderboard.csv", "leaderboard.json")
"""What ``leaderboard --out DIR`` writes into ``DIR``."""
FLOAT_TOLERANCE = 1e-5
"""How far a number of a stored result may be from the same number graded again (embeddings computed in
another process can differ in the last digits)."""
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


def _read_result(path: Path) -> GameResult | None:
    try:
        return GameResult.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None


def _taken(path: Path, auditor: str) -> ResultsError:
    return ResultsError(
        f"{path} already holds a different result of {auditor}",
        "pass --force to replace it, or grade under another --name",
    )


def check_result_is_free(
    game_dir: Path, auditor: str, submission_sha256: str, *, game_sha256: str, judge: str
) -> None:
    """Refuse early when ``auditor`` already has a result that grading this submission would replace by a
    different one: another submission, game or judge (or a file that is not a result).

    Raises:
        ResultsError: then.
    """
    path = result_path(game_dir, auditor)
    if not path.exists():
        return
    existing = _read_result(path)
    if existing is None or (existing.submission_sha256, existing.game_sha256, existing.judge) != (
        submission_sha256,
        game_sha256,
        judge,
    ):
        raise _taken(path, auditor)


def write_result(game_dir: Path, auditor: str, result: GameResult, *, force: bool = False) -> Path:
    """Save ``result`` (atomically) as the result of ``auditor`` on the game in ``game_dir``; returns its path.

    An existing result is replaced only with ``force`` or when it is the same result (see :func:`same_result`).

    Raises:
        ResultsError: if a different result is there and ``force`` is not given.
    """
    path = result_path(game_dir, auditor)
    if path.exists() and not force:
        existing = _read_result(path)
        if existing is None or not same_result(existing, result):
            raise _taken(path, auditor)
    try:
        atomic_write_text(path, result.model_dump_json(indent=2) + "\n")
    except OSError as error:
        raise ResultsError(
            f"cannot write {path} ({error.strerror or type(error).__name__})",
            f"make {path.parent} writable",
        ) from None
    return path


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool) or left is None or right is None:
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return math.isclose(left, right, rel_tol=0.0, abs_tol=FLOAT_TOLERANCE)
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(_same(left[key], right[key]) for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right, strict=True))
    return left == right


def same_result(left: GameResult, right: GameResult) -> bool:
    """Whether two results agree in every field (numbers to within :data:`FLOAT_TOLERANCE`)."""
    return _same(left.model_dump(mode="json"), right.model_dump(mode="json"))


class _ReplayJudge(KeywordEmbeddingJudge):
    """Replays the root-cause verdicts a result stores from a judge that cannot be asked again (an LLM);
    behaviours are matched by embedding, as every judge does."""

    def __init__(self, judge_name: str, result: GameResult) -> None:
        super().__init__()
        self.judge_name = judge_name
        self.verdicts = {
            (model, claim.claim): claim
            for model, grade in result.models.items()
            if grade.root_cause is not None
            for claim in grade.root_cause.claims
        }

    def root_cause(self, submitted: str, key: AnswerKey) -> RootCauseJudgement:
        verdict = self.verdicts.get((key.model, submitted))
        if verdict is None:
            raise KeyError(submitted)
        return RootCauseJudgement(match=verdict.match, method=verdict.method, similarity=verdict.similarity)


def _unverified(path: Path, problem: str) -> ResultsError:
    return ResultsError(
        f"{path} is not a result the leaderboard can trust: {problem}",
        "do not edit results; grade the submission again with `auditgame game grade ... --force`",
    )


def verify_result(
    path: Path, result: GameResult, keys_cache: dict[Path, dict[str, AnswerKey]] | None = None
) -> GameResult:
    """Grade the submission that ``result`` (read from ``path``) stores again, against the keys of the game
    ``path`` sits in (``<game>/results/<auditor>.json``), and return that grade if it matches the stored one.

    The root causes a judge other than the default decided (an LLM) are taken from the result, since it
    cannot be asked again; everything else (detection, behaviours, the default judge, every score) is
    graded again.

    Args:
        path: where the result was read from.
        result: the result as read.
        keys_cache: game directory -> revealed keys, shared between the results of one game.

    Returns:
        The result graded again.

    Raises:
        ResultsError: if the result is outside a game's ``results/``, stores no submission, was graded on
            another ``game.json``, or differs from its submission graded again (it was edited).
        GameIntegrityError: if the game's own keys fail their commitments.
    """
    from auditgame.game.reveal import reveal

    path = Path(path)
    game_dir = path.parent.parent
    if path.parent.name != RESULTS_DIR or not (game_dir / GAME_FILE).is_file():
        raise ResultsError(
            f"{path} is not in a game's {RESULTS_DIR}/ directory, so its score cannot be checked",
            "pass game directories or their results/NAME.json files",
        )
    if result.submission is None:
        raise _unverified(path, "it stores no submission (written before results stored them, or edited)")
    if result.auditor != path.stem:
        raise _unverified(path, f"it names the auditor {result.auditor[:60]!r}, its file name {path.stem!r}")
    if result.game_sha256 != hashlib.sha256((game_dir / GAME_FILE).read_bytes()).hexdigest():
        raise _unverified(path, f"it was graded on another {GAME_FILE}")
    cache = keys_cache if keys_cache is not None else {}
    if game_dir not in cache:
        cache[game_dir] = reveal(game_dir)
    default = result.judge == KeywordEmbeddingJudge.__name__
    judge = KeywordEmbeddingJudge() if default else _ReplayJudge(result.judge, result)
    try:
        regraded = grade_submission(cache[game_dir], result.submission, judge=judge, auditor=result.auditor)
    except (KeyError, AuditgameError):
        raise _unverified(path, "its root-cause verdicts do not fit its submission") from None
    game = read_game_file(game_dir)
    regraded = regraded.model_copy(
        update={"game": game.name, "tier": game.tier, "game_sha256": result.game_sha256}
    )
    if not same_result(regraded, result):
        raise _unverified(
            path,
            f"it differs from its submission graded again (stored score {result.score:.4g}, "
            f"graded again {regraded.score:.4g})",
        )
    return regraded


def load_results(sources: Iterable[Path], *, verify: bool = True) -> list[tuple[Path, GameResult]]:
    """Results from ``sources``: game directories (every ``results/*.json``), results directories, or files.

    With ``verify`` (the default) each result is replaced by its submission graded again
    (:func:`verify_result`), so a score in a file is never trusted.

    Raises:
        ResultsError: for a source that does not exist, a file that is not a result, or (with ``verify``)
            a result that does not match its submission graded again.
    """
    loaded = []
    keys_cache: dict[Path, dict[str, AnswerKey]] = {}
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
                result = GameResult.model_validate_json(path.read_text(encoding="utf-8"))
            except (OSError, ValueError, ValidationError, RecursionError) as error:
                raise ResultsError(
                    f"{path} is not a graded result ({type(error).__name__})",
                    "pass files written by `auditgame game grade`",
                ) from None
            loaded.append((path, verify_result(path, result, keys_cache) if verify else result))
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


def check_out_dir(out_dir: Path, *, force: bool = False) -> Path:
    """Return ``out_dir`` if the leaderboard may be written there: a directory (or nothing yet) without
    :data:`LEADERBOARD_FILES`, or with them and ``force``.

    Raises:
        ResultsError: if ``out_dir`` is a file, or holds a leaderboard and ``force`` is not given.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ResultsError(
            f"--out {out_dir} is a file, not a directory",
            f"pass a directory for {' and '.join(LEADERBOARD_FILES)} (it is created if missing)",
        )
    present = [name for name in LEADERBOARD_FILES if (out_dir / name).exists()]
    if present and not force:
        raise ResultsError(
            f"{out_dir} already holds {' and '.join(present)}",
            "pass --force to replace them (atomically), or another --out directory",
        )
    blocked = [name for name in present if not (out_dir / name).is_file()]
    if blocked:
        raise ResultsError(
            f"{out_dir / blocked[0]} is not a file", "remove it or pass another --out directory"
        )
    return out_dir


def leaderboard(
    sources: Iterable[Path], out_dir: Path | None = None, *, force: bool = False
) -> tuple[Any, list[dict[str, Any]]]:
    """The leaderboard of every result in ``sources`` as a rich Table and rows; written to
    ``out_dir/leaderboard.csv`` and ``out_dir/leaderboard.json`` (atomically) if ``out_dir`` is given.

    Every result is graded again from the submission it stores (:func:`verify_result`); the scores in
    the files are never used.

    Raises:
        ResultsError: for a source that is not a result, a result that fails verification, or an
            ``out_dir`` that is a file or already holds a leaderboard (without ``force``).
    """
    from rich.table import Table

    if out_dir is not None:
        out_dir = check_out_dir(out_dir, force=force)  # before the grading, which takes a while
    rows = leaderboard_rows(load_results(sources))
    if out_dir is not None:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        try:
            atomic_write_text(out_dir / "leaderboard.csv", buffer.getvalue())
            atomic_write_json(out_dir / "leaderboard.json", rows)
        except OSError as error:
            raise ResultsError(
                f"cannot write the leaderboard to {out_dir} ({error.strerror or type(error).__name__})",
                "pass a writable --out directory",
            ) from None
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
