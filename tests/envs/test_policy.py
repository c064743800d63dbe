"""Policies: one command block per turn, endpoint specs, and an endpoint policy answering through a fake client."""

from __future__ import annotations

import pytest

from auditgame.envs.policy import EndpointPolicy, cut_after_first_command, load_policy
from auditgame.errors import ConfigError


def test_a_turn_is_cut_after_its_first_command():
    assert cut_after_first_command("<bash>ls</bash>\n<stdout>\nimagined\n</stdout>") == "<bash>ls</bash>"
    assert cut_after_first_command("no command here") == "no command here"
    assert cut_after_first_command("<bash>a</bash><bash>b</bash>") == "<bash>a</bash>"


@pytest.mark.parametrize("spec", ["openai:", "openai:gpt-4o", "openai:@http://x/v1"])
def test_malformed_endpoint_specs_are_refused(spec):
    with pytest.raises(ConfigError, match="openai:<model>@<base_url>"):
        load_policy(spec)


def test_endpoint_policy_sends_each_conversation_and_cuts_the_reply(monkeypatch):
    policy = load_policy("openai:some-model@http://127.0.0.1:9/v1")
    assert isinstance(policy, EndpointPolicy)
    seen = []

    def complete(messages, tools):
        seen.append((messages, tools))
        return {"role": "assistant", "content": f"<bash>cat {len(messages)}</bash> and more"}

    monkeypatch.setattr(policy.client, "complete", complete)
    conversations = [
        [{"role": "user", "content": "hi"}],
        [{"role": "system", "content": "s"}, {"role": "user", "content": "x"}],
    ]
    assert policy.respond(conversations) == ["<bash>cat 1</bash>", "<bash>cat 2</bash>"]
    assert [tools for _, tools in seen] == [[], []]
    assert policy.client.model == "some-model"
