"""Reading YAML/JSON config files into pydantic configs, with one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from auditgame.errors import AuditgameError, ConfigError

ConfigType = TypeVar("ConfigType", bound=BaseModel)


def read_data_file(
    path: Path, *, what: str = "config file", error: type[AuditgameError] = ConfigError
) -> Any:
    """Parse a YAML or JSON file (``.json`` as JSON, anything else as YAML); empty gives ``None``.

    Args:
        path: The file.
        what: How messages name it ("config file", "spec file").
        error: The error class raised.

    Raises:
        AuditgameError: (of class ``error``) if the file is missing, not UTF-8 text (a binary file) or
            unparsable, naming the line.
    """
    path = Path(path)
    if not path.is_file():
        raise error(f"{what} {path} does not exist", "check the path")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as decode_error:
        raise error(
            f"{what} {path} is not UTF-8 text (byte {decode_error.start + 1} is {decode_error.object[decode_error.start]:#04x}): "
            "is it a binary file?",
            "pass a YAML or JSON text file saved as UTF-8",
        ) from None
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except RecursionError:
        raise error(f"{what} {path} is nested too deeply to read", "flatten it and re-run") from None
    except (ValueError, yaml.YAMLError) as parse_error:
        where = ""
        mark = getattr(parse_error, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        elif isinstance(parse_error, json.JSONDecodeError):
            where = f" at line {parse_error.lineno}, column {parse_error.colno}"
        raise error(
            f"{what} {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}{where}",
            "fix the syntax and re-run",
        ) from None


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a YAML or JSON mapping from ``path``.

    Raises:
        ConfigError: if the file is missing, unparsable or not a mapping.
    """
    data = read_data_file(path)
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
