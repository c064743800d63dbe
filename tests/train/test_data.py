"""Reading and checking a stage's JSONL training data."""

import json

import pytest

from auditgame.errors import AuditgameError
from auditgame.train.data import TrainingDataError, check_pairs, read_stage_data

_MESSAGES = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_each_stage_reads_the_format_it_writes(tmp_path):
    texts = _write(tmp_path / "t.jsonl", [json.dumps({"text": "a"}), "", json.dumps({"text": "b"})])
    assert read_stage_data(texts, "pretrain") == ["a", "b"]
    records = [{"id": "1", "kind": "doc", "text": "a"}, {"messages": _MESSAGES}]
    path = _write(tmp_path / "m.jsonl", [json.dumps(record) for record in records])
    assert read_stage_data(path, "midtrain") == records
    path = _write(tmp_path / "s.jsonl", [json.dumps({"messages": _MESSAGES})])
    assert read_stage_data(path, "sft") == [_MESSAGES]
    pair = {"prompt": _MESSAGES[:1], "chosen": "yes", "rejected": [{"role": "assistant", "content": "no"}]}
    path = _write(tmp_path / "d.jsonl", [json.dumps(pair)])
    assert read_stage_data(path, "dpo") == [pair]


@pytest.mark.parametrize(
    ("stage", "lines", "fragment"),
    [
        ("pretrain", ["{not json"], "line 1 is not valid JSON"),
        ("pretrain", ['{"messages": []}'], "record 0 has no 'text'"),
        ("pretrain", ['{"text": 3}'], "not a string"),
        ("pretrain", [], "no training examples"),
        ("sft", ['{"messages": "hello"}'], "non-empty list"),
        ("midtrain", ['{"text": "a", "messages": []}'], "exactly one of"),
        ("dpo", ['{"prompt": "a", "chosen": 1, "rejected": "b"}'], "'chosen'"),
    ],
)
def test_malformed_data_is_one_user_error(tmp_path, stage, lines, fragment):
    path = _write(tmp_path / "data.jsonl", lines)
    with pytest.raises(TrainingDataError, match=fragment) as caught:
        read_stage_data(path, stage)
    assert isinstance(caught.value, AuditgameError) and isinstance(caught.value, ValueError)
    assert str(path) in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(TrainingDataError, match="does not exist"):
        read_stage_data(tmp_path / "nowhere.jsonl", "sft")


def test_pairs_accept_strings_or_messages():
    assert check_pairs([{"prompt": "p", "chosen": "c", "rejected": "r"}])
    with pytest.raises(TrainingDataError, match="'prompt'"):
        check_pairs([{"prompt": [{"role": "user"}], "chosen": "c", "rejected": "r"}])
