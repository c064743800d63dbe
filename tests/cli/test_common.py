"""Helpers shared by the CLI command groups."""

import pytest

from auditgame.cli.common import parse_named_values
from auditgame.errors import AuditgameError


def test_parse_named_values_strips_and_names_the_option_on_bad_input():
    assert parse_named_values([" a = runs/x ", "b=m"], "--reuse", "a=runs/a") == {"a": "runs/x", "b": "m"}
    for bad in ("no-separator", "=runs/x", "name=", " = "):
        with pytest.raises(AuditgameError) as error:
            parse_named_values([bad], "--reuse", "a=runs/a", "NAME=DIR")
        assert f"--reuse {bad!r} is not NAME=DIR" in str(error.value) and "--reuse a=runs/a" in str(
            error.value
        )
