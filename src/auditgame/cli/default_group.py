"""A command group whose first argument falls back to a default command when it names no subcommand.

``auditgame eval RUN`` keeps evaluating an organism while ``auditgame eval persistence RUN`` runs the
persistence evals.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup


class DefaultCommandGroup(TyperGroup):
    """Runs ``default_command`` when the first argument is not a subcommand or an option."""

    default_command = "organism"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)
