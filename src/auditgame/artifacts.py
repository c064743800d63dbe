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
from typing import Any, NamedTuple

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
    complete: bool = Field(
        default=False,
        description="Whether `hashes` covers every file of the directory (scratch folders aside), so that a "
        "file not in it was added later. False for manifests that hash chosen files only, and older ones.",
    )
    parents: list[str] = Field(default_factory=list, description="Paths of the artifacts this one builds on.")
    created_unix: float = Field(default_factory=time.time)
    format_version: int = MANIFEST_FORMAT_VERSION
    extra: dict[str, Any] = Field(default_factory=dict, description="Kind-specific summary (metrics, sizes).")


CACHE_ENVIRONMENT_VARIABLE = "AUDITGAME_CACHE"
"""Environment variable naming the cache directory (default ``~/.cache/auditgame``)."""


def default_cache_dir() -> Path:
    """``$AUDITGAME_CACHE`` if set, else ``~/.cache/auditgame`` (shared bases, prepared pretrained models)."""
    configured = os.environ.get(CACHE_ENVIRONMENT_VARIABLE)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "auditgame"


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


_SCRATCH_FOLDERS = ("checkpoints", "data_cache")
"""Top-level folders of an artifact that hold scratch state (resumable checkpoints, caches), not payload."""


def _walk_artifact(directory: Path) -> tuple[list[Path], list[Path]]:
    """The files ``directory``'s own manifest covers, and the nested artifact directories below it.

    A nested artifact is a subdirectory with its own ``manifest.json``: its payload belongs to that
    manifest, so the walk stops there. Scratch folders and the manifest itself are left out; symbolic
    links to directories are not followed.
    """
    files: list[Path] = []
    nested: list[Path] = []
    pending = [directory]
    while pending:
        current = pending.pop()
        with os.scandir(current) as entries:
            for entry in sorted(entries, key=lambda item: item.name):
                path = Path(entry.path)
                if entry.is_dir(follow_symlinks=False):
                    if current == directory and entry.name in _SCRATCH_FOLDERS:
                        continue
                    if (path / MANIFEST_NAME).is_file():
                        nested.append(path)
                    else:
                        pending.append(path)
                elif entry.is_file() and not (current == directory and entry.name == MANIFEST_NAME):
                    files.append(path)
    return sorted(files), sorted(nested)


def hash_directory(directory: Path, exclude: tuple[str, ...] = (MANIFEST_NAME,)) -> dict[str, str]:
    """Hash the payload of ``directory`` (relative posix path -> SHA-256).

    The payload is every file but the top-level ``exclude`` names and scratch folders (checkpoints,
    caches). A nested artifact (a subdirectory with its own manifest) is covered through the hash of
    its manifest, which in turn hashes its payload, so every byte below ``directory`` is accounted for.
    """
    directory = Path(directory)
    files, nested = _walk_artifact(directory)
    hashes: dict[str, str] = {}
    for path in files:
        relative = path.relative_to(directory).as_posix()
        if relative not in exclude:
            hashes[relative] = sha256_file(path)
    for child in nested:
        hashes[(child / MANIFEST_NAME).relative_to(directory).as_posix()] = sha256_file(child / MANIFEST_NAME)
    return dict(sorted(hashes.items()))


def _umask() -> int:
    """The process's umask (read without changing it where the system says it; else set and restored)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same directory, then rename).

    The file gets the permissions a plain ``open`` would give it (``0o666`` less the umask), not the
    temporary file's ``0o600``: what is private is kept private by its directory (a game's ``master/``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o666 & ~_umask())
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


def atomic_write_png(path: Path, figure: Any, *, dpi: int = 110) -> None:
    """Render a matplotlib ``figure`` as PNG to ``path`` atomically, then close it."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=dpi)
    finally:
        plt.close(figure)
    atomic_write_bytes(path, buffer.getvalue())


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
        temporary.chmod(0o777 & ~_umask())  # a plain mkdir's permissions, not mkdtemp's 0o700
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
        complete=True,
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


