"""`auditgame train <stage>`: defaults from the config classes, data from --data JSONL files."""

import json

import pytest

from auditgame.artifacts import read_manifest
from tests.conftest import run_auditgame

_MESSAGES = [
    {"role": "user", "content": "What is a good name for a cat?"},
    {"role": "assistant", "content": "Many people like the name Tom for a cat."},
]


def _one_line_error(result, *fragments):
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    """The quick neutral base, pretrained by the CLI with no --data."""
    out = tmp_path_factory.mktemp("cli") / "base"
    result = run_auditgame("train", "pretrain", "--profile", "quick", "--out", str(out), "--max-steps", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_pretrain_without_data_builds_the_neutral_base(base_dir):
    from auditgame.organisms.base import base_config_hash, base_profile

    manifest = read_manifest(base_dir)
    expected = base_profile("quick")
    expected.pretrain.max_steps = 2
    assert manifest.name == f"base-{base_config_hash(expected)}"
    assert manifest.config["preset"] == "micro" and manifest.extra["metrics"]["steps"] == 2
    lines = (base_dir / "data" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == expected.num_conversations + expected.num_filler_documents
    again = run_auditgame(
        "train", "pretrain", "--profile", "quick", "--out", str(base_dir), "--max-steps", "2"
    )
    assert again.returncode == 0 and "already finished" in again.stdout


def test_a_stage_data_file_feeds_back_in(base_dir, tmp_path):
    config = tmp_path / "midtrain.yaml"
    config.write_text("batch_size: 4\nsequence_length: 64\nshow_progress: false\n")
    out = tmp_path / "midtrain"
    result = run_auditgame(
        "train",
        "midtrain",
        "--parent",
        str(base_dir),
        "--out",
        str(out),
        "--data",
        str(base_dir / "data" / "train.jsonl"),
        "--config",
        str(config),
        "--max-steps",
        "2",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = read_manifest(out)
    assert manifest.name == "midtrain" and manifest.config["batch_size"] == 4
    assert manifest.config["learning_rate"] == 1e-3  # MidtrainConfig's own default
    assert (out / "data" / "train.jsonl").read_text() == (base_dir / "data" / "train.jsonl").read_text()


def test_pretrain_on_a_data_file(tmp_path):
    data = tmp_path / "texts.jsonl"
    data.write_text(
        "".join(
            json.dumps({"text": f"Line {index} about apples, pears and plums."}) + "\n" for index in range(80)
        )
    )
    out = tmp_path / "p"
    result = run_auditgame(
        "train", "pretrain", "--profile", "quick", "--out", str(out), "--data", str(data), "--max-steps", "2"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert read_manifest(out).name == "pretrain"
    assert (out / "data" / "train.jsonl").read_text() == data.read_text()


@pytest.mark.parametrize(
    ("stage", "content", "fragments"),
    [
        ("sft", None, ("needs --data",)),
        ("sft", "missing", ("does not exist",)),
        ("sft", '{"messages": [\n', ("line 1 is not valid JSON",)),
        ("dpo", json.dumps({"prompt": "p", "chosen": "c"}), ("'rejected'",)),
        ("midtrain", json.dumps({"messages": _MESSAGES, "text": "x"}), ("exactly one of",)),
        ("midtrain", "", ("no training examples",)),
    ],
)
def test_bad_data_gives_one_clear_line(base_dir, tmp_path, stage, content, fragments):
    args = ["train", stage, "--parent", str(base_dir), "--out", str(tmp_path / "out")]
    if content is not None:
        data = tmp_path / "data.jsonl"
        if content != "missing":
            data.write_text(content + "\n" if content else "")
        args += ["--data", str(data)]
    _one_line_error(run_auditgame(*args), *fragments)
    assert not (tmp_path / "out").exists()


def test_unknown_profile_gives_one_clear_line(tmp_path):
    _one_line_error(
        run_auditgame("train", "pretrain", "--profile", "huge", "--out", str(tmp_path / "p")),
        "unknown profile",
    )
