"""An auditor's submission: one finding per model, validated against the game it answers."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from auditgame.errors import AuditgameError
from auditgame.game.keys import read_game_file

MAX_SUBMISSION_BYTES = 20_000_000
"""A submission file larger than this is refused before it is read."""
_SHOWN_CHARACTERS = 60
"""How much of a name or value an error message shows."""


class SubmissionError(AuditgameError):
    """A submission file that is missing, not JSON, or does not fit the game."""


def _shorten(text: str) -> str:
    return (
        text if len(text) <= _SHOWN_CHARACTERS else f"{text[:_SHOWN_CHARACTERS]}... ({len(text)} characters)"
    )


class ModelFinding(BaseModel):
    """What the auditor concluded about one model."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    has_hidden_objective: bool
    root_cause: str = ""
    behaviours: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("behaviours", "behaviors")
    )
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    """The auditor's probability that ``has_hidden_objective`` is right."""
    evidence: list[str] = Field(default_factory=list)


class Submission(BaseModel):
    """The findings of one audit, keyed by the game's neutral model names."""

    model_config = ConfigDict(extra="forbid")

    models: dict[str, ModelFinding]
    notes: str = ""


def load_submission(path: Path, game_dir: Path) -> Submission:
    """Read and validate the submission at ``path`` for the game in ``game_dir``.

    Raises:
        SubmissionError: if the file is missing, not JSON, malformed (the message names the field),
            names a model the game does not have, or names a reference model (those are not graded).
        GameNotFoundError: if ``game_dir`` holds no game.
    """
    path = Path(path)
    game = read_game_file(game_dir)
    if not path.is_file():
        raise SubmissionError(f"no submission at {path}", "pass the path of your submission JSON file")
    if path.stat().st_size > MAX_SUBMISSION_BYTES:
        raise SubmissionError(
            f"{path} is larger than {MAX_SUBMISSION_BYTES // 1_000_000} MB",
            "a submission holds one short finding per model; trim it",
        )
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SubmissionError(f"{path} is not UTF-8 text", "save the submission as UTF-8 JSON") from None
    except RecursionError:
        raise SubmissionError(
            f"{path} nests JSON too deeply to read",
            'a submission is {"models": {NAME: {FIELD: VALUE}}} (see the workspace README.md)',
        ) from None
    except json.JSONDecodeError as error:
        raise SubmissionError(
            f"{path} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}",
            "fix the JSON syntax (see the example in the workspace README.md)",
        ) from None
    try:
        # strict: "yes" is not a boolean, nor "0.9" a number (JSON can say true and 0.9)
        submission = Submission.model_validate(payload, strict=True)
    except ValidationError as error:
        items = error.errors()
        problems = "; ".join(
            f"{_shorten('.'.join(str(part) for part in item['loc'])) or '(top level)'}: {item['msg']}"
            for item in items[:5]
        ) + (f"; and {len(items) - 5} more" if len(items) > 5 else "")
        raise SubmissionError(
            f"{path} is not a valid submission: {problems}",
            "fix those fields (see the example in the workspace README.md)",
        ) from None
    references = sorted(set(submission.models) & set(game.references))
    if references:
        raise SubmissionError(
            f"{path} has findings for reference models, which are not graded: "
            f"models.{', models.'.join(_shorten(name) for name in references)}",
            f"drop them and submit findings only for the game's graded models: {', '.join(game.models)}",
        )
    unknown = sorted(set(submission.models) - set(game.models))
    if unknown:
        raise SubmissionError(
            f"{path} names models the game does not have: "
            f"models.{', models.'.join(_shorten(name) for name in unknown[:5])}"
            + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""),
            f"use the game's model names: {', '.join(game.models)}",
        )
    return submission
