"""auditgame.cli."""