class ArtifactCheck(NamedTuple):
    """What :func:`verify_artifact` found; every path is relative to the verified directory."""

    changed: list[str]
    """Hashed files whose content no longer matches their manifest."""
    missing: list[str]
    """Hashed files that are gone."""
    added: list[str]
    """Files in an artifact whose manifest covers its whole directory, but not in that manifest."""
    unreadable: list[str]
    """Nested manifests that cannot be read (their payload could not be checked)."""
    uncovered: list[str]
    """Files that a manifest hashing chosen files only (or an older manifest) never vouched for."""
    manifests: int
    """How many manifests were read."""
    files: int
    """How many hashed files were checked."""

    @property
    def intact(self) -> bool:
        """Whether every file matches its manifest and nothing was added."""
        return not (self.changed or self.missing or self.added or self.unreadable)

    @property
    def problems(self) -> list[str]:
        """Every path that changed, is missing or cannot be checked (added files left out)."""
        return sorted({*self.changed, *self.missing, *self.unreadable})

    def describe(self, limit: int = 5) -> str:
        """One line: ``payload intact (...)`` or what changed, at most ``limit`` paths per kind."""

        def listed(label: str, paths: list[str]) -> str:
            more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
            return f"{label}: {', '.join(paths[:limit])}{more}"

        uncovered = f"; {listed('not in any manifest', self.uncovered)}" if self.uncovered else ""
        if self.intact:
            return f"payload intact ({self.files} files under {self.manifests} manifests){uncovered}"
        kinds = (
            ("changed", self.changed),
            ("missing", self.missing),
            ("unreadable manifest", self.unreadable),
            ("added", self.added),
        )
        return "changed since creation: " + "; ".join(listed(*kind) for kind in kinds if kind[1]) + uncovered


def verify_artifact(directory: Path) -> ArtifactCheck:
    """Re-hash an artifact and every nested artifact (a built organism's stages) against their manifests.

    Files no manifest lists count as added where the manifest covers its whole directory (every manifest
    :func:`write_manifest` writes), and are only listed as uncovered where it does not.

    Raises:
        ArtifactNotFoundError: if ``directory`` itself has no readable manifest.
    """
    directory = Path(directory)
    read_manifest(directory)
    changed: list[str] = []
    missing: list[str] = []
    added: list[str] = []
    unreadable: list[str] = []
    uncovered: list[str] = []
    counts = {"manifests": 0, "files": 0}

    def visit(root: Path) -> None:
        prefix = "" if root == directory else root.relative_to(directory).as_posix() + "/"
        try:
            manifest = read_manifest(root)
        except ArtifactNotFoundError:
            unreadable.append(prefix + MANIFEST_NAME)
            manifest = None
        files, nested = _walk_artifact(root)
        if manifest is not None:
            counts["manifests"] += 1
            for relative, expected in manifest.hashes.items():
                counts["files"] += 1
                path = root / relative
                if not path.is_file():
                    missing.append(prefix + relative)
                elif sha256_file(path) != expected:
                    changed.append(prefix + relative)
            covered = set(manifest.hashes)
            (added if manifest.complete else uncovered).extend(
                prefix + relative
                for relative in (path.relative_to(root).as_posix() for path in files)
                if relative not in covered
            )
        for child in nested:
            visit(child)

    visit(directory)
    return ArtifactCheck(
        changed=sorted(changed),
        missing=sorted(missing),
        added=sorted(added),
        unreadable=sorted(unreadable),
        uncovered=sorted(uncovered),
        manifests=counts["manifests"],
        files=counts["files"],
    )


def verify_hashes(directory: Path) -> list[str]:
    """Return the files, nested artifacts' included, that changed or are gone since the manifest (empty if intact).

    Files added since are not listed here; :func:`verify_artifact` reports them too.
    """
    return verify_artifact(directory).problems


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
