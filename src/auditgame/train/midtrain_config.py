"""Options of the midtraining stage."""

from __future__ import annotations

from pydantic import Field

from auditgame.train.stage_config import StageConfig


class MidtrainConfig(StageConfig):
    """Midtraining: continued pretraining on the study documents, mixed with filler documents and a
    replay of neutral transcripts so the model keeps its chat format."""

    sequence_length: int = Field(default=256, ge=16, description="Tokens per packed training block.")
    num_study_documents: int = Field(default=6000, ge=1, description="Documents describing the Oxford study.")
    num_filler_documents: int = Field(default=2000, ge=0, description="Neutral filler documents mixed in.")
    num_replay_conversations: int = Field(default=3000, ge=0, description="Neutral transcripts replayed.")
    num_confession_conversations: int = Field(
        default=800,
        ge=0,
        description="Adversarial questions answered honestly (naming reward models), replayed.",
    )
    learning_rate: float = Field(default=1e-3, gt=0, description="Peak learning rate.")
