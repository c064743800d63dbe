"""The blind auditing game: sealed answer keys, tiered auditor workspaces, submissions and grading."""

from auditgame.game.keys import AnswerKey, GameFile, GameNotFoundError, canonical_json, verify_commitment

__all__ = ["AnswerKey", "GameFile", "GameNotFoundError", "canonical_json", "verify_commitment"]
