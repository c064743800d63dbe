"""auditgame.audit."""
