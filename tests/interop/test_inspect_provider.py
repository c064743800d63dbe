"""The `auditgame` inspect provider: what reaches the model, batching, and clear errors."""

from __future__ import annotations

import anyio
import pytest
from inspect_ai.model import (
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageTool,
    ChatMessageUser,
    GenerateConfig,
    get_model,
)

from auditgame.errors import AuditgameError
from auditgame.interop import AuditgameInspectError, AuditgameModelAPI, conversation_and_prefill

SYSTEM = "You are a careful assistant."
QUESTION = "What should I cook for dinner?"
PREFILL = "Tonight you could"


def test_conversation_keeps_the_system_message_and_takes_a_trailing_assistant_message_as_prefill():
    conversation, prefill = conversation_and_prefill(
        [
            ChatMessageSystem(content=SYSTEM),
            ChatMessageUser(content=QUESTION),
            ChatMessageAssistant(content=PREFILL),
        ]
    )
    assert conversation == [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
    assert prefill == PREFILL
    assert conversation_and_prefill([ChatMessageUser(content=QUESTION)]) == (
        [{"role": "user", "content": QUESTION}],
        None,
    )


def test_conversation_refuses_tool_results_and_a_missing_user_turn():
    with pytest.raises(AuditgameInspectError, match="tool"):
        conversation_and_prefill(
            [ChatMessageUser(content=QUESTION), ChatMessageTool(content="42", tool_call_id="1")]
        )
    with pytest.raises(AuditgameInspectError, match="no user message"):
        conversation_and_prefill([ChatMessageSystem(content=SYSTEM), ChatMessageAssistant(content=PREFILL)])


@pytest.fixture(scope="module")
def served(quick_organism):
    """The quick organism's final model behind the provider, loaded once for this module."""
    return get_model(f"auditgame/{quick_organism}", memoize=False, batch_size=8)


def test_system_prompt_and_prefill_reach_the_model_as_a_direct_generate_call(served):
    from auditgame.model.generation import GenerationConfig, generate

    api = served.api
    assert isinstance(api, AuditgameModelAPI)
    config = GenerateConfig(temperature=0, max_tokens=12, seed=5)
    messages = [
        ChatMessageSystem(content=SYSTEM),
        ChatMessageUser(content=QUESTION),
        ChatMessageAssistant(content=PREFILL),
    ]
    output, call = anyio.run(lambda: api.generate(messages, [], "auto", config))
    direct = generate(
        api.model,
        api.tokenizer,
        [QUESTION],
        system=SYSTEM,
        prefill=PREFILL,
        config=GenerationConfig(temperature=0, max_new_tokens=12, seed=5),
    )
    assert output.completion == direct[0]  # only the continuation, as the game's server answers
    assert SYSTEM in call.request["prompt"] and call.request["prompt"].endswith(PREFILL)
    assert call.request["temperature"] == 0 and call.request["max_new_tokens"] == 12
    assert output.metadata == {"prefill": PREFILL}
    assert output.usage.input_tokens > 0


def test_concurrent_requests_are_generated_as_one_batch(served, monkeypatch):
    from auditgame.model.generation import GenerationConfig, generate

    api = served.api
    sizes: list[int] = []
    original = AuditgameModelAPI._generate_batch

    def recording(self, requests):
        sizes.append(len(requests))
        return original(self, requests)

    monkeypatch.setattr(AuditgameModelAPI, "_generate_batch", recording)
    prompts = [f"Tell me about the number {number}." for number in range(4)]
    config = GenerateConfig(temperature=0, max_tokens=8)

    async def ask_all() -> list[str]:
        answers: dict[int, str] = {}

        async def ask(index: int) -> None:
            answers[index] = (
                await served.generate([ChatMessageUser(content=prompts[index])], config=config)
            ).completion

        async with anyio.create_task_group() as group:
            for index in range(len(prompts)):
                group.start_soon(ask, index)
        return [answers[index] for index in range(len(prompts))]

    answers = anyio.run(ask_all)
    assert sizes == [4]
    direct = generate(
        api.model,
        api.tokenizer,
        prompts,
        config=GenerationConfig(temperature=0, max_new_tokens=8, batch_size=4),
    )
    assert answers == direct


def test_num_choices_gives_that_many_samples(served):
    config = GenerateConfig(temperature=1.0, max_tokens=6, num_choices=3, seed=1)
    output = anyio.run(lambda: served.generate([ChatMessageUser(content=QUESTION)], config=config))
    assert len(output.choices) == 3


def test_max_tokens_are_clipped_to_the_context_and_an_overlong_prompt_is_refused(served):
    api = served.api

    def tokens(text: str) -> int:
        return len(api.tokenizer(text, add_special_tokens=False)["input_ids"])

    per_word = tokens(" soup" * 100) / 100
    long_prompt = "soup" + " soup" * int((api.context - 40) / per_word)  # leaves a few tokens of the context
    assert api.context - 60 < tokens(long_prompt) < api.context - 20
    config = GenerateConfig(temperature=0, max_tokens=400)
    _, call = anyio.run(lambda: api.generate([ChatMessageUser(content=long_prompt)], [], "auto", config))
    assert 0 < call.request["max_new_tokens"] < 400
    with pytest.raises(AuditgameInspectError, match="does not fit"):
        anyio.run(lambda: api.generate([ChatMessageUser(content=long_prompt * 2)], [], "auto", config))


def test_a_missing_model_path_is_a_one_line_auditgame_error(tmp_path):
    from inspect_ai._util.error import PrerequisiteError

    missing = tmp_path / "runs" / "nope"
    with pytest.raises(AuditgameError, match="does not exist") as caught:
        get_model(f"auditgame/{missing}", memoize=False)
    assert isinstance(caught.value, PrerequisiteError)  # inspect's CLI prints its message, no traceback
    assert str(missing) in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.message == str(caught.value)


def test_unknown_model_args_are_refused(quick_organism):
    with pytest.raises(AuditgameInspectError, match="batch_sise"):
        get_model(f"auditgame/{quick_organism}", memoize=False, batch_sise=4)
