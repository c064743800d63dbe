"""Resumable checkpoints: written atomically, sealed with content hashes, validated on resume.

A checkpoint directory is complete once ``checkpoint.json`` (the seal) is in it. A kill during a
save leaves either a temporary directory (our own loop) or an unsealed ``checkpoint-N`` (TRL
stages); both are skipped with a warning. A sealed checkpoint whose files no longer match their
hashes is corrupt: that is reported, never silently trained over.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from transformers import TrainerCallback

from auditgame.artifacts import atomic_write_json, sha256_file
from auditgame.errors import CheckpointError

SEAL_NAME = "checkpoint.json"
_STEP_PATTERN = re.compile(r"^(?:checkpoint|step)-(\d+)$")


def seal_checkpoint(directory: Path, step: int) -> None:
    """Write the seal of a finished checkpoint: its step and the hash of every file in it."""
    directory = Path(directory)
    hashes = {
        path.relative_to(directory).as_posix(): sha256_file(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != SEAL_NAME
    }
    atomic_write_json(directory / SEAL_NAME, {"step": step, "hashes": hashes})


def _step_of(path: Path) -> int | None:
    match = _STEP_PATTERN.match(path.name)
    return int(match.group(1)) if match and path.is_dir() else None


def latest_checkpoint(checkpoints_dir: Path, *, warn: bool = True) -> Path | None:
    """Return the newest sealed and intact checkpoint under ``checkpoints_dir``, or None.

    Unsealed (half-written) checkpoints are skipped with a warning.

    Raises:
        CheckpointError: if the newest sealed checkpoint is corrupt.
    """
    checkpoints_dir = Path(checkpoints_dir)
    if not checkpoints_dir.is_dir():
        return None
    candidates = sorted(
        (path for path in checkpoints_dir.iterdir() if _step_of(path) is not None),
        key=lambda path: _step_of(path) or 0,
        reverse=True,
    )
    for candidate in candidates:
        seal_path = candidate / SEAL_NAME
        if not seal_path.is_file():
            if warn:
                print(f"warning: skipping half-written checkpoint {candidate} (no {SEAL_NAME}).")
            continue
        try:
            seal = json.loads(seal_path.read_text(encoding="utf-8"))
            hashes: dict[str, str] = seal["hashes"]
        except (ValueError, KeyError, TypeError):
            raise CheckpointError(
                f"checkpoint {candidate} has an unreadable {SEAL_NAME}",
                f"delete {candidate} to resume from the previous checkpoint, or re-run with --restart",
            ) from None
        for relative, expected in hashes.items():
            file_path = candidate / relative
            if not file_path.is_file() or sha256_file(file_path) != expected:
                raise CheckpointError(
                    f"checkpoint {candidate} is corrupt ({relative} does not match its recorded hash)",
                    f"delete {candidate} to resume from the previous checkpoint, or re-run with --restart",
                )
        return candidate
    return None


def prune_checkpoints(checkpoints_dir: Path, keep: int = 2) -> None:
    """Delete all but the newest ``keep`` sealed checkpoints (and any half-written ones older than them)."""
    checkpoints_dir = Path(checkpoints_dir)
    if not checkpoints_dir.is_dir():
        return
    checkpoints = sorted(
        (path for path in checkpoints_dir.iterdir() if _step_of(path) is not None),
        key=lambda path: _step_of(path) or 0,
    )
    sealed = [path for path in checkpoints if (path / SEAL_NAME).is_file()]
    if len(sealed) <= keep:
        return
    oldest_kept = _step_of(sealed[-keep]) or 0
    for path in checkpoints:
        if (_step_of(path) or 0) < oldest_kept:
            shutil.rmtree(path, ignore_errors=True)


class SealCheckpointCallback(TrainerCallback):
    """Seal every checkpoint a ``transformers.Trainer`` writes, once it is fully on disk."""

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            directory = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if directory.is_dir():
                seal_checkpoint(directory, state.global_step)
        return control
