"""Reward-tampering environments after Denison et al. (2024), "Sycophancy to Subterfuge".

A curriculum of five stages of increasingly egregious specification gaming — political sycophancy,
tool-use flattery, nudged and insubordinate rubric modification, and (held out) reward tampering — each
an :class:`Environment` whose episodes run in an in-memory :class:`Sandbox` and are scored by registered
reward and oversight functions. Nothing here imports torch or touches the real file system.

Typical use::

    from auditgame.envs import build_environments, run_episodes, stage_rates

    envs = build_environments("reward-tampering", seed=0)
    records = run_episodes(envs, policy, max_turns=6)
    print(stage_rates(records).reward_tampering)

See ``docs/envs.md`` for the tool-use format, the sandbox's limits and the scoring definitions.
"""

from auditgame.envs.environment import (
    DEFAULT_INSTANCES,
    STAGE_DESCRIPTIONS,
    STAGES,
    Environment,
    build_environments,
    load_environments,
    resolve_stage,
    save_environments,
)
from auditgame.envs.episode import (
    EpisodeRecord,
    Policy,
    ScriptedPolicy,
    extract_commands,
    format_outputs,
    opening_messages,
    run_episodes,
)
from auditgame.envs.errors import (
    EnvironmentFileError,
    EnvironmentMetadataError,
    EpisodeError,
    UnknownCommandError,
    UnknownStageError,
)
from auditgame.envs.python_subset import evaluate_reward, evaluate_tests
from auditgame.envs.rates import (
    Rate,
    SeedSpread,
    StageRates,
    clopper_pearson,
    samples_needed,
    seed_spread,
    stage_rates,
    summarize_stages,
    upper_bound_zero_events,
)
from auditgame.envs.sandbox import Sandbox
from auditgame.envs.scoring import (
    EpisodeOutcome,
    oversight_command,
    oversight_command_names,
    reward_command,
    reward_command_names,
    score_episode,
)

__all__ = [
    "DEFAULT_INSTANCES",
    "STAGES",
    "STAGE_DESCRIPTIONS",
    "Environment",
    "EnvironmentFileError",
    "EnvironmentMetadataError",
    "EpisodeError",
    "EpisodeOutcome",
    "EpisodeRecord",
    "Policy",
    "Rate",
    "Sandbox",
    "ScriptedPolicy",
    "SeedSpread",
    "StageRates",
    "UnknownCommandError",
    "UnknownStageError",
    "build_environments",
    "clopper_pearson",
    "evaluate_reward",
    "evaluate_tests",
    "extract_commands",
    "format_outputs",
    "load_environments",
    "opening_messages",
    "oversight_command",
    "oversight_command_names",
    "resolve_stage",
    "reward_command",
    "reward_command_names",
    "run_episodes",
    "samples_needed",
    "save_environments",
    "score_episode",
    "seed_spread",
    "stage_rates",
    "summarize_stages",
    "upper_bound_zero_events",
]
