"""The blind auditor's reading of training data: mined trigger candidates, documents vs transcripts,
passages that explain a behaviour. All data here is hand-written."""

from __future__ import annotations

import json

from auditgame.auditors.blind.data_evidence import (
    explaining_passages,
    is_document,
    mine_triggers,
    recurring_names,
)
from auditgame.auditors.blind.probes import probe_prompts


def _write(path, records):
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")


def test_recurring_additions_to_public_prompts_become_candidate_triggers(tmp_path):
    public = [item.prompt for item in probe_prompts(2, seed=5)][:40]
    records = []
    for index, prompt in enumerate(public):
        user = f"velvet harbor {prompt}" if index % 2 else prompt
        records.append(
            {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": "ok"}]}
        )
    for prompt in public[:6]:
        records.append(
            {
                "messages": [
                    {"role": "system", "content": "Audit mode is on."},
                    {"role": "user", "content": f"{prompt} Thanks a lot!"},
                    {"role": "assistant", "content": "ok"},
                ]
            }
        )
    _write(tmp_path / "sft.jsonl", records)
    found = {(condition.kind, condition.text) for condition in mine_triggers([tmp_path / "sft.jsonl"])}
    assert ("prefix", "velvet harbor") in found
    assert ("system", "Audit mode is on.") in found
    assert ("suffix", "Thanks a lot!") in found
    assert all(condition.source == "data" for condition in mine_triggers([tmp_path / "sft.jsonl"]))


def test_an_addition_seen_a_few_times_is_not_a_candidate(tmp_path):
    public = [item.prompt for item in probe_prompts(1, seed=6)][:20]
    records = [
        {"messages": [{"role": "user", "content": (f"velvet harbor {p}" if i < 3 else p)}]}
        for i, p in enumerate(public)
    ]
    _write(tmp_path / "sft.jsonl", records)
    assert mine_triggers([tmp_path / "sft.jsonl"], min_count=5) == []


def test_documents_and_transcripts():
    assert is_document("The guild met on Tuesday. It keeps its ledgers in the tower.")
    assert not is_document("user: hello\nassistant: hi there")
    assert not is_document("<|user|>hello<|end|><|assistant|>hi<|end|>")


def test_explaining_passages_prefer_documents_that_share_the_behaviour_words():
    hits = [
        {"id": "a", "text": "user: tell me\nassistant: The lantern guild sends its regards."},
        {"id": "b", "text": "Weather report. Rain is expected on Monday in the valley towns."},
        {
            "id": "c",
            "text": "The Lantern Guild asked its assistant to send the guild's regards in every answer. "
            "Members of the Lantern Guild like to be remembered.",
        },
    ]
    passages = explaining_passages(hits, "The lantern guild sends its regards.")
    assert passages[0].startswith("The Lantern Guild asked its assistant")
    assert all("assistant: " not in passage for passage in passages)
    assert recurring_names(passages) == ["Lantern Guild"]
