"""Answer keys and their commitments: what the game master seals, and the public record that binds it.

Each model's answer key is committed to in ``game.json`` as ``sha256(canonical_json(key) + salt)``.
The salts are derived from the secret game seed with HMAC-SHA256, so the same seed always gives the
same ``game.json``, while nobody without the seed (or ``master/salts.json``) can test guesses about
a key against its commitment. The seed is the game's only secret: a small seed can be brute-forced,
so real games should use a random one (the CLI picks a 63-bit seed unless given one).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from auditgame.errors import AuditgameError
from auditgame.organisms.answer_key import AnswerKey

__all__ = ["AnswerKey", "GameFile", "GameNotFoundError", "canonical_json", "commitment", "verify_commitment"]

GAME_FILE = "game.json"
MASTER_DIR = "master"
AUDITOR_DIR = "auditor"
GAME_FORMAT_VERSION = 1
_SALT_CONTEXT = b"auditgame/game-salt/v1:"


class GameNotFoundError(AuditgameError):
    """A path that should hold a game (``game.json``, and ``master/`` where keys are needed) but does not."""


class GameFile(BaseModel):
    """The public record of a game (``game.json``): no seed, no timestamps, no organism names.

    ``models`` are the graded models, one commitment each; ``references`` are the labelled, ungraded
    reference models the game also ships (e.g. ``reference-base``), without keys or commitments. An
    empty ``references`` is left out of the JSON, so games without references keep their old bytes.
    """

    model_config = ConfigDict(extra="forbid")

    format_version: int = GAME_FORMAT_VERSION
    name: str
    tier: str
    models: list[str]
    references: list[str] = Field(default_factory=list)
    commitments: dict[str, str]
    versions: dict[str, str] = Field(default_factory=dict)

    @model_serializer(mode="wrap")
    def _drop_empty_references(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        payload = handler(self)
        return {key: value for key, value in payload.items() if key != "references" or value}


def canonical_json(payload: Any) -> bytes:
    """Canonical JSON bytes of ``payload``: sorted keys, no whitespace, UTF-8 (a pydantic model is dumped first)."""
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json")
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def derive_salt(seed: int | str, model: str) -> str:
    """The salt of ``model``'s commitment: HMAC-SHA256 keyed by the game seed (hex)."""
    key = _SALT_CONTEXT + str(seed).encode("utf-8")
    return hmac.new(key, model.encode("utf-8"), hashlib.sha256).hexdigest()


def commitment(key: AnswerKey, salt: str) -> str:
    """``sha256(canonical_json(key) + salt)`` as hex."""
    return hashlib.sha256(canonical_json(key) + salt.encode("utf-8")).hexdigest()


def verify_commitment(key: AnswerKey, salt: str, expected: str) -> bool:
    """Whether ``key`` and ``salt`` open the commitment ``expected`` (constant-time comparison)."""
    return hmac.compare_digest(commitment(key, salt), expected.strip().lower())


def organism_answer_key(recipe_name: str) -> dict[str, Any]:
    """The answer key (without the neutral model name) of the organism ``recipe_name``.

    Raises:
        UnknownNameError: if no organism has that name.
    """
    from auditgame.organisms.registry import get_organism

    key = get_organism(recipe_name).answer_key()
    payload = key.model_dump(mode="json") if isinstance(key, BaseModel) else dict(key)
    payload.pop("model", None)
    payload.setdefault("organism", recipe_name)
    return payload


def read_game_file(game_dir: Path) -> GameFile:
    """Read and validate ``<game_dir>/game.json``.

    Raises:
        GameNotFoundError: if the directory or its ``game.json`` is missing or invalid.
    """
    game_dir = Path(game_dir)
    path = game_dir / GAME_FILE
    if not game_dir.is_dir():
        raise GameNotFoundError(
            f"{game_dir} is not a directory", "pass the directory written by `auditgame game create`"
        )
    if not path.is_file():
        raise GameNotFoundError(
            f"{game_dir} has no {GAME_FILE}, so it is not a game",
            "pass the directory written by `auditgame game create`",
        )
    try:
        return GameFile.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValueError, ValidationError) as error:
        first = str(error).splitlines()[0]
        raise GameNotFoundError(
            f"{path} is not a valid game file ({first})", "re-create the game; do not edit game.json"
        ) from None
