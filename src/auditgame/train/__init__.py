"""Training stages as config + runner pairs: pretrain, midtrain, sft (TRL) and dpo (TRL).

Every stage is seeded, resumes from its newest checkpoint after a kill, runs under
``accelerate launch``, and writes a model directory with a manifest.
"""

from auditgame.train.dpo import run_dpo
from auditgame.train.dpo_config import DPOStageConfig
from auditgame.train.lm_trainer import LMTrainResult, train_causal_lm
from auditgame.train.midtrain import run_midtrain
from auditgame.train.midtrain_config import MidtrainConfig
from auditgame.train.packing import pack_texts
from auditgame.train.pretrain import run_pretrain
from auditgame.train.pretrain_config import PretrainConfig
from auditgame.train.sft import run_sft
from auditgame.train.sft_config import SFTStageConfig
from auditgame.train.stage import StageResult
from auditgame.train.stage_config import StageConfig

__all__ = [
    "DPOStageConfig",
    "LMTrainResult",
    "MidtrainConfig",
    "PretrainConfig",
    "SFTStageConfig",
    "StageConfig",
    "StageResult",
    "pack_texts",
    "run_dpo",
    "run_midtrain",
    "run_pretrain",
    "run_sft",
    "train_causal_lm",
]
