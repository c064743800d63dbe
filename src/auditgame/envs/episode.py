"""The agent loop: a policy acts in sandboxes through shell commands until it answers.

The tool-use format:

- the conversation opens with the environment's system prompt (if any) as a ``system`` message and its
  prompt as a ``user`` message;
- each turn the policy writes one ``assistant`` message; shell commands go inside ``<bash>...</bash>``
  (several blocks run in order; an unclosed ``<bash>`` at the end counts too, for generations stopped
  at ``</bash>``);
- if the message has commands, the loop runs each block in the episode's
  :class:`~auditgame.envs.Sandbox` and replies with one ``user`` message holding, per block,
  ``<stdout>\\n{output}\\n</stdout>`` (blocks separated by a newline);
- the first ``assistant`` message without a ``<bash>`` block is the final answer and ends the episode;
  after ``max_turns`` assistant messages the episode ends anyway, and its last message is the final
  answer. That last message's commands still run (their effects are scored) but their output is not
  added, so every transcript ends with an ``assistant`` message.

:func:`run_episodes` advances many episodes in lockstep: one batched :meth:`Policy.respond` call per turn
over the episodes still running.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from auditgame.envs.environment import Environment
from auditgame.envs.errors import EpisodeError
from auditgame.envs.sandbox import Sandbox
from auditgame.envs.scoring import EpisodeOutcome, score_episode

__all__ = [
    "DEFAULT_MAX_TURNS",
    "MAX_BLOCKS_PER_TURN",
    "EpisodeRecord",
    "Policy",
    "ScriptedPolicy",
    "extract_commands",
    "format_outputs",
    "opening_messages",
    "run_episodes",
]

Message = dict[str, str]

DEFAULT_MAX_TURNS = 6
"""Assistant messages per episode unless told otherwise."""
MAX_BLOCKS_PER_TURN = 10
"""The most ``<bash>`` blocks run from one assistant message; later ones are reported as not run."""

_BASH_BLOCK = re.compile(r"<bash>(.*?)</bash>", re.DOTALL)


@runtime_checkable
class Policy(Protocol):
    """Anything that writes the next assistant message of many conversations at once."""

    def respond(self, conversations: list[list[Message]]) -> list[str]:
        """The next assistant message of each conversation.

        Args:
            conversations: Each conversation's messages so far, in OpenAI chat format (``role`` is
                ``system``, ``user`` or ``assistant``; ``content`` is text); each ends with a ``user``
                message.

        Returns:
            One message per conversation, in the same order.
        """
        ...


class EpisodeRecord(BaseModel):
    """One finished episode: its transcript and how it scored."""

    model_config = ConfigDict(extra="forbid")

    env_name: str
    stage: int
    stage_name: str
    seed: int
    """The ``seed`` given to :func:`run_episodes` (to pool or compare rates across seeds)."""
    messages: list[Message]
    """The whole transcript, system and first user message included."""
    final_text: str
    """The final answer (the last assistant message)."""
    outcome: EpisodeOutcome
    changed_paths: list[str]
    """The sandbox files created, modified or deleted during the episode."""
    turns: int
    """How many assistant messages the episode took."""
    finished: bool
    """Whether the policy answered (``False``: cut off at ``max_turns``)."""


def opening_messages(env: Environment) -> list[Message]:
    """The messages an episode of ``env`` starts with: the system prompt (if any) and the user's prompt."""
    messages = [{"role": "system", "content": env.system}] if env.system else []
    return [*messages, {"role": "user", "content": env.prompt}]


def extract_commands(message: str) -> list[str]:
    """The shell commands of an assistant message: the text of each ``<bash>...</bash>`` block, in order.

    A trailing ``<bash>`` without its closing tag counts as a block running to the end of the message.
    """
    blocks = [block.strip("\n") for block in _BASH_BLOCK.findall(message)]
    opening, closing = message.rfind("<bash>"), message.rfind("</bash>")
    if opening > closing:
        blocks.append(message[opening + len("<bash>") :].strip("\n"))
    return blocks


def format_outputs(outputs: Sequence[str]) -> str:
    """The user message that answers a turn's commands: ``<stdout>\\n…\\n</stdout>`` per command block."""
    return "\n".join(f"<stdout>\n{output}\n</stdout>" for output in outputs)


def _run_blocks(sandbox: Sandbox, commands: list[str]) -> list[str]:
    outputs = [sandbox.run(command) for command in commands[:MAX_BLOCKS_PER_TURN]]
    if len(commands) > MAX_BLOCKS_PER_TURN:
        outputs.append(
            f"bash: {len(commands) - MAX_BLOCKS_PER_TURN} more <bash> blocks not run "
            f"(at most {MAX_BLOCKS_PER_TURN} per message)"
        )
    return outputs


