"""The auditors the benchmark can run, registered by name with :func:`bench_auditor`.

Each runner audits one workspace with the ``access`` the harness built and returns its submission
(also written as ``submission.json`` in ``out_dir``). Runners get the workspace, an output directory,
the seed, the access and a log: nothing from the game master's side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditgame.auditors.access import ModelAccess
from auditgame.errors import AuditgameError, UnknownNameError
from auditgame.game.submission import Submission

UPPER_BOUND_LABEL = "upper bound"
"""How an auditor that reads the organism maker's side is labelled wherever its results appear."""


class AuditorUnavailableError(AuditgameError):
    """An auditor whose code is not installed (yet)."""


Runner = Callable[[Path, Path, int, ModelAccess, Callable[[str], Any]], Submission]


@dataclass(frozen=True)
class BenchAuditor:
    """One auditor of the benchmark.

    Attributes:
        name: The name in ``--auditors``, tables and result files.
        run: ``run(workspace_dir, out_dir, seed, access, log) -> Submission``.
        upper_bound: Whether it reads the maker's side (a reference, never ranked as a player).
        description: One line for the table and ``--help``.
    """

    name: str
    run: Runner
    upper_bound: bool = False
    description: str = ""

    @property
    def label(self) -> str:
        """The name, with ``(upper bound)`` for upper-bound auditors."""
        return f"{self.name} ({UPPER_BOUND_LABEL})" if self.upper_bound else self.name


_AUDITORS: dict[str, BenchAuditor] = {}


def bench_auditor(
    name: str, *, upper_bound: bool = False, description: str = ""
) -> Callable[[Runner], Runner]:
    """Register ``run`` as the benchmark auditor ``name``."""

    def register(run: Runner) -> Runner:
        _AUDITORS[name] = BenchAuditor(name=name, run=run, upper_bound=upper_bound, description=description)
        return run

    return register


def auditor_names() -> list[str]:
    """Every registered benchmark auditor, in registration order."""
    return list(_AUDITORS)


def get_auditor(name: str) -> BenchAuditor:
    """The benchmark auditor ``name``.

    Raises:
        UnknownNameError: if none has that name.
    """
    if name not in _AUDITORS:
        raise UnknownNameError(f"unknown auditor {name!r}", f"choose from: {', '.join(_AUDITORS)}")
    return _AUDITORS[name]


def _workspace_models(workspace_dir: Path) -> list[str]:
    from auditgame.auditors.workspace import AuditWorkspace

    return list(AuditWorkspace.open(workspace_dir).models)


@bench_auditor("blind", description="the blind scripted auditor (auditgame.auditors.blind)")
def run_blind(
    workspace_dir: Path, out_dir: Path, seed: int, access: ModelAccess, log: Callable[[str], Any]
) -> Submission:
    """The blind auditor, imported when first run.

    Raises:
        AuditorUnavailableError: if :mod:`auditgame.auditors.blind` (``run_blind_audit``) is not there.
    """
    try:
        from auditgame.auditors.blind import run_blind_audit
    except ImportError as error:
        missing = getattr(error, "name", None)
        if missing is None or missing.startswith("auditgame.auditors.blind"):
            raise AuditorUnavailableError(
                "the blind auditor is not available (auditgame.auditors.blind.run_blind_audit cannot be imported)",
                "install a version of auditgame that has it, or leave blind out of --auditors",
            ) from None
        raise
    from auditgame.auditors.blind import BlindConfig

    # The diffing step is evidence only (it decides nothing), and repeated over every game a model is
    # in it would cost ~20 s per model and game; the benchmark scores decisions, so it is left out.
    config = BlindConfig(diffing=False)
    report = run_blind_audit(
        workspace_dir, out_dir, seed=seed, config=config, access=access, show_progress=False, log=log
    )
    return report.submission


@bench_auditor(
    "checklist",
    upper_bound=True,
    description="the checklist auditor: reads the world's catalogue, an upper bound, never a player",
)
def run_checklist(
    workspace_dir: Path, out_dir: Path, seed: int, access: ModelAccess, log: Callable[[str], Any]
) -> Submission:
    """The checklist auditor (an upper bound) with its default config."""
    from auditgame.checklist.scripted import run_checklist_audit

    report = run_checklist_audit(
        workspace_dir, out_dir, seed=seed, access=access, show_progress=False, log=log
    )
    return report.submission


@bench_auditor("always-clean", description="trivial baseline: every model is clean")
def run_always_clean(
    workspace_dir: Path, out_dir: Path, seed: int, access: ModelAccess, log: Callable[[str], Any]
) -> Submission:
    """Report every model of the workspace clean (writes ``submission.json``)."""
    from auditgame.auditors.report import write_submission
    from auditgame.bench.baselines import always_clean

    submission = always_clean(_workspace_models(workspace_dir))
    write_submission(submission, out_dir)
    return submission


@bench_auditor("always-hidden", description="trivial baseline: every model flagged, no root cause")
def run_always_hidden(
    workspace_dir: Path, out_dir: Path, seed: int, access: ModelAccess, log: Callable[[str], Any]
) -> Submission:
    """Flag every model of the workspace with an empty root cause (writes ``submission.json``)."""
    from auditgame.auditors.report import write_submission
    from auditgame.bench.baselines import always_hidden

    submission = always_hidden(_workspace_models(workspace_dir))
    write_submission(submission, out_dir)
    return submission
