"""The response cache: a repeated call is answered without the inner access, across games and runs."""

from __future__ import annotations

import json
import shutil

import pytest

from auditgame.bench import CachedAccess, CacheError, ResponseCache, model_content_hash
from auditgame.errors import AuditgameError


class CountingAccess:
    """An inner access that records its calls and answers with their arguments."""

    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def chat(self, model, prompts, *, system=None, prefill=None, n=1, temperature=0.0, max_tokens=96, seed=0):
        self.calls += 1
        return [[f"{model}:{prompt}:{seed}:{index}" for index in range(n)] for prompt in prompts]


def test_a_repeated_call_never_reaches_the_inner_access(tmp_path):
    inner = CountingAccess()
    access = CachedAccess(
        inner, {"model-a": "hash-1", "model-b": "hash-1"}, ResponseCache(tmp_path / "c.sqlite")
    )
    first = access.chat("model-a", ["hi", "there"], n=2, seed=1)
    assert access.chat("model-a", ["hi", "there"], n=2, seed=1) == first
    assert inner.calls == 1 and (access.hits, access.misses) == (1, 1)
    # The same real model under another neutral name (another game) is answered from the cache too.
    assert access.chat("model-b", ["hi", "there"], n=2, seed=1) == first
    assert inner.calls == 1
    for changed in (
        {"seed": 2},
        {"n": 1},
        {"system": "Be brief."},
        {"prefill": "Sure"},
        {"temperature": 0.5},
    ):
        access.chat("model-a", ["hi", "there"], **{"n": 2, "seed": 1, **changed})
    assert inner.calls == 6
    with pytest.raises(AuditgameError, match="unknown model"):
        access.chat("model-z", ["hi"])


def test_the_cache_persists_across_runs(tmp_path):
    path = tmp_path / "cache" / "responses.sqlite"
    CachedAccess(CountingAccess(), {"m": "h"}, ResponseCache(path)).chat("m", ["q"], seed=4)
    inner = CountingAccess()
    again = ResponseCache(path)
    assert len(again) == 1
    assert CachedAccess(inner, {"m": "h"}, again).chat("m", ["q"], seed=4) == [["m:q:4:0"]]
    assert inner.calls == 0


def test_a_damaged_cache_is_one_clear_error(tmp_path):
    path = tmp_path / "responses.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(CacheError, match="cannot be opened"):
        ResponseCache(path)


def test_model_hash_follows_content_not_paths(tmp_path, micro_model_template):
    copy = tmp_path / "copy"
    shutil.copytree(micro_model_template, copy)
    config = json.loads((copy / "config.json").read_text())
    config["_name_or_path"] = str(copy)
    (copy / "config.json").write_text(json.dumps(config))
    assert model_content_hash(copy) == model_content_hash(micro_model_template)
    (copy / "tokenizer.json").write_text((copy / "tokenizer.json").read_text() + " ")
    assert model_content_hash(copy) != model_content_hash(micro_model_template)
    with pytest.raises(CacheError, match="no model weights"):
        model_content_hash(tmp_path)
