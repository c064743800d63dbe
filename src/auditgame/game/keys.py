"""Answer keys, the game's secret and the commitments that bind the master's record to ``game.json``.

A game's only secret is 256 random bits (``master/secret.txt``, hex). The neutral names, the decoy draw
and the commitment salts are derived from it with HMAC-SHA256 under a purpose label, so the same secret
and the same inputs give a byte-identical game, while nobody without it can test guesses: a small integer
seed could be enumerated in seconds against the published commitments, so there is none.

``game.json`` publishes one commitment per answer key, ``sha256(canonical_json(key) + salt)``, and one per
other file of ``master/`` (``secret.txt``, ``spec.json``, ``salts.json``): ``sha256(nonce + canonical
bytes)`` with a nonce derived from the secret, so a commitment to a guessable file (the spec names
organism paths) reveals nothing. Together they cover everything that decides a grade.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
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

__all__ = [
    "AnswerKey",
    "GameFile",
    "GameNotFoundError",
    "GameSecretError",
    "canonical_json",
    "commitment",
    "new_secret",
    "verify_commitment",
]

GAME_FILE = "game.json"
MASTER_DIR = "master"
AUDITOR_DIR = "auditor"
SECRET_FILE = "secret.txt"
"""The game's secret in ``master/``: hex, one line."""
SPEC_FILE = "spec.json"
SALTS_FILE = "salts.json"
COMMITTED_MASTER_FILES = (SECRET_FILE, SPEC_FILE, SALTS_FILE)
"""The files of ``master/`` with a commitment in ``game.json``'s ``master_commitments`` (keys have theirs)."""
GAME_FORMAT_VERSION = 2
"""2: names, salts and decoys from a 256-bit secret, and the whole master record committed (1 used a seed)."""
SECRET_BYTES = 32
MIN_SECRET_BYTES = 16
"""A secret passed back in (``--secret-file``) must have at least 128 bits."""
_DERIVE_CONTEXT = b"auditgame/game/v2:"
_SECRET_CONTEXT = b"auditgame/game-secret/v2:"


class GameNotFoundError(AuditgameError):
    """A path that should hold a game (``game.json``, and ``master/`` where keys are needed) but does not."""


class GameSecretError(AuditgameError):
    """A game secret that is too short, or a secret file that cannot be read."""


class GameFile(BaseModel):
    """The public record of a game (``game.json``): no secret, no timestamps, no organism names.

    ``models`` are the graded models, one commitment each; ``references`` are the labelled, ungraded
    reference models the game also ships (e.g. ``reference-base``), without keys or commitments.
    ``master_commitments`` commit to the other files of ``master/`` (file name -> commitment). An
    empty ``references`` is left out of the JSON, so games without references keep their old bytes.
    """

    model_config = ConfigDict(extra="forbid")

    format_version: int = GAME_FORMAT_VERSION
    name: str
    tier: str
    models: list[str]
    references: list[str] = Field(default_factory=list)
    commitments: dict[str, str]
    master_commitments: dict[str, str] = Field(default_factory=dict)
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


def new_secret() -> bytes:
    """A fresh game secret: 256 bits from the operating system's CSPRNG."""
    return secrets.token_bytes(SECRET_BYTES)


def check_secret(secret: bytes) -> bytes:
    """Return ``secret`` if it has at least 128 bits.

    Raises:
        GameSecretError: otherwise.
    """
    if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
        size = len(secret) * 8 if isinstance(secret, bytes) else 0
        raise GameSecretError(
            f"a game secret needs at least {MIN_SECRET_BYTES * 8} bits, not {size}",
            "leave the secret out (a fresh 256-bit one is drawn), or pass a game's master/secret.txt",
        )
    return secret


def format_secret(secret: bytes) -> str:
    """The text of ``master/secret.txt``: the secret in hex and a newline."""
    return check_secret(secret).hex() + "\n"


def read_secret(path: Path) -> bytes:
    """The secret in the file ``path`` (hex, as ``master/secret.txt`` holds it; surrounding blanks ignored).

    Raises:
        GameSecretError: if the file cannot be read, is not hex, or holds fewer than 128 bits.
    """
    path = Path(path)
    fix = "pass the master/secret.txt of the game to recreate (hex, at least 32 digits)"
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise GameSecretError(f"cannot read the secret file {path} ({type(error).__name__})", fix) from None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise GameSecretError(f"{path} does not hold a hex secret", fix) from None
    if len(secret) < MIN_SECRET_BYTES:
        raise GameSecretError(
            f"{path} holds a {len(secret) * 8}-bit secret; at least {MIN_SECRET_BYTES * 8} bits are needed",
            fix,
        )
    return secret


def derive(secret: bytes, purpose: str) -> bytes:
    """``HMAC-SHA256(secret, label + purpose)``: one value of the game (a salt, a name order) per purpose."""
    return hmac.digest(secret, _DERIVE_CONTEXT + purpose.encode("utf-8"), "sha256")


def derive_salt(secret: bytes, model: str) -> str:
    """The salt of ``model``'s commitment, derived from the game secret (hex)."""
    return derive(secret, f"salt:{model}").hex()


def secret_order(secret: bytes, purpose: str, names: list[str]) -> list[str]:
    """``names`` in an order only the secret decides (sorted by ``derive(secret, purpose:name)``)."""
    return sorted(names, key=lambda name: (derive(secret, f"{purpose}:{name}"), name))


def secret_commitment(secret: bytes) -> str:
    """The commitment to the secret itself: ``sha256(label + secret)`` (hex; 256 bits cannot be guessed)."""
    return hashlib.sha256(_SECRET_CONTEXT + secret).hexdigest()


def master_file_commitment(secret: bytes, file_name: str, payload: Any) -> str:
    """The commitment to the ``master/`` file ``file_name`` holding ``payload`` (parsed JSON).

    ``sha256(nonce + canonical_json(payload))`` with a nonce derived from the secret, so nobody can test
    a guessed spec (organism paths are guessable) against the published value.
    """
    return hashlib.sha256(derive(secret, f"commit:{file_name}") + canonical_json(payload)).hexdigest()


def master_commitments(secret: bytes, spec: Any, salts: dict[str, str]) -> dict[str, str]:
    """The commitments of ``secret.txt``, ``spec.json`` and ``salts.json`` (file name -> commitment)."""
    return {
        SECRET_FILE: secret_commitment(secret),
        SPEC_FILE: master_file_commitment(secret, SPEC_FILE, spec),
        SALTS_FILE: master_file_commitment(secret, SALTS_FILE, salts),
    }


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
