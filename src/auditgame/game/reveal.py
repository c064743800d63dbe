"""Reveal a game's answer keys, checking the whole master record against the commitments in ``game.json``.

Every file of ``master/`` that decides a grade is committed to at creation: the secret, the spec (which
model is which organism), the salts, and each answer key. ``reveal`` checks them all before returning a
key, and names the first file that was changed.
"""

from __future__ import annotations

import hmac
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditgame.errors import AuditgameError
from auditgame.game.keys import (
    GAME_FORMAT_VERSION,
    MASTER_DIR,
    SALTS_FILE,
    SECRET_FILE,
    SPEC_FILE,
    AnswerKey,
    GameNotFoundError,
    GameSecretError,
    master_commitments,
    read_game_file,
    read_secret,
    verify_commitment,
)

_RESTORE = "restore master/ and game.json from the game master's copy; do not grade with this game"


class GameIntegrityError(AuditgameError):
    """A master file that does not open its commitment in ``game.json``: the sealed record was changed."""


def reveal(game_dir: Path) -> dict[str, AnswerKey]:
    """The answer key of every model of the game in ``game_dir``, after verifying the whole master record.

    Returns:
        Neutral model name -> answer key, in the game's model order.

    Raises:
        GameNotFoundError: if the game or its ``master/`` directory is missing.
        GameIntegrityError: if the game predates master commitments, or a master file (secret, spec,
            salts, a key) is missing, unreadable or does not match its commitment.
    """
    game_dir = Path(game_dir)
    game = read_game_file(game_dir)
    master = game_dir / MASTER_DIR
    if not master.is_dir():
        raise GameNotFoundError(
            f"{game_dir} has no {MASTER_DIR}/ directory, so its answers cannot be revealed",
            "grade and reveal with the game master's copy of the game (the one with master/)",
        )
    if game.format_version < GAME_FORMAT_VERSION or not game.master_commitments:
        raise GameIntegrityError(
            f"{game_dir} was made by an older auditgame (game format {game.format_version}): its seed can be "
            "brute-forced and its master record is not committed to, so its grades cannot be trusted",
            "re-create the game with `auditgame game create` (same organisms, a new secret)",
        )
    try:
        secret = read_secret(master / SECRET_FILE)
    except GameSecretError as error:
        raise GameIntegrityError(error.problem, _RESTORE) from None
    records = {SPEC_FILE: _read_json(master / SPEC_FILE), SALTS_FILE: _read_json(master / SALTS_FILE)}
    expected = master_commitments(secret, records[SPEC_FILE], records[SALTS_FILE])
    for file_name in (SECRET_FILE, SPEC_FILE, SALTS_FILE):
        published = game.master_commitments.get(file_name, "")
        if not hmac.compare_digest(expected[file_name], published.strip().lower()):
            raise GameIntegrityError(
                f"{MASTER_DIR}/{file_name} does not match its commitment in game.json: "
                "it was changed after the game was created",
                _RESTORE,
            )
    salts = records[SALTS_FILE]
    keys = {}
    for model in game.models:
        key_path = master / "keys" / f"{model}.json"
        try:
            key = AnswerKey.model_validate_json(key_path.read_text(encoding="utf-8"))
        except (OSError, ValueError, ValidationError) as error:
            raise GameIntegrityError(
                f"cannot read the answer key of {model} at {key_path} ({type(error).__name__})",
                "restore master/ from the game master's copy",
            ) from None
        salt = salts.get(model) if isinstance(salts, dict) else None
        commitment = game.commitments.get(model)
        if not isinstance(salt, str) or not commitment:
            raise GameIntegrityError(
                f"{model} has no salt in {master / SALTS_FILE} or no commitment in game.json",
                "restore the game from the game master's copy",
            )
        if key.model != model or not verify_commitment(key, salt, commitment):
            raise GameIntegrityError(
                f"the answer key of {model} ({MASTER_DIR}/keys/{model}.json) does not match its "
                "commitment in game.json: it was changed",
                _RESTORE,
            )
        keys[model] = key
    return keys


def _read_json(path: Path) -> Any:
    """The JSON in the master file ``path``.

    Raises:
        GameIntegrityError: if it is missing or not JSON.
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:
        raise GameIntegrityError(
            f"cannot read {path} ({type(error).__name__})", "restore master/ from the game master's copy"
        ) from None
