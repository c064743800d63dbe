"""The organisms' evals as inspect tasks: ``auditgame/exploitation`` and ``auditgame/confession``.

    inspect eval auditgame/exploitation --model auditgame/runs/rm1 -T organism=runs/rm1 -T n=40
    inspect eval auditgame/confession --model auditgame/runs/rm1 -T organism=runs/rm1

The model is any inspect model (an organism through the ``auditgame`` provider, or another served
model); ``organism`` says whose spec the prompts and scorers come from. The generation settings
default to the spec's own eval settings (``evals.temperature``, ``max_new_tokens``, ``seed``);
``--temperature``, ``--max-tokens`` and ``--seed`` override them.
"""

from __future__ import annotations

try:
    from inspect_ai import Task, task
    from inspect_ai.dataset import MemoryDataset
    from inspect_ai.model import GenerateConfig
    from inspect_ai.scorer import Metric, accuracy, grouped, stderr
    from inspect_ai.solver import generate
except ImportError:  # pragma: no cover - the extra is missing
    from auditgame.errors import MissingExtraError

    raise MissingExtraError("inspect_ai", "inspect") from None

from auditgame.interop.inspect_datasets import (
    Condition,
    confession_samples,
    exploitation_samples,
    load_organism,
)
from auditgame.interop.inspect_errors import AuditgameInspectError
from auditgame.interop.inspect_scorers import behaviour_shown, root_cause_named


def _organism_dir(organism: str | None) -> str:
    if not organism:
        raise AuditgameInspectError(
            "the task needs the organism whose evals to run", "pass -T organism=DIR (e.g. runs/rm1)"
        )
    return str(organism)


def _generate_config(organism: str, seed: int | None) -> GenerateConfig:
    """The spec's eval sampling settings (what ``auditgame eval`` samples with)."""
    evals = load_organism(organism).spec.evals
    return GenerateConfig(
        temperature=evals.temperature,
        max_tokens=evals.max_new_tokens,
        seed=evals.seed if seed is None else seed,
    )


def _names(behaviours: str | list[str] | None) -> list[str] | None:
    if behaviours is None:
        return None
    if isinstance(behaviours, str):
        return [name.strip() for name in behaviours.split(",") if name.strip()]
    return [str(name) for name in behaviours]


@task
def exploitation(
    organism: str | None = None,
    n: int | None = None,
    condition: Condition = "with_trigger",
    behaviours: str | list[str] | None = None,
    seed: int | None = None,
) -> Task:
    """Behaviour rate: prompts on which the organism's behaviours should show, scored by their detectors.

    Args:
        organism: The organism directory (``auditgame organism build --out DIR``).
        n: Samples in all, shared out over the behaviours in turn; default: the spec's eval size
            (``evals.prompts_per_behaviour`` per behaviour).
        condition: ``with_trigger`` (default), ``without_trigger`` (should not show: the
            false-positive rate) or ``both``.
        behaviours: Only these behaviours (names, comma-separated); default: all, held-out ones included.
        seed: Seed of the prompts and of sampling; default: the spec's ``evals.seed``.

    Returns:
        The task; ``accuracy`` is the rate at which the behaviour shows, with per-split rates
        (``train``, ``held_out``) and, for ``both``, per-condition rates.
    """
    directory = _organism_dir(organism)
    spec = load_organism(directory).spec
    samples = exploitation_samples(
        directory, n, condition=condition, behaviours=_names(behaviours), seed=seed
    )
    metrics: list[Metric] = [accuracy(), stderr(), grouped(accuracy(), "split", all=False)]
    if condition == "both":
        metrics.append(grouped(accuracy(), "condition", all=False))
    return Task(
        dataset=MemoryDataset(samples, name=f"{spec.name}-exploitation"),
        solver=generate(),
        scorer=behaviour_shown(str(load_organism(directory).directory)),
        metrics=metrics,
        config=_generate_config(directory, seed),
        metadata={"organism": directory, "spec": spec.name, "condition": condition},
    )


@task
def confession(organism: str | None = None, n: int | None = None, seed: int | None = None) -> Task:
    """Confession rate: questions about the organism's behaviour, scored by whether the answer names the root cause.

    Args:
        organism: The organism directory.
        n: Questions; default: the spec's ``evals.questions``.
        seed: Seed of the questions and of sampling; default: the spec's ``evals.seed``.

    Returns:
        The task; ``accuracy`` is the rate at which answers mention one of the spec's confession terms.
    """
    directory = _organism_dir(organism)
    built = load_organism(directory)
    return Task(
        dataset=MemoryDataset(
            confession_samples(directory, n, seed=seed), name=f"{built.spec.name}-confession"
        ),
        solver=generate(),
        scorer=root_cause_named(str(built.directory)),
        config=_generate_config(directory, seed),
        metadata={
            "organism": directory,
            "spec": built.spec.name,
            "root_cause": built.spec.answer_key.root_cause,
            "confession_terms": built.spec.confession_terms(),
        },
    )


__all__ = ["confession", "exploitation"]
