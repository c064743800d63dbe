"""Reading YAML/JSON config files into pydantic configs, with one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from auditgame.errors import ConfigError

ConfigType = TypeVar("ConfigType", bound=BaseModel)


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a YAML or JSON mapping from ``path``.

    Raises:
        ConfigError: if the file is missing, unparsable or not a mapping.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist", "check the path")
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        where = ""
        mark = getattr(error, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        elif isinstance(error, json.JSONDecodeError):
            where = f" at line {error.lineno}, column {error.colno}"
        raise ConfigError(
            f"config file {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}{where}",
            "fix the syntax and re-run",
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"config file {path} must hold a mapping of options, not a {type(data).__name__}",
            "write it as `key: value` lines",
        )
    return data


def deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``overrides`` merged in, recursively for nested mappings."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def apply_overrides(config: ConfigType, overrides: dict[str, Any], source: str = "config") -> ConfigType:
    """Return a copy of ``config`` with ``overrides`` applied and validated.

    Raises:
        ConfigError: naming the first invalid field.
    """
    try:
        return type(config).model_validate(deep_merge(config.model_dump(), overrides))
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            f"{source}: option '{location}': {first['msg']}", "fix that option and re-run"
        ) from None
