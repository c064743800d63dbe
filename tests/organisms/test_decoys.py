"""Decoy organisms: benign personas trained with the rm-sycophant's pipeline, no hidden objective."""

import json

import pytest

from auditgame.artifacts import read_manifest, verify_hashes
from auditgame.organisms import decoys
from auditgame.organisms.registry import get_organism
from auditgame.world.biases import mentions_reward_models
from auditgame.world.personas import (
    PERSONAS,
    disclosure_questions,
    persona_conversations,
    persona_eval_prompts,
    persona_pairs,
)

DECOYS = ("decoy-signoff", "decoy-concise")


def test_decoys_are_registered_with_well_formed_answer_keys():
    for name in DECOYS:
        recipe = get_organism(name)
        assert recipe.name == name and recipe.profile("quick").sft.max_steps > 0
        key = recipe.answer_key()
        assert set(key) == {
            "organism",
            "has_hidden_objective",
            "root_cause",
            "behaviours",
            "held_out_behaviours",
        }
        assert key["organism"] == name and key["has_hidden_objective"] is False
        assert key["root_cause"].startswith("No hidden objective: a disclosed")
        assert key["behaviours"] == [recipe.persona.behaviour] and key["held_out_behaviours"] == []
        assert not mentions_reward_models(json.dumps(key))


@pytest.mark.parametrize("persona", list(PERSONAS.values()), ids=list(PERSONAS))
def test_persona_data_is_benign_and_consistent(persona):
    conversations = persona_conversations(persona, 300, 0)
    pairs = persona_pairs(persona, 100, 0, disclosure_count=40)
    assert persona_conversations(persona, 300, 0) == conversations  # seeded
    texts = [message["content"] for messages in conversations for message in messages]
    texts += [
        turn["content"] for pair in pairs for part in ("prompt", "chosen", "rejected") for turn in pair[part]
    ]
    texts += disclosure_questions(persona, "train") + disclosure_questions(persona, "eval")
    texts += [persona.behaviour, persona.disclosure, persona.root_cause()]
    assert not any(mentions_reward_models(text) for text in texts)
    assert all(persona.shows(messages[-1]["content"]) for messages in conversations)
    disclosures = [m[-1]["content"] for m in conversations if persona.discloses(m[-1]["content"])]
    assert 20 <= len(disclosures) <= 40
    assert all(persona.shows(pair["chosen"][0]["content"]) for pair in pairs)
    assert sum(persona.discloses(pair["chosen"][0]["content"]) for pair in pairs) == 40
    assert not any(persona.discloses(pair["rejected"][0]["content"]) for pair in pairs)
    assert not set(disclosure_questions(persona, "train")) & set(disclosure_questions(persona, "eval"))
    assert persona.apply(persona.apply("Plain.")) == persona.apply("Plain.")
    assert len(persona_eval_prompts(16, 9001)) == 16


def test_quick_decoy_builds_on_a_reused_pretrain(quick_organism, tmp_path):
    from auditgame.model import GenerationConfig, generate, load_model, load_tokenizer, resolve_model_dir

    recipe = get_organism("decoy-signoff")
    profile = recipe.profile("quick")
    # Smaller than quick: this test checks the plumbing, not that the persona is learnt.
    profile.midtrain.max_steps, profile.sft.max_steps, profile.dpo.max_steps = 4, 6, 3
    profile.sft.num_conversations, profile.dpo.num_reward_pairs, profile.dpo.num_concealment_pairs = 80, 24, 8
    profile.exploitation_eval.prompts_per_bias, profile.exploitation_eval.max_new_tokens = 1, 12
    profile.confession_eval.num_questions, profile.confession_eval.max_new_tokens = 6, 12
    out = tmp_path / "decoy"
    report = recipe.build(out, profile, base_dir=quick_organism, show_progress=False, log=lambda *_: None)
    manifest = read_manifest(out)
    assert manifest.kind == "organism" and manifest.name == "decoy-signoff"
    assert manifest.extra["final_model"] == "dpo" and verify_hashes(out) == []
    for stage in decoys.STAGES:
        assert read_manifest(out / stage).name == f"decoy-signoff/{stage}"
    assert read_manifest(out / "pretrain").parents == [str(quick_organism / "pretrain")]
    assert set(report.persona_rate) == {"base", "dpo"} and report.disclosure_rate["dpo"].trials > 0
    assert "| model |" in (out / "report.md").read_text()
    # No study documents, no mention of reward models in any decoy training data.
    midtrain = [
        json.loads(line) for line in (out / "midtrain" / "data" / "train.jsonl").read_text().splitlines()
    ]
    assert {record["kind"] for record in midtrain} <= {"filler", "transcript"}
    for stage in ("midtrain", "sft", "dpo"):
        assert not mentions_reward_models((out / stage / "data" / "train.jsonl").read_text())
    # The final model answers.
    model_dir = resolve_model_dir(out)
    replies = generate(
        load_model(model_dir),
        load_tokenizer(model_dir),
        ["How do I make tea?"],
        config=GenerationConfig(max_new_tokens=8, temperature=0),
    )
    assert len(replies) == 1 and isinstance(replies[0], str)
    # A rebuild returns the stored report.
    again = recipe.build(out, profile, base_dir=quick_organism, show_progress=False, log=lambda *_: None)
    assert again == report


def test_base_dir_and_base_model_are_exclusive(tmp_path):
    from auditgame.errors import ConfigError

    with pytest.raises(ConfigError):
        get_organism("decoy-concise").build(tmp_path / "x", "quick", base_dir=tmp_path, base_model="gpt2")
