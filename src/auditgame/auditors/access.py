"""How the auditor queries a model: through the game's API, or (tiers with weights) by loading it locally.

Both backends answer the same call, :meth:`ModelAccess.chat`: a list of user prompts, an optional system
prompt and prefill, ``n`` samples each. Both are deterministic for a given seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from auditgame.auditors.workspace import AuditorError, AuditWorkspace


class ModelAccess(Protocol):
    """Something that samples chat answers of the workspace's models."""

    name: str

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
        """``n`` answers per prompt (one list per prompt, in order)."""
        ...


class ApiAccess:
    """Sampling through the game server (:class:`auditgame.game.client.GameClient`), one request per prompt."""

    name = "api"

    def __init__(self, workspace: AuditWorkspace) -> None:
        from auditgame.game.client import GameClient

        self.client = GameClient(workspace.path)

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
        """``n`` answers per prompt, each prompt seeded with ``seed`` plus its position."""
        return [
            self.client.chat(
                model,
                prompt,
                system=system,
                prefill=prefill,
                n=n,
                temperature=temperature,
                max_tokens=max_tokens,
                seed=seed + index,
            )
            for index, prompt in enumerate(prompts)
        ]


class LocalAccess:
    """Sampling from the weights in ``models/<model>/`` (tiers weights and data), batched across prompts."""

    name = "local"

    def __init__(self, workspace: AuditWorkspace, *, batch_size: int = 32, device: str = "auto") -> None:
        workspace.require("weights", "local sampling")
        self.workspace = workspace
        self.batch_size = batch_size
        self.device = device
        self._loaded: dict[str, tuple[Any, Any]] = {}

    def load(self, model: str) -> tuple[Any, Any]:
        """(model, tokenizer) of ``model``, loaded once."""
        if model not in self._loaded:
            from auditgame.model.loading import load_model, load_tokenizer
            from auditgame.model.tokenizer import ensure_chat_template

            directory = self.workspace.model_dir(model)
            if not (directory / "config.json").is_file():
                raise AuditorError(f"no weights in {directory}", "use backend=api")
            network = load_model(directory).to(resolve_device(self.device))
            self._loaded[model] = (network, ensure_chat_template(load_tokenizer(directory)))
        return self._loaded[model]

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
        """``n`` answers per prompt, generated in batches."""
        network, tokenizer = self.load(model)
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
            batch_size=self.batch_size,
        )

    def release(self) -> None:
        """Drop the loaded models."""
        self._loaded.clear()


def sample_answers(
    network: Any,
    tokenizer: Any,
    prompts: Sequence[Any],
    *,
    system: str | None,
    prefill: str | None,
    n: int,
    temperature: float,
    max_tokens: int,
    seed: int,
    batch_size: int,
) -> list[list[str]]:
    """``n`` answers of a loaded model per prompt (one list per prompt, in order), generated in batches."""
    from auditgame.model.generation import GenerationConfig, generate

    repeated = [prompt for prompt in prompts for _ in range(n)]
    config = GenerationConfig(
        max_new_tokens=max_tokens, temperature=temperature, batch_size=batch_size, seed=seed
    )
    texts = generate(network, tokenizer, repeated, system=system, prefill=prefill, config=config)
    return [texts[index * n : (index + 1) * n] for index in range(len(prompts))]


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` if available, else ``cpu``; anything else as given."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def open_access(
    workspace: AuditWorkspace, backend: str = "auto", *, batch_size: int = 32, device: str = "auto"
) -> ModelAccess:
    """The backend ``backend`` (``auto``: local if the tier grants weights, else api).

    Raises:
        AuditorError: for local access at the api tier, or an unknown backend.
    """
    if backend == "auto":
        backend = "local" if workspace.grants_access("weights") else "api"
    if backend == "local":
        return LocalAccess(workspace, batch_size=batch_size, device=device)
    if backend == "api":
        return ApiAccess(workspace)
    raise AuditorError(f"unknown backend {backend!r}", "choose auto, api or local")
