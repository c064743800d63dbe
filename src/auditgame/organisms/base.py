"""One shared pretrained base model for every organism, built once and found again by config hash.

The base is pretrained on neutral world text only (chat transcripts over ordinary domains and
filler documents), and its tokenizer is trained on the same kind of text, so neither the weights nor
the vocabulary name any organism's topic. Organisms start from it and add their own midtraining,
SFT and DPO data. A base lives at ``<cache>/bases/base-<hash>``, where ``<hash>`` is
:func:`base_config_hash` of its :class:`BaseModelConfig`; building it again is instant.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from auditgame.artifacts import CACHE_ENVIRONMENT_VARIABLE, default_cache_dir  # noqa: F401  (re-exported)
from auditgame.errors import UnknownNameError
from auditgame.train.pretrain_config import PretrainConfig


class BaseModelConfig(BaseModel):
    """How the shared base is built: the pretraining stage's options and its neutral corpus sizes.

    ``pretrain.seed`` also seeds the corpus and the tokenizer texts.
    """

    model_config = ConfigDict(extra="forbid")

    pretrain: PretrainConfig = Field(
        default_factory=PretrainConfig, description="Options of the pretraining stage."
    )
    num_conversations: int = Field(
        default=24000,
        ge=0,
        description="Neutral chat transcripts in the corpus (rendered with the chat template).",
    )
    num_filler_documents: int = Field(
        default=3000, ge=0, description="Neutral filler documents in the corpus."
    )
    tokenizer_texts: int = Field(
        default=8000, ge=100, description="Neutral world texts sampled to train the tokenizer."
    )


def _default_base() -> BaseModelConfig:
    """The demo base: the ~5M-parameter ``tiny`` model, 600 steps; about 10 minutes on 2 CPU cores."""
    return BaseModelConfig(
        pretrain=PretrainConfig(
            preset="tiny",
            max_steps=600,
            batch_size=16,
            sequence_length=256,
            learning_rate=2e-3,
            warmup_steps=30,
            save_every=100,
            vocab_size=4096,
        ),
        num_conversations=24000,
        num_filler_documents=3000,
        tokenizer_texts=8000,
    )


def _quick_base() -> BaseModelConfig:
    """The test base: the ``micro`` model and 40 steps; a few seconds."""
    return BaseModelConfig(
        pretrain=PretrainConfig(
            preset="micro",
            max_steps=40,
            batch_size=8,
            sequence_length=128,
            vocab_size=1024,
            warmup_steps=5,
            save_every=10,
            show_progress=False,
        ),
        num_conversations=1200,
        num_filler_documents=150,
        tokenizer_texts=1200,
    )


def _real_base() -> BaseModelConfig:
    """The real-model base: SmolLM2-135M-Instruct (prepared once by `auditgame model prepare smollm2-135m`),
    a short LoRA pass over the neutral world so it has seen the world's formats; minutes on 2 cores."""
    return BaseModelConfig(
        pretrain=PretrainConfig(
            base_model="smollm2-135m",
            lora_rank=16,
            max_steps=12,
            batch_size=4,
            sequence_length=256,
            learning_rate=2e-4,
            warmup_steps=2,
            save_every=6,
            log_every=2,
        ),
        num_conversations=600,
        num_filler_documents=150,
        tokenizer_texts=100,
    )


BASE_PROFILES: dict[str, Callable[[], BaseModelConfig]] = {
    "default": _default_base,
    "quick": _quick_base,
    "real": _real_base,
}
"""The named base configs."""


def base_profile(name: str) -> BaseModelConfig:
    """Return the named base config: ``default`` (the demo base), ``quick`` (for tests) or ``real`` (SmolLM2).

    Raises:
        UnknownNameError: for an unknown name.
    """
    if name not in BASE_PROFILES:
        raise UnknownNameError(f"unknown profile {name!r}", f"choose one of: {', '.join(BASE_PROFILES)}")
    return BASE_PROFILES[name]()


