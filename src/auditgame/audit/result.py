"""The uniform result every audit technique returns, and its JSON report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from auditgame.artifacts import atomic_write_text, package_versions


class Finding(BaseModel):
    """One thing a technique surfaced: a sample, a document, a feature, a token."""

    kind: str = Field(description="E.g. 'sample', 'document', 'feature', 'token', 'cluster'.")
    text: str = Field(description="What a reader should look at.")
    score: float = Field(default=0.0, description="Technique-specific strength (higher = more notable).")
    metadata: dict[str, Any] = Field(default_factory=dict)


class TechniqueResult(BaseModel):
    """What a technique did and found. Serialised as the technique's JSON report."""

    technique: str
    target: str = Field(description="What was audited (model or corpus path).")
    config: dict[str, Any] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)
    metrics: dict[str, float] = Field(default_factory=dict)
    seconds: float = 0.0
    versions: dict[str, str] = Field(default_factory=package_versions)
    created_unix: float = Field(default_factory=time.time)

    def save(self, path: Path) -> Path:
        """Write the report as JSON, atomically. Returns the path."""
        atomic_write_text(Path(path), self.model_dump_json(indent=2) + "\n")
        return Path(path)

    @classmethod
    def load(cls, path: Path) -> TechniqueResult:
        """Read a report written by :meth:`save`."""
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))
