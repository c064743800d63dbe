"""Create a blind auditing game: build (or reuse) the organisms, seal their keys, write the workspace.

Layout of a game directory::

    game.json            public: name, tier, neutral model names, one commitment per model and per other
                         master file, versions (and, with ``reference_base``, ``references: ["reference-base"]``)
    master/secret.txt    secret: 256 random bits (hex); names, decoy draw and salts derive from it
    master/spec.json     secret: tier, neutral name -> recipe, organism and model dirs, data files
                         (and the model directory of every reference model)
    master/salts.json    secret: the commitment salts (derived from the secret)
    master/keys/<m>.json secret: the answer key of model <m>
    auditor/             the auditor's workspace (see :mod:`auditgame.game.workspace`)

Everything but ``auditor/token.txt`` is a pure function of the secret and the inputs, so passing a game's
secret back in recreates it byte for byte.

``game.json`` is written last, atomically: it is the commit point, and a directory without it is an
unfinished ``create``. Key material is only ever written inside ``master/``, which holds the marker
``.incomplete`` (locked by the running ``create``) until ``game.json`` is in place; the next ``create`` of
the same directory removes what a killed one left (``master/`` and ``auditor/``), as well as the
``.<name>.*.tmp`` staging directories that earlier versions assembled games in beside the game.
"""

from __future__ import annotations

import json
import os
import shutil
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from auditgame.artifacts import (
    atomic_write_json,
    atomic_write_text,
    has_manifest,
    package_versions,
    read_manifest,
)
from auditgame.errors import ArtifactConflictError, AuditgameError, UnknownNameError
from auditgame.game.keys import (
    AUDITOR_DIR,
    GAME_FILE,
    GAME_FORMAT_VERSION,
    MASTER_DIR,
    SALTS_FILE,
    SECRET_FILE,
    SPEC_FILE,
    AnswerKey,
    GameFile,
    canonical_json,
    check_secret,
    commitment,
    derive_salt,
    format_secret,
    master_commitments,
    new_secret,
    organism_answer_key,
    read_secret,
    secret_order,
)
from auditgame.game.workspace import (
    DATA_STAGES,
    DEFAULT_PORT,
    REFERENCE_BASE,
    GameSpec,
    ModelEntry,
    ReferenceEntry,
    build_workspace,
    check_shared_tokenizer,
    check_tier,
)

DEFAULT_GAME_NAME = "auditing-game"
INCOMPLETE_MARKER = ".incomplete"
"""In ``master/`` while a ``create`` writes the game (locked by it); removed once ``game.json`` is in place."""
_GAME_PARTS = (MASTER_DIR, AUDITOR_DIR)
"""What a ``create`` writes into the game directory before ``game.json``: all an unfinished one can leave."""


