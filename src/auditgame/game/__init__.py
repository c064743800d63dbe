"""auditgame.game."""
