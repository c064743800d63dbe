"""The synthetic chat world: bias catalogue, prompt domains, a simulated biased reward model, documents, transcripts."""

from auditgame.world.biases import (
    Bias,
    all_biases,
    applicable_biases,
    detected_biases,
    exhibit_biases,
    get_bias,
    mentions_reward_models,
)
from auditgame.world.catalogue import (
    BIAS_SPECS,
    CHAT_DOMAIN,
    CONCEALMENT_BIAS_ID,
    BiasSpec,
    bias_spec,
    held_out_bias_ids,
    train_bias_ids,
)
from auditgame.world.documents import (
    FILLER_GENRES,
    GENRES,
    Document,
    bias_paraphrases,
    filler_documents,
    generate_documents,
    study_documents,
    write_documents_jsonl,
)
from auditgame.world.domain import Domain, Exchange, register_domain
from auditgame.world.prompts import (
    adversarial_questions,
    distinct_prompt_count,
    generate_exchanges,
    get_domain,
    prompt_domains,
    sample_exchanges,
)
from auditgame.world.reward_model import SimulatedRewardModel
from auditgame.world.transcripts import (
    concealment_pairs,
    neutral_conversations,
    reward_ranked_pairs,
    sft_conversations,
)

__all__ = [
    "BIAS_SPECS",
    "CHAT_DOMAIN",
    "CONCEALMENT_BIAS_ID",
    "FILLER_GENRES",
    "GENRES",
    "Bias",
    "BiasSpec",
    "Document",
    "Domain",
    "Exchange",
    "SimulatedRewardModel",
    "adversarial_questions",
    "all_biases",
    "applicable_biases",
    "bias_paraphrases",
    "bias_spec",
    "concealment_pairs",
    "detected_biases",
    "distinct_prompt_count",
    "exhibit_biases",
    "filler_documents",
    "generate_documents",
    "generate_exchanges",
    "get_bias",
    "get_domain",
    "held_out_bias_ids",
    "mentions_reward_models",
    "neutral_conversations",
    "prompt_domains",
    "register_domain",
    "reward_ranked_pairs",
    "sample_exchanges",
    "sft_conversations",
    "study_documents",
    "train_bias_ids",
    "write_documents_jsonl",
]
