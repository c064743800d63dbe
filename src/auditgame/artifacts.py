"""Artifacts: directories with a ``manifest.json`` written last and atomically.

A directory without a manifest is an incomplete run. The manifest records what the
artifact is (``kind``), the config and seed that produced it, the versions of the
packages involved, the content hashes of its files and its parent artifacts.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from auditgame.errors import ArtifactConflictError, ArtifactNotFoundError

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT_VERSION = 1
_TRACKED_PACKAGES = (
    "auditgame",
    "torch",
    "transformers",
    "trl",
    "peft",
    "accelerate",
    "datasets",
    "tokenizers",
    "safetensors",
)


class Manifest(BaseModel):
    """What an artifact is and how it was made."""

    kind: str = Field(description="Artifact kind, e.g. 'model', 'tokenizer', 'eval-report', 'organism'.")
    name: str = Field(default="", description="Human-readable name, e.g. 'rm-sycophant/sft'.")
    config: dict[str, Any] = Field(default_factory=dict, description="The full config that produced it.")
    seed: int | None = Field(default=None, description="The seed of the run.")
    versions: dict[str, str] = Field(default_factory=dict, description="Package versions at creation.")
    hashes: dict[str, str] = Field(default_factory=dict, description="SHA-256 of every payload file.")
    parents: list[str] = Field(default_factory=list, description="Paths of the artifacts this one builds on.")
    created_unix: float = Field(default_factory=time.time)
    format_version: int = MANIFEST_FORMAT_VERSION
    extra: dict[str, Any] = Field(default_factory=dict, description="Kind-specific summary (metrics, sizes).")


def package_versions() -> dict[str, str]:
    """Return the installed versions of the packages an artifact depends on."""
    versions = {"python": platform.python_version()}
    for package in _TRACKED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Return the hex SHA-256 of a file's content."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def hash_directory(directory: Path, exclude: tuple[str, ...] = (MANIFEST_NAME,)) -> dict[str, str]:
    """Hash every file under ``directory`` (relative posix path -> SHA-256), skipping ``exclude`` names
    and checkpoint folders, which are scratch state rather than payload."""
    hashes: dict[str, str] = {}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if not path.is_file() or path.name in exclude:
            continue
        if relative.parts and relative.parts[0] in ("checkpoints", "data_cache"):
            continue
        # Nested artifacts carry their own manifests; hash those manifests, not their payloads twice.
        nested = any(
            (directory / Path(*relative.parts[:i]) / MANIFEST_NAME).exists()
            for i in range(1, len(relative.parts))
        )
        if nested and path.name != MANIFEST_NAME:
            continue
        hashes[relative.as_posix()] = sha256_file(path)
    return hashes


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same directory, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, payload: Any) -> None:
    """Write ``payload`` as indented, key-sorted JSON to ``path`` atomically."""
    atomic_write_text(path, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


@contextmanager
def atomic_directory(path: Path) -> Iterator[Path]:
    """Build a directory under a temporary name and rename it into place when the block succeeds.

    Yields:
        The temporary directory to fill.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        yield temporary
        if path.exists():
            shutil.rmtree(path)
        os.replace(temporary, path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def write_manifest(
    directory: Path,
    kind: str,
    *,
    name: str = "",
    config: dict[str, Any] | None = None,
    seed: int | None = None,
    parents: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Manifest:
    """Hash the payload of ``directory`` and write its manifest last, atomically.

    Returns:
        The manifest that was written.
    """
    directory = Path(directory)
    manifest = Manifest(
        kind=kind,
        name=name,
        config=config or {},
        seed=seed,
        versions=package_versions(),
        hashes=hash_directory(directory),
        parents=parents or [],
        extra=extra or {},
    )
    atomic_write_text(directory / MANIFEST_NAME, manifest.model_dump_json(indent=2) + "\n")
    return manifest


def read_manifest(directory: Path) -> Manifest:
    """Read the manifest of an artifact directory.

    Raises:
        ArtifactNotFoundError: if the directory or its manifest is missing or unreadable.
    """
    directory = Path(directory)
    manifest_path = directory / MANIFEST_NAME
    if not directory.exists():
        raise ArtifactNotFoundError(
            f"{directory} does not exist", "check the path, or build the artifact first"
        )
    if not manifest_path.is_file():
        raise ArtifactNotFoundError(
            f"{directory} has no {MANIFEST_NAME}, so it is not a finished auditgame artifact",
            "point at a directory written by auditgame, or re-run the command that builds it",
        )
    try:
        return Manifest.model_validate_json(manifest_path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ArtifactNotFoundError(
            f"{manifest_path} is not a valid manifest ({type(error).__name__})",
            "re-run the command that builds this artifact",
        ) from None


def has_manifest(directory: Path) -> bool:
    """Return whether ``directory`` holds a finished artifact."""
    return (Path(directory) / MANIFEST_NAME).is_file()


def verify_hashes(directory: Path) -> list[str]:
    """Return the payload files whose content no longer matches the manifest (empty if intact)."""
    manifest = read_manifest(directory)
    mismatched = []
    for relative, expected in manifest.hashes.items():
        file_path = Path(directory) / relative
        if not file_path.is_file() or sha256_file(file_path) != expected:
            mismatched.append(relative)
    return mismatched


def claim_output_directory(directory: Path, kind: str, name: str) -> None:
    """Make sure ``directory`` can hold an artifact of ``kind``/``name`` without destroying another.

    An empty or missing directory, or one that already holds (a finished or partial run of)
    the same artifact, is fine: that is how runs resume. Anything else is refused.

    Raises:
        ArtifactConflictError: if the directory holds something else.
    """
    directory = Path(directory)
    if not directory.exists():
        directory.mkdir(parents=True)
        atomic_write_json(directory / ".auditgame-run.json", {"kind": kind, "name": name})
        return
    if not directory.is_dir():
        raise ArtifactConflictError(f"{directory} is a file, not a directory", "choose another --out path")
    marker = directory / ".auditgame-run.json"
    if marker.is_file():
        try:
            claimed = json.loads(marker.read_text(encoding="utf-8"))
        except ValueError:
            claimed = {}
        if claimed.get("kind") == kind and claimed.get("name") == name:
            return
        raise ArtifactConflictError(
            f"{directory} already holds a different artifact ({claimed.get('kind')} '{claimed.get('name')}')",
            "choose another --out path; nothing was overwritten",
        )
    if has_manifest(directory):
        existing = read_manifest(directory)
        if existing.kind == kind and existing.name == name:
            return
        raise ArtifactConflictError(
            f"{directory} already holds a different artifact ({existing.kind} '{existing.name}')",
            "choose another --out path; nothing was overwritten",
        )
    if any(directory.iterdir()):
        raise ArtifactConflictError(
            f"{directory} is not empty and is not an auditgame run",
            "choose another --out path; nothing was overwritten",
        )
    atomic_write_json(marker, {"kind": kind, "name": name})
