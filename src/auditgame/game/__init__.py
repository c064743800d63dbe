"""The blind auditing game: sealed answer keys, tiered auditor workspaces, submissions and grading."""

from auditgame.game.client import GameClient, GameClientError
from auditgame.game.create import create_game
from auditgame.game.grading import grade_game, grade_submission
from auditgame.game.keys import AnswerKey, GameFile, GameNotFoundError, canonical_json, verify_commitment
from auditgame.game.leaderboard import leaderboard
from auditgame.game.reveal import GameIntegrityError, reveal
from auditgame.game.server import GameServer, GameServerError, ServerLimits, serve_game
from auditgame.game.submission import ModelFinding, Submission, load_submission

__all__ = [
    "AnswerKey",
    "GameClient",
    "GameClientError",
    "GameFile",
    "GameIntegrityError",
    "GameNotFoundError",
    "GameServer",
    "GameServerError",
    "ModelFinding",
    "ServerLimits",
    "Submission",
    "canonical_json",
    "create_game",
    "grade_game",
    "grade_submission",
    "leaderboard",
    "load_submission",
    "reveal",
    "serve_game",
    "verify_commitment",
]
