"""Training stages as config + runner pairs: pretrain, midtrain, sft (TRL) and dpo (TRL).

Like TRL's trainers, a stage's config holds its hyperparameters and its runner takes the data:
``run_pretrain(config, out, texts=...)``, ``run_midtrain(config, parent, out, records=...)``,
``run_sft(config, parent, out, conversations=...)`` and ``run_dpo(config, parent, out, pairs=...)``.
Every stage is seeded, resumes from its newest checkpoint after a kill, runs under
``accelerate launch``, and writes a model directory with a manifest and ``data/train.jsonl``.
"""

from auditgame.train.data import TrainingDataError, read_stage_data
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
    "TrainingDataError",
    "pack_texts",
    "read_stage_data",
    "run_dpo",
    "run_midtrain",
    "run_pretrain",
    "run_sft",
    "train_causal_lm",
]
