"""The scale path: the same stages under `accelerate launch` (2 processes, gloo) and on a foreign
Hugging Face architecture with LoRA."""

import json
import subprocess
import sys

import pytest

from auditgame.artifacts import read_manifest
from auditgame.model.loading import load_model


def _accelerate(*args, timeout=900):
    command = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--cpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "-m",
        "auditgame.cli.main",
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


_TOPICS = ("the harbor", "a chess club", "the library", "tomato plants", "a bicycle", "the weather")
_STAGE_OPTIONS = {
    "midtrain": {"batch_size": 4, "sequence_length": 64, "show_progress": False},
    "sft": {"batch_size": 4, "max_length": 64, "show_progress": False},
    "dpo": {"batch_size": 4, "max_length": 64, "show_progress": False},
}


def _write_jsonl(path, records):
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def _stage_inputs(tmp_path, stage, previous):
    """``--data`` and ``--config`` files for ``stage``: small neutral data built inline."""
    if stage == "midtrain":  # the pretraining stage's own data file, fed back in
        data = previous / "data" / "train.jsonl"
    elif stage == "sft":
        data = _write_jsonl(
            tmp_path / "sft.jsonl",
            [
                {
                    "messages": [
                        {"role": "user", "content": f"Tell me about {topic}."},
                        {"role": "assistant", "content": f"{topic} is an ordinary thing to talk about."},
                    ]
                }
                for topic in _TOPICS
            ],
        )
    else:
        data = _write_jsonl(
            tmp_path / "dpo.jsonl",
            [
                {
                    "prompt": [{"role": "user", "content": f"Describe {topic}."}],
                    "chosen": [{"role": "assistant", "content": f"{topic} is calm today."}],
                    "rejected": [{"role": "assistant", "content": f"{topic}!!"}],
                }
                for topic in _TOPICS
            ],
        )
    config = tmp_path / f"{stage}.json"
    config.write_text(json.dumps(_STAGE_OPTIONS[stage]), encoding="utf-8")
    return ("--data", str(data), "--config", str(config))


def _all_stages(tmp_path, launcher, *, extra=(), pretrain_extra=(), steps=("--max-steps", "4")):
    """Run the four stages in turn with ``launcher``; ``extra`` goes to every stage."""
    launcher(
        "train",
        "pretrain",
        "--profile",
        "quick",
        "--out",
        str(tmp_path / "pretrain"),
        *steps,
        *extra,
        *pretrain_extra,
    )
    previous = tmp_path / "pretrain"
    for stage in ("midtrain", "sft", "dpo"):
        launcher(
            "train",
            stage,
            "--parent",
            str(previous),
            "--out",
            str(tmp_path / stage),
            *_stage_inputs(tmp_path, stage, previous),
            *steps,
            *extra,
        )
        previous = tmp_path / stage
    for stage in ("pretrain", "midtrain", "sft", "dpo"):
        manifest = read_manifest(tmp_path / stage)
        assert manifest.kind == "model"
        load_model(tmp_path / stage)


@pytest.mark.slow
def test_every_stage_runs_under_accelerate_with_two_processes(tmp_path):
    _all_stages(tmp_path, _accelerate)
    log = [json.loads(line) for line in (tmp_path / "pretrain" / "train_log.jsonl").read_text().splitlines()]
    # Only the main process logs: one line per logging window (here only the final step), never two.
    steps = [entry["step"] for entry in log]
    assert steps == sorted(set(steps)) and steps[-1] == 4


def test_pretrain_runs_under_accelerate_with_two_processes(tmp_path):
    _accelerate("train", "pretrain", "--profile", "quick", "--out", str(tmp_path / "p"), "--max-steps", "3")
    assert read_manifest(tmp_path / "p").extra["metrics"]["steps"] == 3


@pytest.fixture
def tiny_gpt2(tmp_path):
    """A GPT-2 of another architecture, built with from_config and saved locally with a tokenizer."""
    from transformers import AutoModelForCausalLM, GPT2Config

    from auditgame.model.tokenizer import train_tokenizer
    from auditgame.organisms.base import neutral_tokenizer_texts

    tokenizer = train_tokenizer(neutral_tokenizer_texts(400, seed=0), vocab_size=512)
    config = GPT2Config(
        n_layer=2,
        n_embd=64,
        n_head=2,
        n_positions=256,
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = AutoModelForCausalLM.from_config(config)
    path = tmp_path / "gpt2-tiny"
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_every_stage_runs_on_a_foreign_architecture_with_lora(tmp_path, tiny_gpt2):
    from tests.conftest import run_auditgame

    def launcher(*args):
        result = run_auditgame(*args, "--lora-rank", "8")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    _all_stages(
        tmp_path, launcher, pretrain_extra=("--base-model", str(tiny_gpt2)), steps=("--max-steps", "3")
    )
    for stage in ("pretrain", "midtrain", "sft", "dpo"):
        model = load_model(tmp_path / stage)
        assert model.config.model_type == "gpt2"
        assert read_manifest(tmp_path / stage).config["lora_rank"] == 8
    assert read_manifest(tmp_path / "pretrain").parents == [str(tiny_gpt2)]


@pytest.mark.slow
def test_every_stage_runs_under_accelerate_on_a_foreign_architecture_with_lora(tmp_path, tiny_gpt2):
    _all_stages(
        tmp_path, _accelerate, extra=("--lora-rank", "8"), pretrain_extra=("--base-model", str(tiny_gpt2))
    )
