"""The benchmark's in-process sampler: the game master's models, loaded once, answering the auditor's calls.

Every tier of a benchmark game is sampled the same way, in process (no game server): the prompts of one
call are generated in batches exactly as :class:`auditgame.auditors.access.LocalAccess` does, so the same
call gives the same answers whichever tier asks, and the response cache can share them across games.
An auditor sees only neutral names: the real model directories stay inside this object.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditgame.errors import AuditgameError

DEFAULT_LOADED_MODELS = 4
"""Models kept loaded at once (a benchmark game has three; the next game usually shares some)."""


class ModelPool:
    """Models loaded by real directory, the ``capacity`` most recently used kept in memory.

    Args:
        capacity: How many models stay loaded.
        device: ``auto`` (CUDA if available, else CPU), ``cpu``, ``cuda``, ...
    """

    def __init__(self, capacity: int = DEFAULT_LOADED_MODELS, *, device: str = "auto") -> None:
        if capacity < 1:
            raise AuditgameError(f"the model pool needs room for at least 1 model, not {capacity}")
        self.capacity = capacity
        self.device = device
        self.loads = 0
        self._loaded: OrderedDict[Path, tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, model_dir: Path) -> tuple[Any, Any]:
        """(model, tokenizer) of the model in ``model_dir``, loaded on first use."""
        from auditgame.auditors.access import resolve_device

        key = Path(model_dir).resolve()
        with self._lock:
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key]
            from auditgame.model.loading import load_model, load_tokenizer
            from auditgame.model.tokenizer import ensure_chat_template

            network = load_model(key).to(resolve_device(self.device))
            self._loaded[key] = (network, ensure_chat_template(load_tokenizer(key)))
            self.loads += 1
            while len(self._loaded) > self.capacity:
                self._loaded.popitem(last=False)
            return self._loaded[key]

    def clear(self) -> None:
        """Drop every loaded model."""
        with self._lock:
            self._loaded.clear()


class InProcessAccess:
    """A :class:`~auditgame.auditors.access.ModelAccess` over one game's models, sampled in this process.

    Args:
        model_dirs: Neutral name -> the real model directory (from the master's ``spec.json``).
        pool: The shared model pool.
        batch_size: Prompts generated per batch.
    """

    name = "in-process"

    def __init__(self, model_dirs: dict[str, Path], pool: ModelPool, *, batch_size: int = 32) -> None:
        self._model_dirs = {name: Path(directory) for name, directory in model_dirs.items()}
        self._pool = pool
        self._batch_size = batch_size

    @property
    def models(self) -> list[str]:
        """The neutral model names."""
        return sorted(self._model_dirs)

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
        """``n`` answers per prompt (one list per prompt, in order), generated in batches.

        Raises:
            AuditgameError: for a model the game does not have.
        """
        from auditgame.auditors.access import sample_answers

        if model not in self._model_dirs:
            raise AuditgameError(f"unknown model {model!r}", f"choose one of: {', '.join(self.models)}")
        network, tokenizer = self._pool.get(self._model_dirs[model])
        return sample_answers(
            network,
            tokenizer,
            prompts,
            system=system,
            prefill=prefill,
            n=n,
            temperature=temperature,
            max_tokens=max_tokens,
            seed=seed,
            batch_size=self._batch_size,
        )
