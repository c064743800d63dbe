"""auditgame.auditors."""
