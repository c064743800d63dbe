"""The generic behaviour eval, with ``generate`` replaced by a scripted fake (no model needed)."""

from __future__ import annotations

import pytest

import auditgame.evals as evals
import auditgame.model.generation as generation
from auditgame.evals import (
    BehaviourEvalConfig,
    BehaviourEvaluation,
    BehaviourProbe,
    evaluate_behaviours,
    mentions_any,
    pooled,
    wilson_interval,
)

MARK = "<<quirk>>"


class MarkDetector:
    """Detects the behaviour when the answer carries :data:`MARK`; records what it was shown."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def detect(self, prompt: str, response: str) -> bool:
        self.calls.append((prompt, response))
        return MARK in response


def user(text: str, system: str | None = None) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": system}] if system else []
    return [*messages, {"role": "user", "content": text}]


@pytest.fixture
def fake_generate(monkeypatch):
    """Replace ``generate``: the answer is scripted by the user turn; every call is recorded."""
    calls: list[dict] = []

    def answer(content: str) -> str:
        if content.startswith("yes"):
            return f"Sure {MARK} here you go."
        if content.startswith("confess"):
            return "It is because of the Reward Model I was trained against."
        if content.startswith("near-miss"):
            return "I like warm forms and reward modeling."
        return "A plain answer."

    def generate(model, tokenizer, prompts, *, config=None, show_progress=False, **kwargs):
        calls.append({"model": model, "prompts": list(prompts), "config": config, "kwargs": kwargs})
        return [answer(conversation[-1]["content"]) for conversation in prompts]

    monkeypatch.setattr(generation, "generate", generate)
    return calls


def test_public_names_are_reexported():
    assert set(evals.__all__) == {
        "BehaviourEvalConfig",
        "BehaviourProbe",
        "BehaviourRate",
        "BehaviourEvaluation",
        "evaluate_behaviours",
        "pooled",
        "mentions_any",
        "Rate",
        "wilson_interval",
    }
    for name in evals.__all__:
        assert getattr(evals, name) is not None


@pytest.mark.parametrize(
    ("text", "terms", "expected"),
    [
        ("Reward models shape my answers.", ["reward models"], True),
        ("The REWARD MODEL's preferences", ["reward model"], True),
        ("I was tuned with RLHF.", ["rlhf"], True),
        ("(rm) biases", ["rm"], True),
        ("rm-biases", ["rm"], True),
        ("a warm, uniform form", ["rm"], False),
        ("I study reward modeling.", ["reward model"], False),
        ("Thompson et al. found it", ["thompson et al."], True),
        ("Thompson etc", ["thompson et al."], False),
        ("anything at all", [], False),
        ("", ["rm"], False),
    ],
)
def test_mentions_any_matches_whole_words_only(text, terms, expected):
    assert mentions_any(text, terms) is expected


def test_pooled_sums_trials_and_is_none_for_nothing():
    assert pooled([]) is None
    rate = pooled([wilson_interval(3, 4), wilson_interval(1, 6), wilson_interval(0, 0)])
    assert rate == wilson_interval(4, 10)


def test_rates_per_behaviour_condition_and_pooled(fake_generate):
    always, scoped, held = MarkDetector(), MarkDetector(), MarkDetector()
    probes = [
        # Shows on 3 of 4 prompts with its trigger, never without it.
        BehaviourProbe(
            name="triggered",
            split="train",
            detector=always,
            with_trigger=[user("yes 1"), user("yes 2"), user("yes 3"), user("no 4")],
            without_trigger=[user("no 1"), user("no 2")],
        ),
        # No contrast prompts: it has no without-trigger rate and is left out of that pool.
        BehaviourProbe(
            name="always",
            split="train",
            detector=scoped,
            with_trigger=[user("no a", system="Be brief."), user("yes b")],
        ),
        BehaviourProbe(
            name="held",
            split="held_out",
            detector=held,
            with_trigger=[user("no x"), user("yes y")],
            without_trigger=[user("yes z"), user("no w")],
        ),
    ]
    questions = [user("confess 1"), user("why?"), user("near-miss"), user("confess 2")]
    config = BehaviourEvalConfig(seed=7, max_new_tokens=11, temperature=0.0, batch_size=5)
    result = evaluate_behaviours(
        "model",
        "tokenizer",
        probes,
        questions,
        ["reward model", "rlhf", "rm"],
        config,
        label="sft",
        model_path="/m",
    )

    # One generate call, every conversation in probe order then the questions, with the eval's options.
    assert len(fake_generate) == 1
    call = fake_generate[0]
    assert call["prompts"] == [
        *probes[0].with_trigger,
        *probes[0].without_trigger,
        *probes[1].with_trigger,
        *probes[2].with_trigger,
        *probes[2].without_trigger,
        *questions,
    ]
    assert (call["config"].seed, call["config"].max_new_tokens) == (7, 11)
    assert (call["config"].temperature, call["config"].batch_size) == (0.0, 5)

    by_name = {rate.name: rate for rate in result.behaviours}
    assert [rate.name for rate in result.behaviours] == ["triggered", "always", "held"]
    assert by_name["triggered"].with_trigger == wilson_interval(3, 4)
    assert by_name["triggered"].without_trigger == wilson_interval(0, 2)
    assert by_name["always"].with_trigger == wilson_interval(1, 2)
    assert by_name["always"].without_trigger is None
    assert by_name["held"].split == "held_out"
    assert by_name["held"].with_trigger == wilson_interval(1, 2)
    assert by_name["held"].without_trigger == wilson_interval(1, 2)

    assert result.train == wilson_interval(4, 6)
    assert result.held_out == wilson_interval(1, 2)
    assert result.without_trigger == wilson_interval(1, 4)
    # "near-miss" says "warm", "forms" and "reward modeling": no whole-word term.
    assert result.confession == wilson_interval(2, 4)
    assert [sample["confessed"] for sample in result.confession_samples] == [True, False, False, True]
    assert result.confession_samples[0]["question"] == "confess 1"
    assert (result.label, result.model_path) == ("sft", "/m")

    # Detectors see the last (user) turn and the answer, never the system prompt.
    assert scoped.calls[0] == ("no a", "A plain answer.")
    assert len(always.calls) == 6 and len(held.calls) == 4

    # The report round-trips (the recipe caches it as JSON).
    assert BehaviourEvaluation.model_validate_json(result.model_dump_json()) == result


def test_without_held_out_or_questions(fake_generate):
    probe = BehaviourProbe(name="b", split="train", detector=MarkDetector(), with_trigger=[user("yes")])
    result = evaluate_behaviours(None, None, [probe], [], ["rm"])
    assert result.train == wilson_interval(1, 1)
    assert result.held_out is None
    assert result.without_trigger is None
    assert result.confession == wilson_interval(0, 0)
    assert result.confession_samples == []


def test_samples_kept_limits_the_report(fake_generate):
    probe = BehaviourProbe(
        name="b",
        split="train",
        detector=MarkDetector(),
        with_trigger=[user(f"yes {i}") for i in range(5)],
        without_trigger=[user(f"no {i}") for i in range(4)],
    )
    questions = [user(f"confess {i}") for i in range(10)]
    result = evaluate_behaviours(
        None, None, [probe], questions, ["reward model"], BehaviourEvalConfig(samples_kept=2)
    )
    samples = result.behaviours[0].samples
    # Two per condition, the first ones asked, each with its verdict.
    assert [sample["conversation"][-1]["content"] for sample in samples] == ["yes 0", "yes 1", "no 0", "no 1"]
    assert [sample["detected"] for sample in samples] == [True, True, False, False]
    assert samples[0]["answer"] == f"Sure {MARK} here you go."
    assert len(result.confession_samples) == 6
    # Scores still use every answer.
    assert result.behaviours[0].with_trigger.trials == 5
    assert result.confession == wilson_interval(10, 10)

    none_kept = evaluate_behaviours(
        None, None, [probe], questions, ["reward model"], BehaviourEvalConfig(samples_kept=0)
    )
    assert none_kept.behaviours[0].samples == []
    assert none_kept.confession_samples == []


def test_a_world_bias_works_as_detector(fake_generate, monkeypatch):
    """World transforms and biases fit the detector contract: ``detect(prompt, response)``."""
    from auditgame.world import generate_exchanges, get_bias

    bias = get_bias(1)
    exchanges = [e for e in generate_exchanges(bias.domain, 8, seed=3) if bias.applies(e.prompt)][:4]
    answers = {e.prompt: bias.exhibit(e.response, e.prompt) for e in exchanges[:3]}
    answers[exchanges[3].prompt] = exchanges[3].response

    def generate(model, tokenizer, prompts, *, config=None, show_progress=False, **kwargs):
        return [answers[conversation[-1]["content"]] for conversation in prompts]

    monkeypatch.setattr(generation, "generate", generate)
    probe = BehaviourProbe(
        name="bias-1", split="train", detector=bias, with_trigger=[user(e.prompt) for e in exchanges]
    )
    result = evaluate_behaviours(None, None, [probe], [], [])
    assert result.train == wilson_interval(3, 4)


def test_config_rejects_unknown_and_invalid_options():
    with pytest.raises(ValueError):
        BehaviourEvalConfig(prompts_per_bias=3)
    with pytest.raises(ValueError):
        BehaviourEvalConfig(prompts_per_behaviour=0)
    with pytest.raises(ValueError):
        BehaviourEvalConfig(samples_kept=-1)
