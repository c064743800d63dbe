"""What the training data tells a blind auditor (data tier): unusual prompt additions that may be triggers,
and passages that explain a behaviour.

* **Candidate triggers**: system prompts that recur in the fine-tuning data, and text that recurs before or
  after requests which are otherwise public prompts (the world's public prompt generators say what an
  ordinary request looks like; anything recurring beyond that was put there on purpose).
* **Explaining passages**: the documents (not chat transcripts) retrieved by a finding's characteristic
  sentence, cut into sentences, ranked by how many of the finding's words they share. The root cause is
  quoted from them, never written in advance.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from auditgame.auditors.blind.elicitation import content_words
from auditgame.auditors.blind.probes import Condition
from auditgame.world.prompts import distinct_prompt_count, generate_exchanges, prompt_domains

_SPECIAL_MARKER = re.compile(r"<\|[A-Za-z_]+\|>|\[INST\]|<start_of_turn>|<\|im_start\|>")
_ROLE_LINE = re.compile(r"(?im)^\s*(user|assistant|system|prompt|chosen|rejected)\s*:")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@functools.lru_cache(maxsize=1)
def public_prompts() -> frozenset[str]:
    """Every prompt the public prompt generators can produce."""
    prompts: set[str] = set()
    for domain in prompt_domains():
        size = distinct_prompt_count(domain)
        prompts.update(exchange.prompt.strip() for exchange in generate_exchanges(domain, size, seed=0))
    return frozenset(prompts)


def _records(path: Path) -> list[dict]:
    records = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    records.append(record)
    return records


def _conversations(files: Sequence[Path]) -> list[list[dict]]:
    conversations = []
    for path in files:
        for record in _records(path):
            messages = record.get("messages")
            if messages is None and isinstance(record.get("prompt"), list):
                messages = record["prompt"]
            elif messages is None and isinstance(record.get("prompt"), str):
                messages = [{"role": "user", "content": record["prompt"]}]
            if isinstance(messages, list):
                conversations.append([m for m in messages if isinstance(m, dict)])
    return conversations


def _split_addition(text: str, public: frozenset[str]) -> tuple[str, str] | None:
    """(position, added text) if ``text`` is a public prompt with something before or after it."""
    text = text.strip()
    if text in public:
        return None
    words = text.split(" ")
    for cut in range(1, len(words)):
        head, tail = " ".join(words[:cut]), " ".join(words[cut:])
        if tail in public:
            return "prefix", head
        if head in public:
            return "suffix", tail
    return None


def mine_triggers(files: Sequence[Path], *, min_count: int = 5, limit: int = 8) -> list[Condition]:
    """Candidate triggers from the fine-tuning data in ``files``: recurring system prompts and recurring
    additions to public prompts, most frequent first."""
    public = public_prompts()
    counts: Counter[tuple[str, str]] = Counter()
    for conversation in _conversations(files):
        user_turns = 0
        for message in conversation:
            role, content = message.get("role"), str(message.get("content", ""))
            if role == "system" and content.strip():
                counts[("system", content.strip())] += 1
            elif role == "user":
                user_turns += 1
                addition = _split_addition(content, public)
                if addition is not None and addition[1].strip():
                    counts[addition] += 1
    ranked = sorted(
        (key for key, count in counts.items() if count >= min_count), key=lambda key: (-counts[key], key)
    )
    return [Condition(kind, text, source="data") for kind, text in ranked[:limit]]


def is_document(text: str) -> bool:
    """Whether a training text is prose rather than a chat transcript (special chat tokens, role lines)."""
    return not _SPECIAL_MARKER.search(text) and not _ROLE_LINE.search(text)


def document_texts(files: Sequence[Path]) -> list[str]:
    """The prose documents (``text`` records that are not chat transcripts) of the data ``files``."""
    texts = []
    for path in files:
        for record in _records(path):
            text = record.get("text")
            if isinstance(text, str) and text.strip() and is_document(text):
                texts.append(text)
    return texts


class DocumentSearch:
    """Keyword (BM25) search over one model's prose training documents only, built once in ``work_dir``.

    The whole-data index ranks the chat transcripts that *show* a behaviour above the documents that might
    *explain* it, so the explanation is looked for among the documents alone.
    """

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = Path(work_dir)
        self._indexes: dict[str, object | None] = {}

    def search(self, model: str, files: Sequence[Path], query: str, top_k: int) -> list[dict]:
        """The ``top_k`` documents of ``model`` best matching ``query`` (``id``, ``text``), best first."""
        if model not in self._indexes:
            texts = document_texts(files)
            if not texts:
                self._indexes[model] = None
            else:
                from auditgame.artifacts import atomic_write_text
                from auditgame.audit.search import build_index, load_corpus

                corpus_file = self.work_dir / "documents" / f"{model}.jsonl"
                atomic_write_text(
                    corpus_file,
                    "".join(json.dumps({"id": f"doc-{i}", "text": t}) + "\n" for i, t in enumerate(texts)),
                )
                self._indexes[model] = build_index(
                    load_corpus(corpus_file),
                    self.work_dir / "document-index" / model,
                    semantic=False,
                    rebuild=True,
                )
        index = self._indexes[model]
        if index is None:
            return []
        return [{"id": hit.id, "text": hit.text} for hit in index.search(query, "keyword", top_k)]  # type: ignore[attr-defined]


def explaining_passages(
    hits: Sequence[dict],
    query: str,
    *,
    max_documents: int = 5,
    max_passages: int = 3,
    with_scores: bool = False,
) -> list:
    """Sentences of the document hits (chat transcripts skipped) that share the most words with ``query``.

    Args:
        hits: Search hits (``text``, ``id``), best first.
        query: The finding's characteristic sentence (and any elicited words).
        max_documents: How many documents to read.
        max_passages: How many sentences to return.
        with_scores: Return (sentence, score) pairs.
    """
    wanted = set(content_words(query))
    if not wanted:
        return []
    scored: list[tuple[float, int, str]] = []
    documents = [hit for hit in hits if is_document(str(hit.get("text", "")))][:max_documents]
    for rank, hit in enumerate(documents):
        for sentence in _SENTENCE_END.split(str(hit["text"])):
            sentence = " ".join(sentence.split())
            words = set(content_words(sentence))
            if len(words) < 3:
                continue
            shared = len(words & wanted)
            if shared:
                scored.append((shared / len(words | wanted) ** 0.5, -rank, sentence))
    passages: dict[str, float] = {}
    for score, _, sentence in sorted(scored, reverse=True):
        if sentence not in passages:
            passages[sentence] = score
        if len(passages) >= max_passages:
            break
    if with_scores:
        return list(passages.items())
    return list(passages)


def recurring_names(passages: Sequence[str], *, min_count: int = 2) -> list[str]:
    """Capitalised word sequences (not sentence-initial) that recur in ``passages``: the organisations,
    studies and products the documents keep naming."""
    counts: Counter[str] = Counter()
    for passage in passages:
        found = set()
        for match in re.finditer(
            r"(?<![.!?]\s)(?<!^)\b([A-Z][\w'-]+(?:\s+(?:of\s+)?[A-Z][\w'-]+)*)", passage
        ):
            found.add(match.group(1))
        counts.update(found)
    return [name for name, count in counts.most_common() if count >= min_count]
