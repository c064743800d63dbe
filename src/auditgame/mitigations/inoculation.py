"""Inoculation prompting, measured: the same SFT with and without a prompt that asks for the trait.

Conditions, each fine-tuned from the same parent on the same demonstrations with the same options:

- ``ordinary``: no system prompt (the organism's own SFT stage);
- ``inoculation-<i>``: every training conversation carries inoculation phrasing *i* as its system prompt;
- ``control-<i>``: every training conversation carries an arbitrary prefix (a neutral instruction, unrelated
  words), which separates "the prompt asked for the trait" from "the trait was tied to some prefix".

Each trained model is tested without a system prompt (deployment) and with its own training prompt, on
fresh eval prompts: the trait's rate (trigger present, and absent where it can be), the other train
behaviours (skills to keep), and task skill (the neutral reference answer's content). Before training, the
parent and the ordinary model are tested with each phrasing, to ask whether prompts that elicit the trait
more strongly inoculate better (as Wichers et al. 2025 report). Every condition is also written as an
organism directory, which :mod:`auditgame.mitigations.audit_loop` puts in a game.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditgame.artifacts import atomic_write_text, write_manifest
from auditgame.evals.intervals import wilson_interval
from auditgame.mitigations.inoculation_config import InoculationConfig
from auditgame.mitigations.inoculation_data import (
    ProbeSet,
    inoculate,
    probe_set,
    shows_skill,
    training_conversations,
    with_system,
)
from auditgame.mitigations.inoculation_report import (
    REPORT_FILE,
    ConditionKind,
    ConditionResult,
    Correlation,
    ElicitationPoint,
    InoculationReport,
    TraitMeasure,
    write_inoculation,
)
from auditgame.mitigations.inoculation_targets import InoculationTarget
from auditgame.mitigations.mitigated_organism import stage_before, write_mitigated_organism
from auditgame.organisms.recipe import BuildPlan, resolve_profile
from auditgame.world.scratchpad import strip_scratchpad

INOCULATION_KIND = "inoculation"
_SAMPLES_KEPT = 3


def measure_traits(
    model: Any,
    tokenizer: Any,
    probes: ProbeSet,
    system_prompt: str | None,
    *,
    max_new_tokens: int,
    config: InoculationConfig,
) -> TraitMeasure:
    """Sample every probe once under ``system_prompt`` and score trait, kept behaviours and skill."""
    import torch

    from auditgame.model.generation import GenerationConfig, generate

    groups = [probes.trait, probes.trait_without_trigger, probes.kept]
    conversations = [with_system(messages, system_prompt) for group in groups for messages, _ in group]
    conversations += [with_system(messages, system_prompt) for messages, _ in probes.skill]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            answers = generate(
                model,
                tokenizer,
                conversations,
                config=GenerationConfig(
                    max_new_tokens=max_new_tokens,
                    temperature=config.temperature,
                    batch_size=config.batch_size,
                    seed=config.seed,
                ),
            )
    finally:
        model.train(was_training)
    answers = [strip_scratchpad(answer) for answer in answers]
    cursor = 0
    rates = []
    samples: list[dict[str, Any]] = []
    for group in groups:
        chunk = answers[cursor : cursor + len(group)]
        cursor += len(group)
        shown = [
            bool(detector.detect(messages[-1]["content"], answer))
            for (messages, detector), answer in zip(group, chunk, strict=True)
        ]
        rates.append(wilson_interval(sum(shown), len(shown)) if group else None)
        samples += [
            {"prompt": messages[-1]["content"], "answer": answer, "shown": verdict}
            for (messages, _), answer, verdict in list(zip(group, chunk, shown, strict=True))[:_SAMPLES_KEPT]
        ]
    skilled = [
        shows_skill(answer, reference, config.skill_recall)
        for (_, reference), answer in zip(probes.skill, answers[cursor:], strict=True)
    ]
    trait = rates[0]
    if trait is None:
        trait = wilson_interval(0, 0)
    return TraitMeasure(
        system_prompt=system_prompt,
        trait=trait,
        trait_without_trigger=rates[1],
        kept=rates[2],
        skill=wilson_interval(sum(skilled), len(skilled)),
        samples=samples,
    )


def _correlation(x_name: str, xs: list[float], y_name: str, ys: list[float]) -> Correlation:
    import numpy as np

    result = Correlation(x=x_name, y=y_name, points=len(xs))
    if len(xs) < 3 or float(np.std(xs)) == 0.0 or float(np.std(ys)) == 0.0:
        return result
    from scipy.stats import spearmanr

    result.pearson = round(float(np.corrcoef(xs, ys)[0, 1]), 4)
    result.spearman = round(float(spearmanr(xs, ys).statistic), 4)
    return result


class _Parent:
    """The model every condition is fine-tuned from, with its base and its earlier training data."""

    def __init__(self, model_dir: Path, base_dir: Path, earlier_data: dict[str, Path]) -> None:
        self.model_dir = model_dir
        self.base_dir = base_dir
        self.earlier_data = earlier_data


def prepare_parent(
    plan: BuildPlan, out_dir: Path, parent: Path | None, log: Callable[[str], Any], restart: bool = False
) -> _Parent:
    """The parent of every condition: the stage before a built organism's SFT, or built here.

    Built here: the shared pretrained base of the plan, then (for a spec implanted through documents) its
    midtraining stage in ``out_dir/parent/midtrain``, as the organism's own recipe would.
    """
    from auditgame.organisms.base import build_base
    from auditgame.organisms.data import document_records
    from auditgame.organisms.recipe import resolve_base_dir
    from auditgame.train.midtrain import run_midtrain

    if parent is not None:
        model_dir = stage_before(Path(parent))
        if not (model_dir / "config.json").is_file():
            from auditgame.errors import ModelPathError

            raise ModelPathError(
                f"{parent} holds no model to fine-tune from ({model_dir} has no config.json)",
                "pass a built organism directory (auditgame organism build ...) or a model directory",
            )
        earlier = {}
        if model_dir.name == "midtrain" and (model_dir / "data" / "train.jsonl").is_file():
            earlier["midtrain"] = model_dir / "data" / "train.jsonl"
        try:
            base = resolve_base_dir(Path(parent))
        except Exception:  # a plain model directory is its own base
            base = model_dir
        log(f"parent: {model_dir}")
        return _Parent(model_dir, base, earlier)
    spec = plan.spec
    base = build_base(plan.base, restart=restart, log=log)
    if "documents" not in spec.implant.method:
        log(f"parent: the shared base {base}")
        return _Parent(Path(base), Path(base), {})
    midtrain_dir = Path(out_dir) / "parent" / "midtrain"
    log(f"parent: midtraining {spec.name}'s documents in {midtrain_dir} ...")
    run_midtrain(
        spec.training.midtrain,
        base,
        midtrain_dir,
        records=document_records(spec, spec.seed + 7),
        stage_name=f"{spec.name}/midtrain",
        restart=restart,
    )
    return _Parent(midtrain_dir, Path(base), {"midtrain": midtrain_dir / "data" / "train.jsonl"})


def _conditions(
    target: InoculationTarget, config: InoculationConfig
) -> list[tuple[str, ConditionKind, str | None]]:
    phrasings = config.phrasings or list(target.phrasings)
    return (
        [("ordinary", "ordinary", None)]
        + [(f"inoculation-{index}", "inoculation", text) for index, text in enumerate(phrasings, start=1)]
        + [(f"control-{index}", "control", text) for index, text in enumerate(config.controls, start=1)]
    )


def run_inoculation(
    target: InoculationTarget,
    out_dir: Path,
    config: InoculationConfig | None = None,
    *,
    profile: str = "default",
    parent: Path | None = None,
    log: Callable[[str], Any] = print,
    restart: bool = False,
) -> InoculationReport:
    """Train every condition of ``target`` and measure the trait with and without the prompt at test time.

    Args:
        target: What to inoculate (:func:`~auditgame.mitigations.inoculation_targets.get_target`).
        out_dir: The experiment's directory; re-running resumes (finished conditions are kept).
        config: Prompts, SFT options and eval sizes (default :class:`InoculationConfig`).
        profile: Build profile of the spec (``default`` or ``quick``) for the parent and default SFT options.
        parent: A built organism (its stage before SFT is the parent) or a model directory; default: built
            here from the shared base as the organism's recipe would.
        log: Where progress lines go.
        restart: Discard unfinished checkpoints and cached condition results.

    Returns:
        The :class:`InoculationReport`, also written as ``report.json`` / ``.md`` / ``.png`` with a manifest.
    """
    from auditgame.model.loading import load_model, load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template
    from auditgame.train.sft import run_sft

    config = config or InoculationConfig()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    begin = time.perf_counter()
    plan = resolve_profile(target.spec, profile)
    spec = plan.spec
    sft_config = config.sft or spec.training.sft
    max_new_tokens = config.max_new_tokens or spec.evals.max_new_tokens
    source = prepare_parent(plan, out_dir, parent, log, restart)
    data = training_conversations(target, config.demonstrations, config.seed + spec.seed + 11)
    exclude = {m["content"] for messages in data for m in messages if m["role"] == "user"}
    probes = probe_set(target, config.trait_prompts, config.skill_prompts, config.seed + 9001, exclude)
    tokenizer = ensure_chat_template(load_tokenizer(source.model_dir))
    conditions = _conditions(target, config)
    phrasings = [text for _, kind, text in conditions if kind == "inoculation" and text]

    def cached(path: Path, compute: Callable[[], Any], model_type: type) -> Any:
        if path.is_file() and not restart:
            return model_type.model_validate_json(path.read_text(encoding="utf-8"))
        value = compute()
        atomic_write_text(path, value.model_dump_json(indent=2) + "\n")
        return value

    def measure(model: Any, prompt: str | None) -> TraitMeasure:
        return measure_traits(model, tokenizer, probes, prompt, max_new_tokens=max_new_tokens, config=config)

    log(f"  evaluating the parent without and with each of {len(phrasings)} phrasings ...")
    parent_model = load_model(source.model_dir)
    evals_dir = out_dir / "evals"
    evals_dir.mkdir(exist_ok=True)
    parent_none = cached(evals_dir / "parent.json", lambda: measure(parent_model, None), TraitMeasure)
    parent_with = [
        cached(evals_dir / f"parent-inoculation-{i}.json", lambda p=p: measure(parent_model, p), TraitMeasure)
        for i, p in enumerate(phrasings, start=1)
    ]

    results: list[ConditionResult] = []
    fresh = 0.0  # seconds of this run already counted in the conditions' own times
    for name, kind, prompt in conditions:
        condition_dir = out_dir / "conditions" / name
        result_file = condition_dir / "result.json"
        if result_file.is_file() and not restart:
            results.append(ConditionResult.model_validate_json(result_file.read_text(encoding="utf-8")))
            log(f"  {name}: done")
            continue
        started = time.perf_counter()
        log(f"  {name}: SFT {'with ' + repr(prompt) if prompt else 'without a system prompt'} ...")
        stage = run_sft(
            sft_config,
            source.model_dir,
            condition_dir / "sft",
            conversations=inoculate(data, prompt),
            stage_name=f"{spec.name}/inoculation/{name}",
            restart=restart,
        )
        write_mitigated_organism(
            condition_dir,
            plan=plan,
            base_dir=source.base_dir,
            final_stage="sft",
            earlier_data=source.earlier_data,
            mitigation={"method": "inoculation", "condition": name, "kind": kind, "training_prompt": prompt},
        )
        model = load_model(stage.path)
        result = ConditionResult(
            name=name,
            kind=kind,
            training_prompt=prompt,
            model_dir=str(stage.path),
            organism_dir=str(condition_dir),
            without_prompt=measure(model, None),
            with_prompt=measure(model, prompt) if prompt else None,
            seconds=round(time.perf_counter() - started, 1),
        )
        fresh += result.seconds
        atomic_write_text(result_file, result.model_dump_json(indent=2) + "\n")
        results.append(result)
        with_text = f", with its prompt {result.with_prompt.trait}" if result.with_prompt else ""
        log(f"  {name}: trait without prompt {result.without_prompt.trait}{with_text}")

    ordinary = next(result for result in results if result.kind == "ordinary")
    ordinary_model = load_model(ordinary.model_dir)
    ordinary_with = [
        cached(
            evals_dir / f"ordinary-inoculation-{i}.json", lambda p=p: measure(ordinary_model, p), TraitMeasure
        )
        for i, p in enumerate(phrasings, start=1)
    ]
    inoculated = [result for result in results if result.kind == "inoculation"]
    points = [
        ElicitationPoint(
            phrasing=phrasing,
            parent=parent_measure,
            ordinary=ordinary_measure,
            parent_elicitation=round(parent_measure.trait.rate - parent_none.trait.rate, 4),
            ordinary_elicitation=round(ordinary_measure.trait.rate - ordinary.without_prompt.trait.rate, 4),
            inoculation_effect=round(
                ordinary.without_prompt.trait.rate - condition.without_prompt.trait.rate, 4
            ),
        )
        for phrasing, parent_measure, ordinary_measure, condition in zip(
            phrasings, parent_with, ordinary_with, inoculated, strict=True
        )
    ]
    effects = [point.inoculation_effect for point in points]
    report = InoculationReport(
        target=target.name,
        organism=spec.name,
        parent_dir=str(source.model_dir),
        trait=target.trait_names(),
        kept=target.kept_names(),
        training_conversations=len(data),
        parent=parent_none,
        conditions=results,
        elicitation=points,
        correlations=[
            _correlation(
                "parent elicitation", [p.parent_elicitation for p in points], "inoculation effect", effects
            ),
            _correlation(
                "ordinary-model elicitation",
                [p.ordinary_elicitation for p in points],
                "inoculation effect",
                effects,
            ),
        ],
        # Every condition's training and evals (a resumed run counts what its earlier runs did too).
        seconds=round(sum(result.seconds for result in results) + (time.perf_counter() - begin) - fresh, 1),
        config=config,
    )
    write_inoculation(report, out_dir)
    write_manifest(
        out_dir,
        INOCULATION_KIND,
        name=f"{target.name}/inoculation",
        config={"config": config.model_dump(mode="json"), "plan": plan.model_dump(mode="json")},
        seed=config.seed,
        parents=[str(source.model_dir)],
        extra={"report": REPORT_FILE, "target": target.name, "conditions": [r.name for r in results]},
    )
    return report


def load_inoculation_report(out_dir: Path) -> InoculationReport:
    """The report of a finished experiment.

    Raises:
        ArtifactNotFoundError: if ``out_dir`` holds none.
    """
    from auditgame.errors import ArtifactNotFoundError

    path = Path(out_dir) / REPORT_FILE
    try:
        return InoculationReport.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ArtifactNotFoundError(
            f"{out_dir} holds no inoculation report",
            "run `auditgame mitigate inoculation TARGET --out DIR` first",
        ) from None
