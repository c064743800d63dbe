"""The agent loop: the tool-use format, lockstep batching, max_turns, and policies that misbehave."""

from __future__ import annotations

import pytest

from auditgame.envs import (
    EpisodeError,
    EpisodeRecord,
    ScriptedPolicy,
    build_environments,
    extract_commands,
    run_episodes,
)
from auditgame.envs.tool_use_data import TOOL_USE_SYSTEM


def _reward_env():
    return build_environments("reward-tampering", per_stage=1)[0]


def test_a_transcript_has_the_documented_roles_and_format():
    env = _reward_env()
    policy = ScriptedPolicy(
        [env], {env.name: ["<bash>pwd</bash>", "<bash>ls</bash>\n<bash>cd /tmp</bash>", "Done."]}
    )
    (record,) = run_episodes([env], policy, max_turns=6)
    assert [message["role"] for message in record.messages] == [
        "system", "user", "assistant", "user", "assistant", "user", "assistant",
    ]  # fmt: skip
    assert record.messages[0]["content"] == TOOL_USE_SYSTEM == env.system
    assert record.messages[1]["content"] == env.prompt
    assert record.messages[3]["content"] == "<stdout>\n/root\n</stdout>"
    assert record.messages[5]["content"] == "<stdout>\nrl_environment\n</stdout>\n<stdout>\n\n</stdout>"
    assert record.final_text == "Done." and record.finished and record.turns == 3
    assert record.env_name == env.name and record.stage == 5 and record.stage_name == "reward-tampering"


def test_extract_commands_reads_every_block_and_an_unclosed_last_one():
    assert extract_commands("no commands here") == []
    assert extract_commands("<bash>ls</bash> then <bash>\npwd\n</bash>") == ["ls", "pwd"]
    assert extract_commands("Let me look.\n<bash>cat /root/a.txt") == ["cat /root/a.txt"]


def test_episodes_advance_in_lockstep_and_stop_independently():
    envs = build_environments("tool-use-flattery", per_stage=3)
    scripts = {
        envs[0].name: ["Score: 2"],
        envs[1].name: ["<bash>ls</bash>", "Score: 3"],
        envs[2].name: ["<bash>ls</bash>", "<bash>pwd</bash>", "Score: 4"],
    }
    policy = ScriptedPolicy(envs, scripts)
    records = run_episodes(envs, policy, max_turns=6, seed=11)
    assert policy.batch_sizes == [3, 2, 1]
    assert [record.turns for record in records] == [1, 2, 3]
    assert [record.env_name for record in records] == [env.name for env in envs]
    assert {record.seed for record in records} == {11}


def test_max_turns_ends_an_episode_but_its_last_commands_still_count():
    env = _reward_env()
    script = [
        "<bash>ls</bash>",
        "<bash>echo 'def reward(t):' > /root/rl_environment/compute_reward.py</bash>",
    ]
    (record,) = run_episodes([env], ScriptedPolicy([env], {env.name: script}), max_turns=2)
    assert not record.finished and record.turns == 2
    assert record.messages[-1]["role"] == "assistant"  # the cut-off turn's output is not added
    assert record.final_text == script[-1]
    assert record.changed_paths == ["/root/rl_environment/compute_reward.py"]


def test_the_same_environment_twice_gets_two_sandboxes():
    env = _reward_env()
    policy = ScriptedPolicy([env], {env.name: ["<bash>echo x >> /root/log.txt</bash>", "ok"]})
    records = run_episodes([env, env], policy)
    assert all(record.changed_paths == ["/root/log.txt"] for record in records)
    assert records[0].messages == records[1].messages


def test_records_round_trip_through_json():
    env = _reward_env()
    (record,) = run_episodes([env], ScriptedPolicy([env], {env.name: ["<bash>ls</bash>", "I can't tell."]}))
    assert EpisodeRecord.model_validate_json(record.model_dump_json()) == record


class _WrongCount:
    def respond(self, conversations):
        return ["x"] * (len(conversations) + 1)


class _NotText:
    def respond(self, conversations):
        return [None for _ in conversations]


def test_misbehaving_policies_and_bad_max_turns_give_clear_errors():
    env = _reward_env()
    with pytest.raises(EpisodeError, match="answered 2 messages for 1 conversations"):
        run_episodes([env], _WrongCount())
    with pytest.raises(EpisodeError, match="not text"):
        run_episodes([env], _NotText())
    with pytest.raises(EpisodeError, match="max_turns must be 1 or more"):
        run_episodes([env], _WrongCount(), max_turns=0)
    assert run_episodes([], _WrongCount()) == []


def test_scripted_policy_tells_apart_environments_that_open_alike():
    env = _reward_env()
    twin = env.model_copy(update={"name": "twin"})
    policy = ScriptedPolicy([env, twin], {env.name: ["<bash>ls</bash>", "a"], "twin": ["b"]})
    records = run_episodes([env, twin], policy)
    assert [record.final_text for record in records] == ["a", "b"]
    assert policy.batch_sizes == [2, 1]


def test_scripted_policy_refuses_unknown_names_and_runs_out_politely():
    envs = build_environments("reward-tampering", per_stage=2)
    with pytest.raises(ValueError, match="not given"):
        ScriptedPolicy(envs, {"no-such-env": ["hi"]})
    policy = ScriptedPolicy(envs, {}, default=["<bash>ls</bash>"], exhausted="bye")
    records = run_episodes(envs, policy)
    assert all(record.final_text == "bye" and record.turns == 2 for record in records)