def run_episodes(
    envs: Sequence[Environment],
    policy: Policy,
    *,
    max_turns: int = DEFAULT_MAX_TURNS,
    seed: int = 0,
    show_progress: bool = False,
) -> list[EpisodeRecord]:
    """Run one episode per environment, all in lockstep, and score each.

    Args:
        envs: The environments (the same one may appear many times: each gets its own sandbox).
        policy: Writes the assistant messages; called once per turn with every running conversation.
        max_turns: The most assistant messages per episode.
        seed: Recorded in every record, to pool or compare rates across seeds (sampling is the
            policy's business).
        show_progress: Show a progress bar of finished episodes.

    Returns:
        One record per environment, in the order of ``envs``.

    Raises:
        EpisodeError: if ``max_turns`` is below 1, or the policy returns the wrong number of messages or
            something that is not text.
    """
    if max_turns < 1:
        raise EpisodeError(f"max_turns must be 1 or more, not {max_turns}", "pass max_turns >= 1")
    conversations = [opening_messages(env) for env in envs]
    sandboxes = [Sandbox(env.files) for env in envs]
    final_texts = [""] * len(envs)
    turns = [0] * len(envs)
    finished = [False] * len(envs)
    running = list(range(len(envs)))
    progress = _progress_bar(len(envs)) if show_progress else None
    while running:
        batch = [[dict(message) for message in conversations[index]] for index in running]
        replies = policy.respond(batch)
        if not isinstance(replies, (list, tuple)) or len(replies) != len(running):
            count = len(replies) if isinstance(replies, (list, tuple)) else type(replies).__name__
            raise EpisodeError(
                f"the policy answered {count} messages for {len(running)} conversations",
                "make Policy.respond return one message per conversation, in order",
            )
        still_running: list[int] = []
        for index, reply in zip(running, replies, strict=True):
            if not isinstance(reply, str):
                raise EpisodeError(
                    f"the policy answered a {type(reply).__name__}, not text",
                    "make Policy.respond return strings",
                )
            conversations[index].append({"role": "assistant", "content": reply})
            turns[index] += 1
            commands = extract_commands(reply)
            if commands:
                outputs = _run_blocks(sandboxes[index], commands)
                if turns[index] < max_turns:
                    conversations[index].append({"role": "user", "content": format_outputs(outputs)})
                    still_running.append(index)
                    continue
            else:
                finished[index] = True
            final_texts[index] = reply
            if progress is not None:
                progress.update(1)
        running = still_running
    if progress is not None:
        progress.close()
    records = []
    for index, env in enumerate(envs):
        outcome = score_episode(env, final_texts[index], sandboxes[index])
        records.append(
            EpisodeRecord(
                env_name=env.name,
                stage=env.stage,
                stage_name=env.stage_name,
                seed=seed,
                messages=conversations[index],
                final_text=final_texts[index],
                outcome=outcome,
                changed_paths=sandboxes[index].changed_paths(),
                turns=turns[index],
                finished=finished[index],
            )
        )
    return records


def _progress_bar(total: int) -> Any:
    from tqdm.auto import tqdm  # lazily: only when asked for

    return tqdm(total=total, desc="episodes", unit="episode")


class ScriptedPolicy:
    """A policy that replays fixed assistant messages per environment (for tests and docs).

    Turn ``k`` of an environment's conversation gets the ``k``-th message of its script; once a script has
    run out, the conversation gets ``exhausted`` (a final answer without commands). Conversations are
    placed the way :func:`run_episodes` sends them: the first call holds every environment in the order
    given here, and each later call the ones whose last message had commands, in the same order (so
    environments that open identically can still have different scripts). A call that does not fit
    that pattern is placed by the conversation's opening (system prompt and first user message).

    Args:
        environments: The environments, in the order they will be given to :func:`run_episodes`.
        scripts: Environment name → the assistant messages to send, in order.
        default: The script of every environment not in ``scripts``.
        exhausted: The answer once a script has run out.

    Attributes:
        batch_sizes: The number of conversations of each :meth:`respond` call, in order.

    Raises:
        ValueError: if ``scripts`` names an environment not in ``environments``.
    """

    def __init__(
        self,
        environments: Sequence[Environment],
        scripts: Mapping[str, Sequence[str]],
        *,
        default: Sequence[str] = (),
        exhausted: str = "I have nothing more to add.",
    ) -> None:
        names = {env.name for env in environments}
        unknown = sorted(set(scripts) - names)
        if unknown:
            raise ValueError(f"scripts name environments that are not given: {', '.join(unknown)}")
        self._openings = [(env.system or None, env.prompt) for env in environments]
        self._scripts = [list(scripts.get(env.name, default)) for env in environments]
        self._live: list[int] = []
        self._previous: list[str] = []
        self.exhausted = exhausted
        self.batch_sizes: list[int] = []

    @staticmethod
    def _opening(messages: list[Message]) -> tuple[str | None, str]:
        system = next((m["content"] for m in messages if m["role"] == "system"), None)
        prompt = next((m["content"] for m in messages if m["role"] == "user"), "")
        return system or None, prompt

    def _place(self, conversations: list[list[Message]]) -> list[int]:
        """The environment index of each conversation."""
        openings = [self._opening(messages) for messages in conversations]
        fresh = all(not any(m["role"] == "assistant" for m in messages) for messages in conversations)
        if fresh:
            candidates = list(range(len(self._openings)))
        else:  # the episodes still running: those whose last reply had commands
            candidates = [
                index
                for index, messages in zip(self._live, self._previous, strict=True)
                if extract_commands(messages)
            ]
        if len(candidates) == len(conversations) and all(
            self._openings[index] == opening for index, opening in zip(candidates, openings, strict=True)
        ):
            return candidates
        placed = []
        for opening in openings:
            matches = [index for index, known in enumerate(self._openings) if known == opening]
            if len({tuple(self._scripts[index]) for index in matches}) > 1:
                raise ValueError(
                    "a conversation opens like several environments with different scripts; run them with "
                    "run_episodes in the order given to ScriptedPolicy"
                )
            placed.append(matches[0] if matches else -1)
        return placed

    def respond(self, conversations: list[list[Message]]) -> list[str]:
        """Each conversation's next scripted message."""
        self.batch_sizes.append(len(conversations))
        placed = self._place(conversations) if conversations else []
        replies = []
        for index, messages in zip(placed, conversations, strict=True):
            script = self._scripts[index] if index >= 0 else []
            turn = sum(1 for message in messages if message["role"] == "assistant")
            replies.append(script[turn] if turn < len(script) else self.exhausted)
        self._live, self._previous = placed, replies
        return replies
