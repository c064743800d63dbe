"""A persistent response cache in front of any model access, so the benchmark samples each call once.

A call is keyed by the content hash of the real model (its weights, tokenizer and chat template) and
every argument of :meth:`~auditgame.auditors.access.ModelAccess.chat`, so the same decoy asked the same
question in eighteen games is sampled once, and a re-run of the benchmark samples nothing it has seen.
The cache is one SQLite file (``<out>/cache/responses.sqlite``): every answer is committed in its own
transaction, so an interrupted run leaves a consistent cache.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditgame.artifacts import sha256_file
from auditgame.auditors.access import ModelAccess
from auditgame.errors import AuditgameError

CACHE_FILE = "responses.sqlite"
CACHE_FORMAT_VERSION = 1
MODEL_HASH_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
)
"""The files of a model directory that decide its answers (``config.json`` only through its architecture
keys: paths in it are ignored)."""
_CONFIG_KEYS_IGNORED = ("_name_or_path", "name_or_path", "_commit_hash", "transformers_version")
_HASHES: dict[tuple[Path, tuple[tuple[str, int, int], ...]], str] = {}


class CacheError(AuditgameError):
    """A response cache that cannot be opened or read."""


def model_content_hash(model_dir: Path) -> str:
    """The SHA-256 of what decides a model's answers: its weights, config, tokenizer and chat template.

    Memoised per directory and the sizes and modification times of those files.

    Raises:
        CacheError: if ``model_dir`` holds no model weights.
    """
    directory = Path(model_dir).resolve()
    weights = [directory / name for name in MODEL_HASH_FILES[:3] if (directory / name).is_file()]
    if not weights:
        raise CacheError(f"no model weights in {directory}", "point the benchmark at a built zoo")
    present = [directory / name for name in MODEL_HASH_FILES if (directory / name).is_file()]
    key = (directory, tuple((path.name, path.stat().st_size, path.stat().st_mtime_ns) for path in present))
    if key not in _HASHES:
        digest = hashlib.sha256()
        for path in present:
            name = path.name
            if name == "config.json":
                config = json.loads(path.read_text(encoding="utf-8"))
                config = {k: v for k, v in config.items() if k not in _CONFIG_KEYS_IGNORED}
                part = hashlib.sha256(json.dumps(config, sort_keys=True).encode("utf-8")).hexdigest()
            else:
                part = sha256_file(path)
            digest.update(f"{name}:{part}\n".encode())
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def call_key(model_hash: str, arguments: dict[str, Any]) -> str:
    """The cache key of one chat call: SHA-256 of the model hash and every argument, as canonical JSON."""
    payload = {"format": CACHE_FORMAT_VERSION, "model": model_hash, **arguments}
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    ).hexdigest()


class ResponseCache:
    """Answers of chat calls by key, in one SQLite file.

    Args:
        path: The SQLite file (created with its directory if missing).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._connection = sqlite3.connect(self.path, check_same_thread=False)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, answers TEXT NOT NULL)"
            )
            self._connection.commit()
        except sqlite3.DatabaseError as error:
            raise CacheError(
                f"the response cache {self.path} cannot be opened ({error})",
                "delete it (answers are sampled again) or pass another --out",
            ) from None

    def get(self, key: str) -> list[list[str]] | None:
        """The answers stored under ``key``, or None."""
        with self._lock:
            row = self._connection.execute("SELECT answers FROM responses WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row is not None else None

    def put(self, key: str, answers: list[list[str]]) -> None:
        """Store ``answers`` under ``key`` (committed at once)."""
        text = json.dumps(answers, ensure_ascii=False)
        with self._lock, self._connection:
            self._connection.execute(
                "INSERT OR REPLACE INTO responses (key, answers) VALUES (?, ?)", (key, text)
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._connection.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._connection.close()


class CachedAccess:
    """A :class:`~auditgame.auditors.access.ModelAccess` that answers repeated calls from a :class:`ResponseCache`.

    Args:
        inner: The access that samples on a miss.
        model_hashes: Neutral name -> content hash of the real model behind it (:func:`model_content_hash`).
        cache: The shared cache.

    Attributes:
        hits: Calls answered from the cache.
        misses: Calls passed to ``inner``.
    """

    def __init__(self, inner: ModelAccess, model_hashes: dict[str, str], cache: ResponseCache) -> None:
        self._inner = inner
        self._model_hashes = dict(model_hashes)
        self._cache = cache
        self.name = inner.name
        self.hits = 0
        self.misses = 0

    def chat(
        self,
        model: str,
        prompts: Sequence[str],
        *,
        system: str | None = None,
        prefill: str | None = None,
        n: int = 1,
        temperature: float = 0.0,
        max_tokens: int = 96,
        seed: int = 0,
    ) -> list[list[str]]:
        """``n`` answers per prompt: from the cache if this very call was made before, else sampled and stored.

        Raises:
            AuditgameError: for a model the game does not have.
        """
        if model not in self._model_hashes:
            raise AuditgameError(
                f"unknown model {model!r}", f"choose one of: {', '.join(sorted(self._model_hashes))}"
            )
        arguments = {
            "prompts": list(prompts),
            "system": system,
            "prefill": prefill,
            "n": n,
            "temperature": float(temperature),
            "max_tokens": max_tokens,
            "seed": seed,
        }
        key = call_key(self._model_hashes[model], arguments)
        stored = self._cache.get(key)
        if stored is not None:
            self.hits += 1
            return stored
        self.misses += 1
        answers = self._inner.chat(
            model,
            list(prompts),
            system=system,
            prefill=prefill,
            n=n,
            temperature=temperature,
            max_tokens=max_tokens,
            seed=seed,
        )
        answers = [list(group) for group in answers]
        self._cache.put(key, answers)
        return answers
