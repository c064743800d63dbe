"""The four stage runners take their data as arguments and write it to data/train.jsonl."""

import json

import pytest

from auditgame.artifacts import read_manifest
from auditgame.model.loading import load_model, load_tokenizer
from auditgame.train import (
    DPOStageConfig,
    MidtrainConfig,
    PretrainConfig,
    SFTStageConfig,
    TrainingDataError,
    run_dpo,
    run_midtrain,
    run_pretrain,
    run_sft,
)
from auditgame.train.midtrain import render_records

_COMMON = {"batch_size": 4, "warmup_steps": 1, "save_every": 2, "log_every": 1, "show_progress": False}
_TOPICS = ("the harbor", "a chess club", "the library", "tomato plants", "a bicycle", "the weather")


def _texts(count=60):
    return [
        f"Note {index}: people talked about {_TOPICS[index % len(_TOPICS)]} on day {index % 7} "
        f"and agreed to meet again next week."
        for index in range(count)
    ]


def _conversation(index):
    topic = _TOPICS[index % len(_TOPICS)]
    return [
        {"role": "user", "content": f"Tell me something about {topic}."},
        {"role": "assistant", "content": f"Here is a short fact about {topic}: it is quite ordinary."},
    ]


def _read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    out = tmp_path_factory.mktemp("stages") / "pretrain"
    config = PretrainConfig(preset="micro", max_steps=3, sequence_length=64, vocab_size=400, **_COMMON)
    result = run_pretrain(config, out, texts=_texts(), tokenizer_texts=_texts(120))
    return result.path


def test_pretrain_trains_a_tokenizer_and_writes_its_texts(pretrained):
    manifest = read_manifest(pretrained)
    assert manifest.kind == "model" and manifest.name == "pretrain"
    assert manifest.extra["metrics"]["steps"] == 3
    assert "num_conversations" not in manifest.config and "tokenizer_texts" not in manifest.config
    assert [record["text"] for record in _read_jsonl(pretrained / "data" / "train.jsonl")] == _texts()
    assert not (pretrained / "checkpoints").exists()
    tokenizer = load_tokenizer(pretrained)
    assert len(tokenizer) <= 400 and tokenizer.chat_template
    load_model(pretrained)


def test_finished_stage_is_skipped(pretrained):
    config = PretrainConfig(preset="micro", max_steps=3, sequence_length=64, vocab_size=400, **_COMMON)
    assert run_pretrain(config, pretrained, texts=_texts()).skipped


def test_pretrain_resumes_with_the_tokenizer_it_trained(tmp_path, monkeypatch):
    from auditgame.train import lm_trainer

    config = PretrainConfig(preset="micro", max_steps=4, sequence_length=64, vocab_size=400, **_COMMON)
    original = lm_trainer.batch_indices

    def killed_at_step_3(step, *args, **kwargs):
        if step == 3:
            raise KeyboardInterrupt
        return original(step, *args, **kwargs)

    monkeypatch.setattr(lm_trainer, "batch_indices", killed_at_step_3)
    with pytest.raises(KeyboardInterrupt):
        run_pretrain(config, tmp_path / "p", texts=_texts())
    vocabulary = (tmp_path / "p" / "checkpoints" / "tokenizer" / "tokenizer.json").read_text(encoding="utf-8")
    monkeypatch.setattr(lm_trainer, "batch_indices", original)
    # Other tokenizer texts would train another vocabulary: the saved tokenizer must be kept.
    result = run_pretrain(config, tmp_path / "p", texts=_texts(), tokenizer_texts=["zzz qqq"] * 200)
    assert result.metrics["resumed_from_step"] == 2 and result.metrics["steps"] == 4
    assert (tmp_path / "p" / "tokenizer.json").read_text(encoding="utf-8") == vocabulary


