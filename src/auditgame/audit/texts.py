"""Texts the auditor hands a technique: JSONL files of ``text`` records, optionally labelled.

A labelled file has one JSON object per line with a ``text`` string and a ``label``: ``1``, ``true``,
``"positive"`` or ``"pos"`` for the class of interest, ``0``, ``false``, ``"negative"`` or ``"neg"``
for the other. Steering and probes take their two sets from such a file; diffing uses the labels, when
present, to measure how well its score separates the classes.
"""

from __future__ import annotations

import json
from pathlib import Path

from auditgame.errors import ArtifactNotFoundError, ConfigError

_POSITIVE = {"1", "true", "positive", "pos", "yes"}
_NEGATIVE = {"0", "false", "negative", "neg", "no"}


def parse_label(value: object) -> int | None:
    """``1`` for a positive label, ``0`` for a negative one, ``None`` if absent.

    Raises:
        ValueError: for a value that is neither.
    """
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in _POSITIVE:
        return 1
    if text in _NEGATIVE:
        return 0
    raise ValueError(f"label {value!r} is neither positive nor negative")


def read_text_records(path: str | Path, *, need_labels: bool = False) -> list[tuple[str, int | None]]:
    """``(text, label)`` for every line of a JSONL file (label ``None`` where the record has none).

    Args:
        path: The JSONL file.
        need_labels: Every record must carry a label.

    Raises:
        ArtifactNotFoundError: if the file does not exist.
        ConfigError: for a line that is not a record with a ``text`` string (and, if needed, a label),
            or a file without records.
    """
    path = Path(path)
    if not path.is_file():
        raise ArtifactNotFoundError(
            f"text file {path} does not exist", "pass a JSONL file with a 'text' (and 'label') per line"
        )
    records: list[tuple[str, int | None]] = []
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text = record["text"]
                if not isinstance(text, str):
                    raise TypeError("text is not a string")
                label = parse_label(record.get("label"))
                if need_labels and label is None:
                    raise KeyError("label")
            except (ValueError, KeyError, TypeError, AttributeError):
                wanted = (
                    "a 'text' string and a 'label' (1/0, positive/negative)"
                    if need_labels
                    else "a 'text' string"
                )
                raise ConfigError(
                    f"line {number} of {path} is not a JSON object with {wanted}",
                    f"give one JSON object per line, each with {wanted}",
                ) from None
            records.append((text, label))
    if not records:
        raise ConfigError(f"text file {path} is empty", "give a JSONL file with at least one record")
    return records


def read_labelled_texts(path: str | Path) -> tuple[list[str], list[str]]:
    """``(positives, negatives)`` from a labelled JSONL file (see the module docstring).

    Raises:
        ArtifactNotFoundError: if the file does not exist.
        ConfigError: for a malformed line or a record without a label.
    """
    records = read_text_records(path, need_labels=True)
    return [text for text, label in records if label == 1], [text for text, label in records if label == 0]
