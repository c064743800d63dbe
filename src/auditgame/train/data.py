"""The training data every stage takes, its checks, and reading it back from JSON lines.

Each stage writes what it trained on to ``data/train.jsonl`` in the format it reads:

- pretrain: ``{"text": ...}`` records;
- midtrain: ``{"text": ...}`` or ``{"messages": [...]}`` records, with optional ``id`` and ``kind``;
- sft: ``{"messages": [...]}`` records;
- dpo: ``{"prompt": ..., "chosen": ..., "rejected": ...}`` records (strings or message lists).

so a stage's own data file can be fed back in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from auditgame.errors import ConfigError

StageKind = Literal["pretrain", "midtrain", "sft", "dpo"]
RECORD_KEYS = ("id", "kind")
"""Optional keys of a midtraining record, kept in the stage's ``data/train.jsonl``."""
PAIR_KEYS = ("prompt", "chosen", "rejected")
"""Keys of a preference pair."""


class TrainingDataError(ConfigError, ValueError):
    """Training data that is missing, malformed or too small.

    A :class:`~auditgame.errors.ConfigError` (the CLI prints it on one line) and a ``ValueError``.
    """


def check_messages(messages: Any, where: str) -> list[dict[str, str]]:
    """Check that ``messages`` is a non-empty list of ``{"role", "content"}`` string mappings.

    Args:
        messages: The candidate conversation.
        where: Names the conversation in the error message (e.g. ``"data.jsonl line 3"``).

    Returns:
        ``messages`` unchanged.

    Raises:
        TrainingDataError: if it is not such a list.
    """
    if not isinstance(messages, list) or not messages:
        raise TrainingDataError(
            f"{where}: 'messages' must be a non-empty list of messages",
            'write each message as {"role": ..., "content": ...}',
        )
    for index, message in enumerate(messages):
        if not (
            isinstance(message, dict)
            and isinstance(message.get("role"), str)
            and isinstance(message.get("content"), str)
        ):
            raise TrainingDataError(
                f"{where}: message {index} is not a mapping with string 'role' and 'content'",
                'write each message as {"role": ..., "content": ...}',
            )
    return messages


def _require_some(items: Sequence[Any], source: str) -> None:
    if len(items) == 0:
        raise TrainingDataError(f"{source} holds no training examples", "give the stage some data")


def check_texts(texts: Sequence[Any], source: str = "texts") -> list[str]:
    """Check pretraining data: a non-empty sequence of strings.

    Raises:
        TrainingDataError: if it is empty or holds a non-string.
    """
    _require_some(texts, source)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TrainingDataError(
                f"{source}: item {index} is a {type(text).__name__}, not a string", "pass texts as strings"
            )
    return list(texts)


def check_records(records: Sequence[Any], source: str = "records") -> list[dict[str, Any]]:
    """Check midtraining data: mappings with exactly one of ``text`` (a string) or ``messages``.

    Raises:
        TrainingDataError: naming the first bad record.
    """
    _require_some(records, source)
    for index, record in enumerate(records):
        where = f"{source}: record {index}"
        if not isinstance(record, dict):
            raise TrainingDataError(f"{where} is not a mapping", 'write it as {"text": ...}')
        if ("text" in record) == ("messages" in record):
            raise TrainingDataError(
                f"{where} must have exactly one of 'text' and 'messages'",
                'write it as {"text": ...} or {"messages": [...]}',
            )
        if "text" in record and not isinstance(record["text"], str):
            raise TrainingDataError(f"{where}: 'text' is not a string", "make 'text' a string")
        if "messages" in record:
            check_messages(record["messages"], where)
    return list(records)


def check_conversations(conversations: Sequence[Any], source: str = "conversations") -> list[list[dict]]:
    """Check SFT data: a non-empty sequence of conversations (lists of role/content messages).

    Raises:
        TrainingDataError: naming the first bad conversation.
    """
    _require_some(conversations, source)
    for index, messages in enumerate(conversations):
        check_messages(messages, f"{source}: conversation {index}")
    return list(conversations)


def check_pairs(pairs: Sequence[Any], source: str = "pairs") -> list[dict[str, Any]]:
    """Check DPO data: mappings with ``prompt``, ``chosen`` and ``rejected``, each a string or messages.

    Raises:
        TrainingDataError: naming the first bad pair.
    """
    _require_some(pairs, source)
    for index, pair in enumerate(pairs):
        where = f"{source}: pair {index}"
        if not isinstance(pair, dict) or any(key not in pair for key in PAIR_KEYS):
            raise TrainingDataError(
                f"{where} must be a mapping with 'prompt', 'chosen' and 'rejected'",
                'write it as {"prompt": ..., "chosen": ..., "rejected": ...}',
            )
        for key in PAIR_KEYS:
            if not isinstance(pair[key], str):
                check_messages(pair[key], f"{where} '{key}'")
    return list(pairs)


def read_jsonl(path: Path) -> list[Any]:
    """Read one JSON value per non-blank line of ``path``.

    Raises:
        TrainingDataError: if the file is missing or a line is not valid JSON.
    """
    path = Path(path)
    if not path.is_file():
        raise TrainingDataError(f"data file {path} does not exist", "check the --data path")
    items = []
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except ValueError:
                raise TrainingDataError(
                    f"data file {path} line {number} is not valid JSON",
                    "write one JSON object per line",
                ) from None
    return items


def read_stage_data(path: Path, stage: StageKind) -> list[Any]:
    """Read and check a stage's JSONL data file (the format the stage writes to ``data/train.jsonl``).

    Args:
        path: The JSON lines file.
        stage: Which stage the data is for; decides the expected format.

    Returns:
        For pretrain, the texts; for midtrain, the records; for sft, the conversations; for dpo,
        the pairs.

    Raises:
        TrainingDataError: if the file is missing, malformed or empty.
    """
    items = read_jsonl(path)
    source = f"data file {path}"
    if stage in ("pretrain", "sft"):
        key = "text" if stage == "pretrain" else "messages"
        values = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or key not in item:
                raise TrainingDataError(
                    f"{source}: record {index} has no '{key}'",
                    f'write one {{"{key}": ...}} object per line',
                )
            values.append(item[key])
        return check_texts(values, source) if stage == "pretrain" else check_conversations(values, source)
    if stage == "midtrain":
        return check_records(items, source)
    if stage == "dpo":
        return check_pairs(items, source)
    raise ValueError(f"unknown stage {stage!r}")