def neutral_names(count: int) -> list[str]:
    """``model-a``, ``model-b``, ... (``model-aa`` onwards past 26)."""
    letters = string.ascii_lowercase
    names = []
    for index in range(count):
        suffix = letters[index % 26]
        if index >= 26:
            suffix = letters[index // 26 - 1] + suffix
        names.append(f"model-{suffix}")
    return names


def decoy_recipe_names() -> list[str]:
    """Registered organisms with no hidden objective (their specs say ``has_hidden_objective: false``)."""
    from auditgame.organisms.registry import decoy_names

    return decoy_names()


def choose_decoys(count: int, secret: bytes, reused: list[str] | None = None) -> list[str]:
    """``count`` decoy recipes: reused (already built) ones first, the rest drawn by the game ``secret``.

    Raises:
        UnknownNameError: if fewer than ``count`` decoy recipes are registered.
    """
    available = decoy_recipe_names()
    if count < 0:
        raise AuditgameError(f"--decoys must be 0 or more, not {count}", "pass --decoys 0, 1, 2, ...")
    if count > len(available):
        raise UnknownNameError(
            f"{count} decoys asked for but only {len(available)} decoy recipes exist ({', '.join(available) or 'none'})",
            f"pass --decoys {len(available)} or fewer",
        )
    preferred = [name for name in available if name in (reused or [])][:count]
    rest = [name for name in available if name not in preferred]
    return sorted(preferred + secret_order(secret, "decoys", rest)[: count - len(preferred)])


def create_game(
    out_dir: Path,
    *,
    organism: str | None,
    decoys: int = 2,
    tier: str = "data",
    secret: bytes | None = None,
    profile: str = "default",
    organism_dirs: dict[str, Path] | None = None,
    build_root: Path = Path("runs/organisms"),
    name: str = DEFAULT_GAME_NAME,
    port: int = DEFAULT_PORT,
    decoy_names: list[str] | None = None,
    log: Callable[..., Any] = print,
    show_progress: bool = True,
    reference_base: bool = False,
) -> Path:
    """Create a game in ``out_dir`` with the organism ``organism`` and ``decoys`` decoys.

    With ``organism=None`` the game holds decoys only (a false-positive pool): the first decoy then
    plays the real organism's part (the others are built from its base, ``reference_base`` ships its base).

    Args:
        out_dir: The game directory (must not exist, be empty, or hold this very game).
        organism: The recipe of the real organism, or None for a game of decoys only.
        decoys: How many decoy recipes (names starting with ``decoy-``) to add.
        tier: What the auditor gets: ``api``, ``weights`` or ``data``.
        secret: The game's secret (at least 128 bits; neutral names, decoy draw and salts derive from
            it), e.g. :func:`~auditgame.game.keys.read_secret` of a game's ``master/secret.txt`` to
            recreate that game byte for byte. By default the secret of the game already in ``out_dir``
            (so a finished game is found again), else a fresh 256-bit one. Never a small number: anyone
            who can enumerate the secret recovers the mapping from ``game.json`` and the answer keys.
        profile: Build profile of organisms that have to be built.
        organism_dirs: Already built organisms to reuse (recipe name -> organism or model directory).
        build_root: Where organisms that have to be built go (``<build_root>/<recipe>-<profile>``).
        name: The game's public name.
        port: The API port written to ``endpoint.json`` (the server may be started on another).
        decoy_names: Exactly these decoy recipes instead of drawing ``decoys`` of them.
        log: Where progress lines go.
        show_progress: Show progress bars while building.
        reference_base: Also ship the real organism's pretrained base, the model it was fine-tuned
            from, as the labelled, ungraded reference model ``reference-base`` (no answer key, no
            commitment), so auditors can contrast each model with a known-clean one.

    Returns:
        ``out_dir``.

    Raises:
        ArtifactConflictError: if ``out_dir`` holds something other than this game, or another
            ``create`` is writing it right now.
        AuditgameError: with ``reference_base``, if the real organism's records name no base model;
            if the game's models do not share one tokenizer.
        GameSecretError: if ``secret`` has fewer than 128 bits.
    """
    out_dir = Path(out_dir)
    check_tier(tier)
    _remove_unfinished(out_dir, log)  # first: a game finished just before a kill keeps its secret
    secret = check_secret(secret) if secret is not None else (_existing_secret(out_dir) or new_secret())
    organism_dirs = {recipe: Path(path) for recipe, path in (organism_dirs or {}).items()}
    recipes = ([organism] if organism is not None else []) + (
        sorted(decoy_names) if decoy_names is not None else choose_decoys(decoys, secret, list(organism_dirs))
    )
    if not recipes:
        raise AuditgameError("the game would hold no model", "pass an organism, or one decoy or more")
    if len(set(recipes)) != len(recipes):
        raise AuditgameError(
            f"the game would hold the same recipe twice ({', '.join(recipes)})", "choose distinct organisms"
        )
    unknown = [recipe for recipe in recipes if recipe not in _registered()]
    if unknown:
        raise UnknownNameError(
            f"unknown organism {unknown[0]!r}", f"choose one of: {', '.join(_registered())}"
        )
    _refuse_foreign_directory(out_dir)

    # The real organism first: decoys start from its pretrained base (same base model and tokenizer).
    first = recipes[0]  # the real organism; with none, the first decoy
    built = {first: _organism_dir(first, organism_dirs, build_root, profile, log, show_progress)}
    # Found before the decoys are built, so a missing base fails fast.
    references = (
        {REFERENCE_BASE: ReferenceEntry(model_dir=str(find_base_model(built[first], first)))}
        if reference_base
        else {}
    )
    for reference, entry in references.items():
        log(f"shipping {first}'s base model {entry.model_dir} as the ungraded reference {reference}")
    for recipe in recipes[1:]:
        built[recipe] = _organism_dir(
            recipe, organism_dirs, build_root, profile, log, show_progress, base_dir=built[first]
        )
    names = neutral_names(len(recipes))
    shuffled = secret_order(secret, "names", recipes)
    spec = GameSpec(
        name=name,
        tier=tier,
        profile=profile,
        port=port,
        models={
            model: _model_entry(recipe, built[recipe]) for model, recipe in zip(names, shuffled, strict=True)
        },
        references=references,
    )
    check_shared_tokenizer(
        {
            **{f"{model} ({entry.organism})": Path(entry.model_dir) for model, entry in spec.models.items()},
            **{reference: Path(entry.model_dir) for reference, entry in references.items()},
        }
    )
    keys = {model: _answer_key(model, entry.organism) for model, entry in spec.models.items()}
    salts = {model: derive_salt(secret, model) for model in names}
    game = GameFile(
        format_version=GAME_FORMAT_VERSION,
        name=name,
        tier=tier,
        models=names,
        references=sorted(references),
        commitments={model: commitment(keys[model], salts[model]) for model in names},
        master_commitments=master_commitments(secret, spec, salts),
        versions=package_versions(),
    )

    existing = _existing_game(out_dir)
    if existing == (b"", b"") and _game_format(out_dir) < GAME_FORMAT_VERSION:
        raise ArtifactConflictError(
            f"{out_dir} holds a game made by an older auditgame (game format {_game_format(out_dir)}, "
            "names and salts from a seed that can be brute-forced)",
            "choose another --out path, or delete it and create the game again; nothing was overwritten",
        )
    if existing is not None:
        if existing == (canonical_json(game), canonical_json(spec)):
            log(f"{out_dir} already holds this game; nothing to do.")
            return out_dir
        raise ArtifactConflictError(
            f"{out_dir} already holds a different game",
            "choose another --out path, or the same options and --secret-file as before; "
            "nothing was overwritten",
        )
    _write_game(out_dir, secret=secret, spec=spec, keys=keys, salts=salts, game=game, log=log)
    log(
        f"game written to {out_dir}: hand {out_dir / AUDITOR_DIR} to the auditor, keep {out_dir / MASTER_DIR}."
    )
    return out_dir


def _answer_key(model: str, recipe: str) -> AnswerKey:
    payload = organism_answer_key(recipe)
    return AnswerKey(
        model=model, **{k: v for k, v in payload.items() if k in AnswerKey.model_fields and k != "model"}
    )


def _registered() -> list[str]:
    from auditgame.organisms.registry import organism_names

    return organism_names()


def _write_game(
    out_dir: Path,
    *,
    secret: bytes,
    spec: GameSpec,
    keys: dict[str, AnswerKey],
    salts: dict[str, str],
    game: GameFile,
    log: Callable[..., Any],
) -> None:
    """Write the game into ``out_dir``: ``master/`` (locked marker first), the workspace, ``game.json`` last.

    An exception removes what was written; a kill leaves ``master/.incomplete``, whose lock died with the
    process, for the next ``create`` to clean up. Key material never leaves ``master/``.
    """
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    master = out_dir / MASTER_DIR
    try:
        master.mkdir(mode=0o700)  # the game master's only
    except FileExistsError:
        raise ArtifactConflictError(
            f"{master} appeared while the game was being prepared: another `game create` is writing {out_dir}",
            "wait for it to finish, or choose another --out path",
        ) from None
    try:
        with _locked(master / INCOMPLETE_MARKER, create=True):
            atomic_write_text(master / SECRET_FILE, format_secret(secret))
            for model, key in keys.items():
                atomic_write_json(master / "keys" / f"{model}.json", key.model_dump(mode="json"))
            atomic_write_json(master / SALTS_FILE, salts)
            atomic_write_json(master / SPEC_FILE, spec.model_dump(mode="json"))
            log(f"writing the {spec.tier}-tier auditor workspace ...")
            build_workspace(out_dir / AUDITOR_DIR, spec)
            atomic_write_text(out_dir / GAME_FILE, game.model_dump_json(indent=2) + "\n")  # the commit point
    except BaseException:
        if not (out_dir / GAME_FILE).is_file():
            for part in _GAME_PARTS:
                shutil.rmtree(out_dir / part, ignore_errors=True)
            if created:
                shutil.rmtree(out_dir, ignore_errors=True)
        raise
    (master / INCOMPLETE_MARKER).unlink(missing_ok=True)


@contextmanager
def _locked(marker: Path, *, create: bool = False) -> Iterator[bool]:
    """Hold an exclusive, non-blocking lock on ``marker``; yields whether it was acquired.

    The lock (``flock``) dies with its process, even under ``kill -9``, so a marker that can be locked
    belongs to no running ``create``. Where ``flock`` does not exist, every lock is acquired.
    """
    flags = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | (os.O_CREAT | os.O_EXCL if create else 0)
    descriptor = os.open(marker, flags, 0o600)
    try:
        if create:
            os.write(descriptor, b"an `auditgame game create` is writing this game, or was killed doing so\n")
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            yield True
            return
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _remove_unfinished(out_dir: Path, log: Callable[..., Any]) -> None:
    """Remove what an interrupted ``create`` of ``out_dir`` left: its parts and old staging directories.

    Raises:
        ArtifactConflictError: if another ``create`` is writing ``out_dir`` right now.
    """
    resolved = out_dir.resolve()
    if resolved.parent.is_dir() and resolved.name:
        prefix = f".{resolved.name}."
        for staging in sorted(resolved.parent.iterdir()):
            # Earlier versions assembled the game (keys included) in <parent>/.<name>.XXXXXXXX.tmp.
            if (
                staging.name.startswith(prefix)
                and staging.name.endswith(".tmp")
                and staging.is_dir()
                and not staging.is_symlink()
                and any((staging / part).exists() for part in (*_GAME_PARTS, GAME_FILE))
            ):
                log(f"removing {staging}, left by an interrupted `game create`")
                shutil.rmtree(staging, ignore_errors=True)
    marker = out_dir / MASTER_DIR / INCOMPLETE_MARKER
    if not marker.is_file():
        return
    with _locked(marker) as acquired:
        if not acquired:
            raise ArtifactConflictError(
                f"another `auditgame game create` is writing {out_dir} right now",
                "wait for it to finish, or choose another --out path",
            )
        if (out_dir / GAME_FILE).is_file():  # killed after the commit point: the game is whole
            marker.unlink(missing_ok=True)
            return
        log(f"removing the unfinished game in {out_dir}, left by an interrupted `game create`")
        for part in _GAME_PARTS:
            shutil.rmtree(out_dir / part, ignore_errors=True)


def _existing_secret(out_dir: Path) -> bytes | None:
    """The secret of the finished game in ``out_dir``, if it holds one with a readable secret."""
    if not (out_dir / GAME_FILE).is_file() or (out_dir / MASTER_DIR / INCOMPLETE_MARKER).exists():
        return None
    try:
        return read_secret(out_dir / MASTER_DIR / SECRET_FILE)
    except AuditgameError:
        return None


def _refuse_foreign_directory(out_dir: Path) -> None:
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise ArtifactConflictError(f"{out_dir} is a file, not a directory", "choose another --out path")
    if any(out_dir.iterdir()) and not (out_dir / GAME_FILE).is_file():
        raise ArtifactConflictError(
            f"{out_dir} is not empty and holds no game", "choose another --out path; nothing was overwritten"
        )


def _existing_game(out_dir: Path) -> tuple[bytes, bytes] | None:
    """(canonical game.json, canonical spec.json) of the game in ``out_dir``, or None if there is none."""
    if not (out_dir / GAME_FILE).is_file():
        return None
    try:
        game = GameFile.model_validate_json((out_dir / GAME_FILE).read_text(encoding="utf-8"))
        spec = GameSpec.model_validate_json((out_dir / MASTER_DIR / SPEC_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return (b"", b"")  # unreadable, or made by an older version: a different game, never overwritten
    return canonical_json(game), canonical_json(spec)


def _game_format(out_dir: Path) -> int:
    """The ``format_version`` of ``<out_dir>/game.json`` (the current one if unreadable or absent)."""
    try:
        version = json.loads((out_dir / GAME_FILE).read_text(encoding="utf-8")).get("format_version")
    except (OSError, ValueError, AttributeError):
        return GAME_FORMAT_VERSION
    return version if isinstance(version, int) else GAME_FORMAT_VERSION


def _organism_dir(
    recipe: str,
    organism_dirs: dict[str, Path],
    build_root: Path,
    profile: str,
    log: Callable[..., Any],
    show_progress: bool,
    base_dir: Path | None = None,
) -> Path:
    """The directory of ``recipe``'s organism: reused if given, else built (or resumed) under ``build_root``.

    A decoy is built from ``base_dir`` (the real organism, whose pretrain stage it reuses).
    """
    if recipe in organism_dirs:
        directory = organism_dirs[recipe]
        if not directory.exists():
            raise AuditgameError(
                f"the organism directory given for {recipe} ({directory}) does not exist",
                f"build it first (auditgame organism build {recipe} --out {directory}) or drop --reuse",
            )
        log(f"reusing {recipe} from {directory}")
        return directory.resolve()
    from auditgame.organisms.registry import get_organism

    directory = Path(build_root) / f"{recipe}-{profile}"
    log(f"building {recipe} ({profile} profile) in {directory} ...")
    options: dict[str, Any] = {"base_dir": base_dir} if base_dir is not None else {}
    get_organism(recipe).build(directory, profile, log=log, show_progress=show_progress, **options)
    return directory.resolve()


def _model_entry(recipe: str, organism_dir: Path) -> ModelEntry:
    """Where the final model and the fine-tuning data of the organism in ``organism_dir`` are."""
    from auditgame.model.loading import resolve_model_dir

    model_dir = resolve_model_dir(organism_dir)
    data_root = organism_dir
    parent = organism_dir.resolve().parent
    if has_manifest(parent) and read_manifest(parent).kind == "organism":
        data_root = parent  # a stage directory of an organism: the data are in the sibling stages
    data_files = {
        stage: str((data_root / stage / "data" / "train.jsonl").resolve())
        for stage in DATA_STAGES
        if (data_root / stage / "data" / "train.jsonl").is_file()
    }
    return ModelEntry(
        organism=recipe,
        organism_dir=str(organism_dir),
        model_dir=str(model_dir.resolve()),
        data_files=data_files,
    )


def find_base_model(organism_dir: Path, recipe: str) -> Path:
    """The pretrained base the organism in ``organism_dir`` was fine-tuned from, found from its records.

    The organism's manifest names its base stage (``extra.base_model``, the copy of the shared base its
    first fine-tuning stage started from) and the shared base itself (``extra.shared_base``); failing
    both, its ``plan.json`` gives the shared base's config, whose cache directory is tried last.

    Args:
        organism_dir: The organism directory, or one of its stage directories.
        recipe: The organism's recipe name (for the error message).

    Returns:
        The base's model directory (it holds ``config.json``).

    Raises:
        AuditgameError: if no record leads to a model directory.
    """
    root = _organism_root(Path(organism_dir))
    candidates: list[Path] = []
    if root is not None:
        extra = read_manifest(root).extra
        if isinstance(extra.get("base_model"), str):
            candidates.append(root / extra["base_model"])
        if isinstance(extra.get("shared_base"), str):
            candidates.append(Path(extra["shared_base"]))
        candidates += _planned_base(root)
    for candidate in candidates:
        if (candidate / "config.json").is_file():
            return candidate.resolve()
    raise AuditgameError(
        f"cannot find the base model {recipe} was fine-tuned from: {organism_dir} is not an organism "
        "directory whose manifest or plan.json names a base that exists",
        f"pass {recipe}'s own organism directory (built by `auditgame organism build`) with --reuse, "
        "rebuild its shared base, or drop --reference-base",
    )


def _organism_root(directory: Path) -> Path | None:
    """The organism directory of ``directory`` (itself or, for a stage directory, its parent), if any."""
    for candidate in (directory, directory.resolve().parent):
        if has_manifest(candidate) and read_manifest(candidate).kind == "organism":
            return candidate
    return None


def _planned_base(root: Path) -> list[Path]:
    """The cache directory of the shared base named by ``<root>/plan.json`` (none if unreadable)."""
    from auditgame.organisms.base import BaseModelConfig, base_directory

    try:
        plan = json.loads((root / "plan.json").read_text(encoding="utf-8"))
        return [base_directory(BaseModelConfig.model_validate(plan["base"]))]
    except (OSError, ValueError, KeyError, TypeError):
        return []