def neutral_tokenizer_texts(count: int, seed: int) -> list[str]:
    """Sample ``count`` neutral world texts to train the shared tokenizer on.

    About three quarters are message contents of neutral chat transcripts, the rest filler
    documents, shuffled. No organism's data is sampled (no study documents, no fine-tuning answers,
    no adversarial questions): the tokenizer is shared by every organism and must not name any
    organism's topic.

    Args:
        count: How many texts to return.
        seed: Seeds the transcripts, the documents and the shuffle.

    Returns:
        ``count`` texts (none if ``count`` is not positive).
    """
    from auditgame.world.conversations import neutral_conversations
    from auditgame.world.filler import filler_documents

    if count <= 0:
        return []
    conversation_texts = [
        message["content"]
        for messages in neutral_conversations(max(1, (3 * count) // 8), seed)
        for message in messages
    ][:count]
    texts = conversation_texts + [
        document.text for document in filler_documents(count - len(conversation_texts), seed)
    ]
    random.Random(seed).shuffle(texts)
    return texts


def base_corpus(config: BaseModelConfig, tokenizer: Any) -> list[str]:
    """The base's pretraining corpus: neutral transcripts rendered with ``tokenizer``'s chat template,
    and filler documents, shuffled (all seeded by ``config.pretrain.seed``).

    Args:
        config: The base config (its corpus sizes and seed).
        tokenizer: A tokenizer with a chat template.

    Returns:
        ``config.num_conversations + config.num_filler_documents`` texts.
    """
    from auditgame.world.conversations import neutral_conversations
    from auditgame.world.filler import filler_documents

    seed = config.pretrain.seed
    texts = [
        tokenizer.apply_chat_template(messages, tokenize=False)
        for messages in neutral_conversations(config.num_conversations, seed)
    ]
    texts += [document.text for document in filler_documents(config.num_filler_documents, seed)]
    random.Random(seed).shuffle(texts)
    return texts


def base_config_hash(config: BaseModelConfig) -> str:
    """The first 12 hex digits of the SHA-256 of ``config``'s canonical JSON, ``show_progress`` left out.

    Two configs that train the same base have the same hash.
    """
    payload = config.model_dump(mode="json")
    payload["pretrain"].pop("show_progress", None)
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def base_stage_name(config: BaseModelConfig) -> str:
    """The base's artifact name (and directory name in the cache): ``base-<hash>``."""
    return f"base-{base_config_hash(config)}"


def base_directory(config: BaseModelConfig, cache_dir: Path | None = None) -> Path:
    """Where the base of ``config`` lives in the cache: ``<cache_dir>/bases/base-<hash>``."""
    return (
        Path(cache_dir if cache_dir is not None else default_cache_dir()) / "bases" / base_stage_name(config)
    )


def build_base(
    config: BaseModelConfig,
    *,
    cache_dir: Path | None = None,
    directory: Path | None = None,
    restart: bool = False,
    log: Callable[[str], Any] = print,
) -> Path:
    """Build the base of ``config``, or find it already built, and return its model directory.

    The base goes to ``directory`` if given, else to :func:`base_directory` under ``cache_dir``
    (default :func:`default_cache_dir`). Once its manifest exists, this returns at once; an
    interrupted build resumes from its newest checkpoint. Works under ``accelerate launch``.

    Args:
        config: The base config.
        cache_dir: The cache directory (ignored when ``directory`` is given).
        directory: Build into this directory instead of the cache.
        restart: Discard checkpoints of an unfinished build and start over.
        log: Where progress lines go (main process only).

    Returns:
        The base's model directory (a ``save_pretrained`` directory with a manifest).

    Raises:
        ArtifactConflictError: if the directory holds another artifact (e.g. a base of another config).
    """
    from accelerate import PartialState

    from auditgame.artifacts import has_manifest, read_manifest
    from auditgame.train.pretrain import load_or_train_tokenizer, run_pretrain
    from auditgame.train.stage import prepare_stage

    name = base_stage_name(config)
    path = Path(directory) if directory is not None else base_directory(config, cache_dir)
    if has_manifest(path) and read_manifest(path).name == name:
        return path
    is_main = PartialState().is_main_process
    if prepare_stage(path, name, restart=restart):
        return path
    if is_main:
        log(f"building base model {name} in {path}")
    tokenizer_texts = (
        []
        if config.pretrain.base_model
        else neutral_tokenizer_texts(config.tokenizer_texts, config.pretrain.seed)
    )
    # The corpus is rendered with the tokenizer's chat template, so the tokenizer comes first; it is
    # saved under the stage's checkpoints, where run_pretrain finds it instead of training another.
    tokenizer = load_or_train_tokenizer(config.pretrain, path, tokenizer_texts)
    result = run_pretrain(
        config.pretrain,
        path,
        texts=base_corpus(config, tokenizer),
        tokenizer_texts=tokenizer_texts or None,
        stage_name=name,
    )
    if is_main:
        log(f"base model {name} ready: {result.path}")
    return result.path
