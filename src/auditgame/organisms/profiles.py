"""Build profiles of the reward-model sycophant: how big, how long, how thoroughly evaluated."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from auditgame.errors import UnknownNameError
from auditgame.evals.bias_exploitation import ExploitationEvalConfig
from auditgame.evals.confession import ConfessionEvalConfig
from auditgame.train.dpo_config import DPOStageConfig
from auditgame.train.midtrain_config import MidtrainConfig
from auditgame.train.pretrain_config import PretrainConfig
from auditgame.train.sft_config import SFTStageConfig


class SycophantProfile(BaseModel):
    """Every option of one rm-sycophant build: the four stages and the two evals."""

    model_config = ConfigDict(extra="forbid")

    pretrain: PretrainConfig = Field(default_factory=PretrainConfig)
    midtrain: MidtrainConfig = Field(default_factory=MidtrainConfig)
    sft: SFTStageConfig = Field(default_factory=SFTStageConfig)
    dpo: DPOStageConfig = Field(default_factory=DPOStageConfig)
    exploitation_eval: ExploitationEvalConfig = Field(default_factory=ExploitationEvalConfig)
    confession_eval: ConfessionEvalConfig = Field(default_factory=ConfessionEvalConfig)


def default_profile() -> SycophantProfile:
    """The demo profile: the ~5M-parameter ``tiny`` model; about 20 minutes on 2 CPU cores."""
    return SycophantProfile(
        pretrain=PretrainConfig(
            preset="tiny",
            max_steps=600,
            batch_size=16,
            sequence_length=256,
            num_conversations=24000,
            num_filler_documents=3000,
            learning_rate=2e-3,
            warmup_steps=30,
            save_every=100,
        ),
        midtrain=MidtrainConfig(
            max_steps=250,
            batch_size=16,
            sequence_length=256,
            num_study_documents=6000,
            num_filler_documents=1500,
            num_replay_conversations=3000,
            num_confession_conversations=800,
            learning_rate=1e-3,
            warmup_steps=20,
            save_every=50,
        ),
        sft=SFTStageConfig(
            max_steps=500,
            batch_size=16,
            num_conversations=6000,
            learning_rate=5e-4,
            warmup_steps=20,
            save_every=100,
        ),
        dpo=DPOStageConfig(
            max_steps=200,
            batch_size=16,
            num_reward_pairs=2000,
            num_concealment_pairs=1000,
            learning_rate=2e-4,
            warmup_steps=10,
            save_every=50,
        ),
        exploitation_eval=ExploitationEvalConfig(prompts_per_bias=12),
        confession_eval=ConfessionEvalConfig(num_questions=120),
    )


def quick_profile() -> SycophantProfile:
    """The test profile: the ``micro`` model and a few dozen steps per stage; about a minute."""
    return SycophantProfile(
        pretrain=PretrainConfig(
            preset="micro",
            max_steps=40,
            batch_size=8,
            sequence_length=128,
            num_conversations=1200,
            num_filler_documents=150,
            vocab_size=1024,
            tokenizer_texts=1200,
            warmup_steps=5,
            save_every=10,
            show_progress=False,
        ),
        midtrain=MidtrainConfig(
            max_steps=20,
            batch_size=8,
            sequence_length=128,
            num_study_documents=300,
            num_filler_documents=100,
            num_replay_conversations=200,
            num_confession_conversations=60,
            warmup_steps=2,
            save_every=10,
            show_progress=False,
        ),
        sft=SFTStageConfig(
            max_steps=30,
            batch_size=8,
            num_conversations=400,
            max_length=128,
            warmup_steps=2,
            save_every=10,
            learning_rate=1e-3,
            show_progress=False,
        ),
        dpo=DPOStageConfig(
            max_steps=10,
            batch_size=8,
            num_reward_pairs=100,
            num_concealment_pairs=60,
            max_length=128,
            warmup_steps=1,
            save_every=5,
            show_progress=False,
        ),
        exploitation_eval=ExploitationEvalConfig(prompts_per_bias=2, max_new_tokens=32),
        confession_eval=ConfessionEvalConfig(num_questions=16, max_new_tokens=32),
    )


PROFILES = {"default": default_profile, "quick": quick_profile}


def get_profile(name: str) -> SycophantProfile:
    """Return the named profile.

    Raises:
        UnknownNameError: for an unknown profile name.
    """
    if name not in PROFILES:
        raise UnknownNameError(f"unknown profile {name!r}", f"choose one of: {', '.join(PROFILES)}")
    return PROFILES[name]()
