"""auditgame.model."""
