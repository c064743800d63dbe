"""Sparse autoencoders on the residual stream: training, SAELens I/O, feature reading and steering.

The SAE module is EleutherAI sparsify's ``SparseCoder`` (TopK); the training loop, activation buffer,
SAELens-format save/load and feature tools are ours. The ``sae`` audit technique lives in
:mod:`auditgame.audit.sae.technique`.
"""

from auditgame.audit.sae.buffer import ActivationBuffer
from auditgame.audit.sae.config import SaeTrainConfig
from auditgame.audit.sae.features import (
    FeatureExample,
    FeatureScore,
    assistant_turn_start_features,
    corpus_maxima,
    features_active_on,
    top_activating_examples,
)
from auditgame.audit.sae.model import SaeDimensionError, TopKSAE
from auditgame.audit.sae.saelens import load_sae, save_sae
from auditgame.audit.sae.steering import steer
from auditgame.audit.sae.train import SaeTrainer, TrainingSummary, new_sae, train_sae, train_saes

__all__ = [
    "ActivationBuffer",
    "FeatureExample",
    "FeatureScore",
    "SaeDimensionError",
    "SaeTrainConfig",
    "SaeTrainer",
    "TopKSAE",
    "TrainingSummary",
    "assistant_turn_start_features",
    "corpus_maxima",
    "features_active_on",
    "load_sae",
    "new_sae",
    "save_sae",
    "steer",
    "top_activating_examples",
    "train_sae",
    "train_saes",
]
