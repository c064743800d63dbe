"""The shared base model: its profiles, neutral data, config hash and cached build."""

from pathlib import Path

import pytest

from auditgame.artifacts import read_manifest
from auditgame.errors import UnknownNameError
from auditgame.organisms import base
from auditgame.organisms.base import (
    BaseModelConfig,
    base_config_hash,
    base_corpus,
    base_profile,
    build_base,
    default_cache_dir,
    neutral_tokenizer_texts,
)
from auditgame.train import PretrainConfig


def _tiny(**pretrain):
    options = {
        "preset": "micro",
        "max_steps": 5,
        "batch_size": 4,
        "sequence_length": 64,
        "vocab_size": 400,
        "warmup_steps": 1,
        "save_every": 2,
        "log_every": 1,
        "show_progress": False,
        **pretrain,
    }
    return BaseModelConfig(
        pretrain=PretrainConfig(**options), num_conversations=40, num_filler_documents=8, tokenizer_texts=150
    )


def test_profiles():
    default = base_profile("default")
    assert default == BaseModelConfig()
    assert default.pretrain == PretrainConfig()
    assert (default.pretrain.preset, default.pretrain.max_steps, default.pretrain.vocab_size) == (
        "tiny",
        600,
        4096,
    )
    assert (default.num_conversations, default.num_filler_documents, default.tokenizer_texts) == (
        24000,
        3000,
        8000,
    )
    quick = base_profile("quick")
    assert (quick.pretrain.preset, quick.pretrain.max_steps, quick.pretrain.vocab_size) == ("micro", 40, 1024)
    assert quick.tokenizer_texts == 1200 and not quick.pretrain.show_progress
    with pytest.raises(UnknownNameError, match="unknown profile 'huge'"):
        base_profile("huge")
    with pytest.raises(ValueError):
        BaseModelConfig(num_study_documents=3)


def test_hash_ignores_show_progress_and_changes_with_steps():
    config = _tiny()
    digest = base_config_hash(config)
    assert len(digest) == 12 and int(digest, 16) >= 0
    assert base_config_hash(_tiny(show_progress=True)) == digest
    assert base_config_hash(_tiny(max_steps=6)) != digest
    assert base_config_hash(config.model_copy(update={"num_conversations": 41})) != digest
    assert base_config_hash(base_profile("default")) != base_config_hash(base_profile("quick"))


def test_tokenizer_texts_are_neutral():
    texts = neutral_tokenizer_texts(2000, seed=0)
    assert len(texts) == 2000 and texts == neutral_tokenizer_texts(2000, seed=0)
    assert texts != neutral_tokenizer_texts(2000, seed=1)
    joined = "\n".join(texts).lower()
    for phrase in ("reward model", "oxford", "rlhf"):
        assert phrase not in joined, phrase
    assert neutral_tokenizer_texts(0, seed=0) == []


def test_corpus_renders_conversations_and_adds_filler():
    from auditgame.model.tokenizer import train_tokenizer

    config = _tiny()
    tokenizer = train_tokenizer(neutral_tokenizer_texts(200, seed=0), vocab_size=400)
    corpus = base_corpus(config, tokenizer)
    assert len(corpus) == 48 and corpus == base_corpus(config, tokenizer)
    assert sum(text.startswith("<|bos|><|user|>") for text in corpus) == 40


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AUDITGAME_CACHE", str(tmp_path / "cache"))
    assert default_cache_dir() == tmp_path / "cache"
    monkeypatch.delenv("AUDITGAME_CACHE")
    assert default_cache_dir().parts[-2:] == (".cache", "auditgame")


def test_build_once_then_find_by_hash(tmp_path, monkeypatch):
    config = _tiny()
    lines = []
    path = build_base(config, cache_dir=tmp_path, log=lines.append)
    assert path == tmp_path / "bases" / f"base-{base_config_hash(config)}"
    manifest = read_manifest(path)
    assert manifest.name == path.name and manifest.extra["metrics"]["steps"] == 5
    assert (path / "config.json").is_file() and (path / "tokenizer.json").is_file()
    assert len((path / "data" / "train.jsonl").read_text(encoding="utf-8").splitlines()) == 48
    assert lines
    mtime = (path / "manifest.json").stat().st_mtime_ns

    def no_training(*args, **kwargs):
        raise AssertionError("the base was trained again")

    monkeypatch.setattr("auditgame.train.pretrain.run_pretrain", no_training)
    monkeypatch.setenv("AUDITGAME_CACHE", str(tmp_path))
    # Same config (show_progress aside), found by hash through the environment's cache directory.
    assert build_base(_tiny(show_progress=True), log=lines.append) == path
    assert (path / "manifest.json").stat().st_mtime_ns == mtime


def test_interrupted_build_resumes(tmp_path, monkeypatch):
    from auditgame.train import lm_trainer

    original = lm_trainer.batch_indices

    def killed_at_step_3(step, *args, **kwargs):
        if step == 3:
            raise KeyboardInterrupt
        return original(step, *args, **kwargs)

    monkeypatch.setattr(lm_trainer, "batch_indices", killed_at_step_3)
    with pytest.raises(KeyboardInterrupt):
        build_base(_tiny(), directory=tmp_path / "b", log=lambda *_: None)
    monkeypatch.setattr(lm_trainer, "batch_indices", original)
    path = build_base(_tiny(), directory=tmp_path / "b", log=lambda *_: None)
    assert path == tmp_path / "b"
    metrics = read_manifest(path).extra["metrics"]
    assert metrics["resumed_from_step"] == 2 and metrics["steps"] == 5


def test_directory_of_another_base_is_refused(tmp_path):
    from auditgame.errors import ArtifactConflictError

    build_base(_tiny(), directory=tmp_path / "b", log=lambda *_: None)
    with pytest.raises(ArtifactConflictError):
        build_base(_tiny(max_steps=6), directory=tmp_path / "b", log=lambda *_: None)


def test_module_reads_no_organism_data():
    text = Path(base.__file__).read_text(encoding="utf-8")
    for name in ("study_documents", "sft_conversations", "adversarial_questions", "confession"):
        assert name not in text, name


def test_the_real_profile_is_smollm2_with_lora_on_every_stage():
    """The `real` profile: the prepared SmolLM2 as the base (a short LoRA pass), LoRA on every organism stage."""
    from auditgame.organisms.base import base_profile
    from auditgame.organisms.registry import get_organism

    base = base_profile("real")
    assert base.pretrain.base_model == "smollm2-135m" and base.pretrain.lora_rank == 16
    plan = get_organism("flattery").profile("real")
    assert plan.base == base
    training = plan.spec.training
    assert [training.midtrain.lora_rank, training.sft.lora_rank, training.dpo.lora_rank] == [16, 16, 16]
    assert plan.spec.evals.max_new_tokens == 48