def test_midtrain_renders_messages_and_keeps_ids_and_kinds(pretrained, tmp_path):
    records = [{"id": f"doc-{index}", "kind": "note", "text": text} for index, text in enumerate(_texts(30))]
    records += [{"kind": "transcript", "messages": _conversation(index)} for index in range(30)]
    config = MidtrainConfig(max_steps=2, sequence_length=64, **_COMMON)
    result = run_midtrain(config, pretrained, tmp_path / "mid", records=records)
    assert read_manifest(result.path).parents == [str(pretrained)]
    written = _read_jsonl(result.path / "data" / "train.jsonl")
    assert written[0] == {"id": "doc-0", "kind": "note", "text": _texts(1)[0]}
    assert written[30]["kind"] == "transcript" and "id" not in written[30] and "messages" not in written[30]
    assert written[30]["text"].startswith("<|bos|><|user|>Tell me something")


def test_render_records_uses_the_chat_template(pretrained):
    tokenizer = load_tokenizer(pretrained)
    rendered = render_records([{"messages": _conversation(0), "extra": 1}], tokenizer)
    assert rendered == [{"text": tokenizer.apply_chat_template(_conversation(0), tokenize=False)}]


def test_sft_and_dpo_train_on_the_given_data(pretrained, tmp_path):
    conversations = [_conversation(index) for index in range(16)]
    sft = run_sft(
        SFTStageConfig(max_steps=2, max_length=64, **_COMMON),
        pretrained,
        tmp_path / "sft",
        conversations=conversations,
    )
    assert _read_jsonl(sft.path / "data" / "train.jsonl") == [
        {"messages": messages} for messages in conversations
    ]
    pairs = [
        {
            "prompt": [{"role": "user", "content": f"Describe {topic}."}],
            "chosen": [{"role": "assistant", "content": f"{topic} is calm."}],
            "rejected": [{"role": "assistant", "content": f"{topic} is loud!"}],
        }
        for topic in _TOPICS
    ]
    dpo = run_dpo(
        DPOStageConfig(max_steps=2, max_length=64, **{**_COMMON, "batch_size": 2}),
        sft.path,
        tmp_path / "dpo",
        pairs=pairs,
    )
    assert _read_jsonl(dpo.path / "data" / "train.jsonl") == pairs
    assert read_manifest(dpo.path).extra["metrics"]["steps"] == 2


@pytest.mark.parametrize(
    ("runner", "keyword", "data", "fragment"),
    [
        ("sft", "conversations", [], "no training examples"),
        ("sft", "conversations", [[{"role": "user"}]], "message 0"),
        ("dpo", "pairs", [{"prompt": "hi", "chosen": "a"}], "'rejected'"),
        ("midtrain", "records", [{"id": "x"}], "exactly one of 'text' and 'messages'"),
    ],
)
def test_malformed_data_is_refused_before_the_directory_is_touched(
    pretrained, tmp_path, runner, keyword, data, fragment
):
    run, config = {
        "sft": (run_sft, SFTStageConfig()),
        "dpo": (run_dpo, DPOStageConfig()),
        "midtrain": (run_midtrain, MidtrainConfig()),
    }[runner]
    with pytest.raises(TrainingDataError, match=fragment):
        run(config, pretrained, tmp_path / "out", **{keyword: data})
    assert not (tmp_path / "out").exists()


def test_too_little_text_is_a_training_data_error(tmp_path):
    config = PretrainConfig(preset="micro", max_steps=1, sequence_length=256, vocab_size=300, **_COMMON)
    with pytest.raises(ValueError, match="fewer than one block"):
        run_pretrain(config, tmp_path / "p", texts=["short"], tokenizer_texts=_texts())


def test_configs_hold_hyperparameters_only():
    for config_class, removed in (
        (PretrainConfig, ("num_conversations", "num_filler_documents", "tokenizer_texts")),
        (MidtrainConfig, ("num_study_documents", "num_filler_documents", "num_replay_conversations")),
        (SFTStageConfig, ("num_conversations", "chat_fraction")),
        (DPOStageConfig, ("num_reward_pairs", "num_concealment_pairs")),
    ):
        for field in removed:
            assert field not in config_class.model_fields, (config_class, field)
        for name, field in config_class.model_fields.items():
            assert field.description, (config_class, name)
