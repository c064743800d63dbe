"""Reveal a game's answer keys, checking every key against the commitment published in ``game.json``."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from auditgame.errors import AuditgameError
from auditgame.game.keys import MASTER_DIR, AnswerKey, GameNotFoundError, read_game_file, verify_commitment


class GameIntegrityError(AuditgameError):
    """A master key or salt that does not open its commitment: the sealed answers were changed."""


def reveal(game_dir: Path) -> dict[str, AnswerKey]:
    """The answer key of every model of the game in ``game_dir``, each verified against its commitment.

    Returns:
        Neutral model name -> answer key, in the game's model order.

    Raises:
        GameNotFoundError: if the game or its ``master/`` directory is missing.
        GameIntegrityError: if a key or salt is missing, unreadable or does not match its commitment.
    """
    game_dir = Path(game_dir)
    game = read_game_file(game_dir)
    master = game_dir / MASTER_DIR
    if not master.is_dir():
        raise GameNotFoundError(
            f"{game_dir} has no {MASTER_DIR}/ directory, so its answers cannot be revealed",
            "grade and reveal with the game master's copy of the game (the one with master/)",
        )
    salts_path = master / "salts.json"
    try:
        salts = json.loads(salts_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise GameIntegrityError(
            f"cannot read {salts_path} ({type(error).__name__})",
            "restore master/ from the game master's copy",
        ) from None
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
        salt, expected = salts.get(model), game.commitments.get(model)
        if not isinstance(salt, str) or not expected:
            raise GameIntegrityError(
                f"{model} has no salt in {salts_path} or no commitment in game.json",
                "restore the game from the game master's copy",
            )
        if key.model != model or not verify_commitment(key, salt, expected):
            raise GameIntegrityError(
                f"the answer key of {model} does not match its commitment in game.json: it was changed",
                "restore master/ and game.json from the game master's copy; do not grade with this game",
            )
        keys[model] = key
    return keys
