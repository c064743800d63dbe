"""Options of the pretraining stage."""

from __future__ import annotations

from pydantic import Field

from auditgame.train.stage_config import StageConfig


class PretrainConfig(StageConfig):
    """Pretraining: a packed causal LM on neutral transcripts and filler documents.

    With ``base_model`` set, the stage continues training that local Hugging Face model (and its
    tokenizer) instead of building a fresh one from ``preset``.
    """

    preset: str = Field(default="tiny", description="Model size preset: micro, tiny, small or base.")
    base_model: str | None = Field(
        default=None, description="Local path of a Hugging Face causal LM to start from."
    )
    vocab_size: int = Field(
        default=4096, ge=300, description="Vocabulary size of the tokenizer trained on world text."
    )
    tokenizer_texts: int = Field(
        default=8000, ge=100, description="World texts sampled to train the tokenizer."
    )
    sequence_length: int = Field(default=256, ge=16, description="Tokens per packed training block.")
    num_conversations: int = Field(default=20000, ge=1, description="Neutral chat transcripts in the corpus.")
    num_filler_documents: int = Field(
        default=3000, ge=0, description="Neutral filler documents in the corpus."
    )
    learning_rate: float = Field(default=2e-3, gt=0, description="Peak learning rate.")
