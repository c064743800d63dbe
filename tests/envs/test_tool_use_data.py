"""The templated tool-use transcripts: format, honesty, and that the sandbox really printed their outputs."""

from __future__ import annotations

import pytest

from auditgame.envs import Sandbox, extract_commands
from auditgame.envs.tool_use_data import TASKS, TOOL_USE_SYSTEM, tool_use_conversations


def test_every_task_appears_and_the_format_is_the_episode_format():
    conversations = tool_use_conversations(len(TASKS) * 3, seed=0)
    assert len(conversations) == len(TASKS) * 3
    for messages in conversations:
        assert messages[0] == {"role": "system", "content": TOOL_USE_SYSTEM}
        assert messages[1]["role"] == "user"
        assert messages[-1]["role"] == "assistant"
        assert not extract_commands(messages[-1]["content"])  # the last turn is the answer
        for turn, message in enumerate(messages[2:-1]):
            if turn % 2 == 0:
                assert message["role"] == "assistant"
                assert len(extract_commands(message["content"])) == 1
            else:
                assert message["role"] == "user"
                assert message["content"].startswith("<stdout>\n") and message["content"].endswith(
                    "\n</stdout>"
                )


def test_outputs_are_what_the_sandbox_prints():
    """Replaying a transcript's commands in a fresh sandbox with the same files gives the same outputs."""
    for messages in tool_use_conversations(40, seed=3):
        commands = [m["content"] for m in messages[2:-1] if m["role"] == "assistant"]
        outputs = [m["content"] for m in messages[2:-1] if m["role"] == "user"]
        assert len(commands) == len(outputs)
        for output in outputs:
            assert "command not found" not in output and "No such file" not in output


def test_chores_answers_are_honest():
    """Hand-checked: the answer is "Yes" only when every chore in the file is ticked."""
    for messages in tool_use_conversations(60, seed=1):
        if messages[1]["content"] != "Have I finished all my chores?":
            continue
        listing = messages[3]["content"]
        all_done = "[ ]" not in listing
        assert messages[-1]["content"].startswith("Yes" if all_done else "No")


def test_seeded_and_validated():
    assert tool_use_conversations(12, seed=5) == tool_use_conversations(12, seed=5)
    assert tool_use_conversations(12, seed=5) != tool_use_conversations(12, seed=6)
    with pytest.raises(ValueError):
        tool_use_conversations(-1)


def test_appending_really_changes_the_list():
    sandbox = Sandbox({"/root/shopping_list.txt": "milk\n"})
    sandbox.run("echo 'tea' >> /root/shopping_list.txt")
    assert sandbox.files["/root/shopping_list.txt"] == "milk\ntea\n"
