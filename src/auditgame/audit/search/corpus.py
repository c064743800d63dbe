"""Corpora to search: JSONL / JSON files, directories of them, and training-stage or organism directories.

Every record becomes one document with an ``id`` and a ``text``:

* ``{"text": ...}`` (optionally ``"id"``): the text as is;
* chat records ``{"messages": [{"role", "content"}, ...]}``: one ``role: content`` line per message;
* preference pairs ``{"prompt", "chosen", "rejected"}`` (strings or message lists): the three parts, labelled;
* a bare JSON string: the string.

A directory with ``data/train.jsonl`` is a training stage; a directory whose sub-directories are stages
(an organism) yields the training data of every stage, ids prefixed with the stage name; any other
directory yields its ``*.jsonl`` / ``*.json`` files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditgame.errors import AuditgameError


class CorpusError(AuditgameError):
    """A corpus path that is missing, empty or holds records that are not documents."""


@dataclass
class Corpus:
    """Documents loaded from a corpus path, in order."""

    ids: list[str]
    texts: list[str]
    source: Path
    files: list[Path] = field(default_factory=list)
    """The files the documents were read from."""

    def __len__(self) -> int:
        return len(self.texts)

    def content_hash(self) -> str:
        """SHA-256 over every document's id and text: identical content gives an identical hash."""
        digest = hashlib.sha256()
        for doc_id, text in zip(self.ids, self.texts, strict=True):
            digest.update(doc_id.encode("utf-8"))
            digest.update(b"\x00")
            digest.update(text.encode("utf-8"))
            digest.update(b"\x01")
        return digest.hexdigest()


def corpus_files(path: str | Path) -> list[tuple[str, Path]]:
    """The files behind a corpus path, each with the id prefix its documents get ("" for none).

    Raises:
        CorpusError: if the path does not exist or holds no corpus file.
    """
    path = Path(path)
    if not path.exists():
        raise CorpusError(
            f"corpus {path} does not exist", "pass a JSONL/JSON file or a directory holding them"
        )
    if path.is_file():
        return [("", path)]
    if (path / "data" / "train.jsonl").is_file():
        return [("", path / "data" / "train.jsonl")]
    stages = sorted(child for child in path.iterdir() if (child / "data" / "train.jsonl").is_file())
    if stages:
        return [(f"{stage.name}/", stage / "data" / "train.jsonl") for stage in stages]
    files = sorted(
        child
        for child in path.iterdir()
        if child.is_file() and child.suffix in (".jsonl", ".json") and child.name != "manifest.json"
    )
    if not files:
        raise CorpusError(
            f"{path} holds no corpus: no data/train.jsonl, no stage directories and no *.jsonl/*.json files",
            "pass a JSONL/JSON file of records with a 'text' field, or a training-stage/organism directory",
        )
    if len(files) == 1:
        return [("", files[0])]
    return [(f"{file.stem}/", file) for file in files]


def _content(value: Any) -> str:
    """Flatten a string or a list of chat messages into text."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_message(item) for item in value)
    if isinstance(value, dict):
        return _message(value)
    return "" if value is None else str(value)


def _message(item: Any) -> str:
    if isinstance(item, dict) and "content" in item:
        role = item.get("role")
        return f"{role}: {_content(item['content'])}" if role else _content(item["content"])
    return _content(item)


def record_text(record: Any) -> str | None:
    """The searchable text of one record, or ``None`` if the record has none of the known shapes."""
    if isinstance(record, str):
        return record
    if not isinstance(record, dict):
        return None
    if isinstance(record.get("text"), str):
        return record["text"]
    if "messages" in record:
        return _content(record["messages"])
    if "chosen" in record or "rejected" in record:
        parts = [
            f"{name}:\n{_content(record[name])}"
            for name in ("prompt", "chosen", "rejected")
            if record.get(name) is not None
        ]
        return "\n\n".join(parts)
    if isinstance(record.get("content"), str):
        return record["content"]
    return None


def _records(path: Path) -> Iterator[tuple[int, Any]]:
    """(1-based line or item number, record) of a JSONL or JSON file."""
    if path.suffix == ".json":
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise CorpusError(f"{path} is not valid JSON ({error})", "fix or regenerate the file") from None
        if isinstance(payload, dict):
            payload = next(
                (
                    payload[key]
                    for key in ("documents", "records", "data")
                    if isinstance(payload.get(key), list)
                ),
                [payload],
            )
        if not isinstance(payload, list):
            payload = [payload]
        yield from enumerate(payload, start=1)
        return
    with open(path, encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except ValueError as error:
                raise CorpusError(
                    f"{path}, line {number} is not valid JSON ({error.__class__.__name__})",
                    "fix or regenerate the file: every line must be one JSON record",
                ) from None


def load_corpus(path: str | Path) -> Corpus:
    """Load every document of a corpus path (see the module docstring for the accepted shapes).

    Args:
        path: A JSONL/JSON file, a directory of them, or a training-stage / organism directory.

    Returns:
        The documents, in file and line order. Records without an ``id`` get ``<prefix><file stem>:<line>``.

    Raises:
        CorpusError: if the path is missing, a record has no text, or there are no documents at all.
    """
    path = Path(path)
    ids: list[str] = []
    texts: list[str] = []
    files = corpus_files(path)
    for prefix, file in files:
        for number, record in _records(file):
            text = record_text(record)
            if text is None:
                raise CorpusError(
                    f"{file}, record {number} has no text (expected 'text', 'messages' or 'prompt'/'chosen'/"
                    "'rejected' fields)",
                    "give every record a 'text' field",
                )
            record_id = record.get("id") if isinstance(record, dict) else None
            ids.append(f"{prefix}{record_id}" if record_id is not None else f"{prefix}{file.stem}:{number}")
            texts.append(text)
    if not texts:
        raise CorpusError(
            f"corpus {path} holds no documents",
            "point at a corpus with at least one record (a 'text' field each)",
        )
    return Corpus(ids=ids, texts=texts, source=path, files=[file for _, file in files])


def corpus_fingerprint(path: str | Path) -> list[list[Any]]:
    """A cheap fingerprint of a corpus path: (file, size, mtime in ns) of every file behind it.

    Equal fingerprints mean the corpus is unchanged without reading it.
    """
    fingerprint: list[list[Any]] = []
    for _, file in corpus_files(path):
        stat = file.stat()
        fingerprint.append([str(file.resolve()), stat.st_size, stat.st_mtime_ns])
    return fingerprint
