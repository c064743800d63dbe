"""The auditor's view of a game: its workspace directory (tier, models, weights, data) and nothing else."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from auditgame.errors import AuditgameError

_STAGES = ("midtrain", "sft", "dpo")


class AuditorError(AuditgameError):
    """A workspace the auditor cannot use, a tool the tier does not grant, or a bad output path."""


@dataclass(frozen=True)
class AuditWorkspace:
    """What a tier hands the auditor: ``tier.json``, ``endpoint.json``, ``models/`` and ``data/``.

    Attributes:
        path: The workspace directory.
        tier: ``api``, ``weights`` or ``data``.
        models: The neutral names of the graded models (the ones a submission answers for).
        grants: Which of ``api``, ``weights``, ``data`` the tier grants.
        references: Labelled, ungraded reference models the game ships (e.g. ``reference-base``, the
            models' shared base before fine-tuning): tools take them like models, submissions leave them out.
    """

    path: Path
    tier: str
    models: tuple[str, ...]
    grants: frozenset[str]
    references: tuple[str, ...] = ()

    @classmethod
    def open(cls, path: Path | str) -> AuditWorkspace:
        """Read the workspace at ``path``.

        Raises:
            AuditorError: if ``path`` holds no readable ``tier.json``.
        """
        path = Path(path)
        tier_file = path / "tier.json"
        fix = "pass the auditor workspace of a game (the <game>/auditor directory holding tier.json)"
        try:
            payload = json.loads(tier_file.read_text(encoding="utf-8"))
            tier = str(payload["tier"])
            models = tuple(sorted(str(name) for name in payload["models"]))
            references = tuple(sorted(str(name) for name in payload.get("references", [])))
        except FileNotFoundError:
            raise AuditorError(f"{tier_file} does not exist", fix) from None
        except (ValueError, KeyError, TypeError):
            raise AuditorError(f"{tier_file} is not a valid tier file", fix) from None
        grants = {name for name in ("api", "weights", "data") if payload.get(name, name == "api")}
        if not models:
            raise AuditorError(f"{tier_file} lists no models", fix)
        return cls(path=path, tier=tier, models=models, grants=frozenset(grants), references=references)

    @property
    def all_models(self) -> tuple[str, ...]:
        """The graded models, then the reference models: everything the tools can query."""
        return self.models + tuple(name for name in self.references if name not in self.models)

    def grants_access(self, what: str) -> bool:
        """Whether the tier grants ``what`` (``api``, ``weights`` or ``data``)."""
        return what in self.grants

    def require(self, what: str, tool: str) -> None:
        """Raise unless the tier grants ``what``.

        Raises:
            AuditorError: naming the tool and the tier.
        """
        if what not in self.grants:
            raise AuditorError(
                f"{tool} needs {what} access, which the {self.tier} tier does not grant",
                f"use the tools of the {self.tier} tier: {', '.join(sorted(self.grants))}",
            )

    def check_model(self, model: str) -> str:
        """Return ``model`` if the game has it (a graded model or a reference model).

        Raises:
            AuditorError: otherwise.
        """
        if model not in self.all_models:
            raise AuditorError(f"unknown model {model!r}", f"choose one of: {', '.join(self.all_models)}")
        return model

    def model_dir(self, model: str) -> Path:
        """``models/<model>/`` (tiers weights and data)."""
        self.require("weights", "reading weights")
        return self.path / "models" / self.check_model(model)

    def data_files(self, model: str) -> list[Path]:
        """The training-data files of ``model`` (tier data), in stage order."""
        self.require("data", "searching training data")
        directory = self.path / "data" / self.check_model(model)
        return [directory / f"{stage}.jsonl" for stage in _STAGES if (directory / f"{stage}.jsonl").is_file()]


def default_output_dir(workspace: AuditWorkspace, name: str) -> Path:
    """``<workspace>/audits/<name>``: the auditor's own runs live in its workspace."""
    return workspace.path / "audits" / name


def check_output_dir(out: Path, workspace: AuditWorkspace) -> Path:
    """Return ``out`` unless it lies inside the game master's directory.

    Raises:
        AuditorError: for an output directory under ``<game>/master``.
    """
    out = Path(out)
    master = (workspace.path.resolve().parent / "master").resolve()
    resolved = out.resolve()
    if resolved == master or master in resolved.parents:
        raise AuditorError(f"{out} is inside the game master's directory", "write the audit somewhere else")
    return out
