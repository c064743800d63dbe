"""auditgame.world (public API re-exports pending)."""
