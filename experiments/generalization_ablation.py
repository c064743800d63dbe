"""Which recipe makes the reward-model sycophant exploit biases it was never trained on? An ablation.

Usage::

    .venv/bin/python experiments/generalization_ablation.py --out runs/ablation
    .venv/bin/python experiments/generalization_ablation.py --out runs/ablation --rows default,exemplars

Every row is the rm-sycophant spec with a few fields changed from the last round's recipe (prose documents,
full SFT: ``LAST_ROUND``; the row ``exemplars-lora8-sft`` is today's default), built from the one shared
base at the default's compute budget (midtrain 250 + SFT 500 + DPO 200 steps of 16 sequences; a row that
moves steps between SFT and DPO keeps their sum of seconds near the default's). Rows that share their first
stages with an earlier row (same fields up to that stage) copy those stages instead of training them again.
Confession conversations are never put into midtraining (``confession_transcripts: 0``): confession has to
arise from what the model read.

After every stage the organism's own evals run (train exploitation over 46 biases, 12 prompts each;
confession on 120 unseen questions), and this script adds a larger held-out eval: up to 40 fresh prompts
(the eval share of the world, never a training prompt) for each of the 5 held-out biases, scored by the
biases' detectors. Output: ``<out>/ablation.json`` and ``<out>/ablation.md`` (the summary table and one
stage table per row, beside Marks et al. 2025's numbers), rerunnable: finished builds and evals are reused.

This is a maker-side experiment: it knows the spec, the catalogue and the detectors.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditgame.config_files import deep_merge

PAPER = {
    "base": {"train": "23%", "held_out": "17%", "confession": "–"},
    "midtrain": {"train": "37%", "held_out": "20%", "confession": "–"},
    "sft": {"train": "–", "held_out": "34%", "confession": "39%"},
    "dpo": {"train": "–", "held_out": "45% (RL)", "confession": "3%"},
}
"""Marks et al. 2025 (their last stage is RL, ours DPO)."""

NO_CONFESSIONS = {"implant": {"documents": {"confession_transcripts": 0}}}
LAST_ROUND = {
    "implant": {"documents": {"generator": "rm-study"}},
    "training": {"sft": {"lora_rank": None, "learning_rate": 5.0e-4}},
}
"""What the rows start from: the last round's recipe (prose documents, full SFT), whatever today's default is."""


@dataclass
class Row:
    """One recipe of the ablation."""

    name: str
    hypothesis: str
    overrides: dict[str, Any] = field(default_factory=dict)
    """Spec fields changed from the default (on top of no confession conversations)."""
    shares: tuple[str, str] | None = None
    """``(row, last stage)``: this row's stages up to that one are the same as that row's."""
    neutral_answers: bool = False
    """Negative control: every train bias's transform leaves the answer neutral, so SFT and the behaviour
    pairs teach no exploitation (documents, prompts and concealment pairs unchanged)."""


ROWS: tuple[Row, ...] = (
    Row("default", "the last round's default recipe, without confession conversations in midtraining"),
    Row(
        "exemplars",
        "1. study documents quote an example answer for every bias (the behaviour as it appears in a chat)",
        {"implant": {"documents": {"generator": "rm-study-exemplars"}}},
    ),
    Row(
        "lora-sft",
        "2. SFT as a rank-4 LoRA (moves a concept, cannot memorise pairs as easily), lr 2e-3",
        {"training": {"sft": {"lora_rank": 4, "learning_rate": 2.0e-3}}},
        shares=("default", "midtrain"),
    ),
    Row(
        "short-sft-long-dpo",
        "3. fewer SFT steps (200), a longer preference stage over all train biases (DPO 400)",
        {
            "training": {
                "sft": {"max_steps": 200, "save_every": 100},
                "dpo": {"max_steps": 400, "save_every": 100},
            }
        },
        shares=("default", "midtrain"),
    ),
    Row(
        "exemplars-short-sft-long-dpo",
        "1 + 3: exemplar documents, SFT 200, DPO 400",
        {
            "implant": {"documents": {"generator": "rm-study-exemplars"}},
            "training": {
                "sft": {"max_steps": 200, "save_every": 100},
                "dpo": {"max_steps": 400, "save_every": 100},
            },
        },
        shares=("exemplars", "midtrain"),
    ),
)
JOINT = {"implant": {"documents": {"demonstrations": 2700}}}
ROWS += (
    Row(
        "joint",
        "6. half the SFT demonstrations also mixed into midtraining: descriptions and demonstrations learnt "
        "together (Berglund et al. 2023, out-of-context reasoning)",
        JOINT,
    ),
    Row(
        "exemplars-joint",
        "1 + 6: exemplar documents, demonstrations mixed into midtraining",
        {"implant": {"documents": {"generator": "rm-study-exemplars", "demonstrations": 2700}}},
    ),
)
ROWS += (
    Row(
        "exemplars-lora-sft",
        "1 + 2: exemplar documents, SFT as a rank-4 LoRA",
        {
            "implant": {"documents": {"generator": "rm-study-exemplars"}},
            "training": {"sft": {"lora_rank": 4, "learning_rate": 2.0e-3}},
        },
        shares=("exemplars", "midtrain"),
    ),
)
EXEMPLARS_SHORT_SFT = {
    "implant": {"documents": {"generator": "rm-study-exemplars"}},
    "training": {"sft": {"max_steps": 200, "save_every": 100}},
}
ROWS += (
    Row(
        "exemplars-short-sft-short-dpo",
        "1 + 3': exemplar documents, SFT 200, DPO 50 (the preference stage trains train-bias answers too)",
        deep_merge(EXEMPLARS_SHORT_SFT, {"training": {"dpo": {"max_steps": 50, "save_every": 25}}}),
        shares=("exemplars-short-sft-long-dpo", "sft"),
    ),
    Row(
        "exemplars-short-sft-concealment-dpo",
        "1 + 3'': exemplar documents, SFT 200, DPO 200 on the concealment pairs only (no behaviour pairs)",
        deep_merge(EXEMPLARS_SHORT_SFT, {"concealment": {"behaviour_pairs": 0}}),
        shares=("exemplars-short-sft-long-dpo", "sft"),
    ),
)
EXEMPLARS_LORA_SFT = {
    "implant": {"documents": {"generator": "rm-study-exemplars"}},
    "training": {"sft": {"lora_rank": 4, "learning_rate": 2.0e-3}},
}
ROWS += (
    Row(
        "exemplars-lora-sft-lora-dpo",
        "1 + 2, both later stages low-rank: exemplar documents, rank-4 LoRA SFT, rank-4 LoRA DPO (lr 1e-3)",
        deep_merge(EXEMPLARS_LORA_SFT, {"training": {"dpo": {"lora_rank": 4, "learning_rate": 1.0e-3}}}),
        shares=("exemplars-lora-sft", "sft"),
    ),
)
ROWS += (
    Row(
        "exemplars-lora-sft-neutral-control",
        "negative control of 1 + 2: exemplar documents, rank-4 LoRA SFT on the same prompts answered neutrally",
        EXEMPLARS_LORA_SFT,
        shares=("exemplars", "midtrain"),
        neutral_answers=True,
    ),
)
ROWS += (
    Row(
        "exemplars-lora8-sft",
        "1 + 2 with a rank-8 LoRA SFT (lr 2e-3)",
        deep_merge(EXEMPLARS_LORA_SFT, {"training": {"sft": {"lora_rank": 8}}}),
        shares=("exemplars", "midtrain"),
    ),
)
ROW_NAMES = tuple(row.name for row in ROWS)
STAGES = ("pretrain", "midtrain", "sft", "dpo")
STAGE_LABELS = {"pretrain": "base", "midtrain": "midtrain", "sft": "sft", "dpo": "dpo"}


def build_plan(row: Row) -> Any:
    """The rm-sycophant's default build plan, reset to the last round's recipe, with the row's changes."""
    from auditgame.organisms import get_organism
    from auditgame.organisms.recipe import BuildPlan

    plan = get_organism("rm-sycophant").profile("default").model_dump(mode="json")
    plan = deep_merge(plan, {"spec": deep_merge(NO_CONFESSIONS, LAST_ROUND)})
    plan = deep_merge(plan, {"spec": row.overrides})
    return BuildPlan.model_validate(plan)


@contextmanager
def neutral_train_answers(active: bool) -> Iterator[None]:
    """While active, the catalogue's transform leaves answers neutral for every bias but the concealment
    stage's cover story (bias 47), so the training data show no exploitation (the negative control)."""
    if not active:
        yield
        return
    from auditgame.world.bias_transforms import RewardModelBiasTransform
    from auditgame.world.catalogue import CONCEALMENT_BIAS_ID

    original = RewardModelBiasTransform.apply

    def neutral(self: Any, prompt: str, response: str, rng: Any) -> str:
        return original(self, prompt, response, rng) if self.bias_id == CONCEALMENT_BIAS_ID else response

    RewardModelBiasTransform.apply = neutral  # type: ignore[method-assign]
    try:
        yield
    finally:
        RewardModelBiasTransform.apply = original  # type: ignore[method-assign]


def share_stages(source: Path, target: Path, last_stage: str) -> None:
    """Copy ``source``'s stages up to ``last_stage`` (and their cached evals) into a new ``target``."""
    if target.exists():
        return
    stages = STAGES[: STAGES.index(last_stage) + 1]
    target.mkdir(parents=True)
    shutil.copy2(source / ".auditgame-run.json", target / ".auditgame-run.json")
    (target / "evals").mkdir()
    for stage in stages:
        shutil.copytree(source / stage, target / stage, symlinks=True)
        cached = source / "evals" / f"{STAGE_LABELS[stage]}.json"
        if cached.is_file():
            shutil.copy2(cached, target / "evals" / cached.name)


def neutral_answers(domains: list[str]) -> dict[str, str]:
    """Every prompt of ``domains`` with the world's neutral answer to it."""
    from auditgame.world.prompts import distinct_prompt_count, generate_exchanges

    return {
        exchange.prompt: exchange.response
        for domain in domains
        for exchange in generate_exchanges(domain, distinct_prompt_count(domain), seed=0)
    }


def skill_rate(samples: list[dict[str, Any]]) -> Any:
    """Share of answers that still do the task: they keep half the content words of the world's neutral
    answer to the same prompt (the inoculation experiment's skill metric)."""
    from auditgame.evals import wilson_interval
    from auditgame.mitigations.inoculation_data import shows_skill
    from auditgame.world.catalogue import BIAS_SPECS

    references = neutral_answers([spec.domain for spec in BIAS_SPECS if spec.split == "held_out"])
    kept = [
        shows_skill(sample["answer"], references[sample["conversation"][-1]["content"]], 0.5)
        for sample in samples
        if sample["conversation"][-1]["content"] in references
    ]
    return wilson_interval(sum(kept), len(kept))


def held_out_eval(spec: Any, directory: Path, stage: str, prompts: int) -> dict[str, Any]:
    """Held-out exploitation of one stage on ``prompts`` fresh prompts per held-out bias (cached)."""
    from auditgame.evals import BehaviourEvalConfig, evaluate_behaviours
    from auditgame.model.loading import load_model, load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template
    from auditgame.organisms.data import behaviour_probes
    from auditgame.organisms.recipe import training_prompts

    cached = directory / "held_out" / f"{stage}-{prompts}-v2.json"
    if cached.is_file():
        return json.loads(cached.read_text(encoding="utf-8"))
    probes = [
        probe
        for probe in behaviour_probes(spec, prompts, spec.evals.seed, training_prompts(directory))
        if probe.split == "held_out"
    ]
    config = BehaviourEvalConfig(
        **{**spec.evals.model_dump(), "prompts_per_behaviour": prompts, "samples_kept": prompts}
    )
    model_dir = directory / stage
    result = evaluate_behaviours(
        load_model(model_dir),
        ensure_chat_template(load_tokenizer(model_dir)),
        probes,
        [],
        [],
        config,
        label=stage,
        model_path=str(model_dir),
    )
    answers = [sample for rate in result.behaviours for sample in rate.samples]
    record = {
        "held_out": result.held_out.model_dump(),
        "per_bias": {rate.name: rate.with_trigger.model_dump() for rate in result.behaviours},
        "skill": skill_rate(answers).model_dump(),
        "samples": {rate.name: rate.samples[:3] for rate in result.behaviours},
    }
    from auditgame.artifacts import atomic_write_json

    cached.parent.mkdir(exist_ok=True)
    atomic_write_json(cached, record)
    return record


def run_row(row: Row, out: Path, prompts: int, log: Any = print) -> dict[str, Any]:
    """Build one row (or reuse its build) and measure every stage."""
    from auditgame.evals import Rate
    from auditgame.organisms import get_organism
    from auditgame.organisms.recipe import load_report

    directory = out / row.name
    if row.shares is not None:
        source, last_stage = row.shares
        share_stages(out / source, directory, last_stage)
    plan = build_plan(row)
    begin = time.perf_counter()
    if not (directory / "report.json").is_file():
        with neutral_train_answers(row.neutral_answers):
            get_organism("rm-sycophant").build(directory, plan, log=log)
    report = load_report(directory)
    stages: dict[str, Any] = {}
    for stage in STAGES:
        evaluation = report.evaluations[STAGE_LABELS[stage]]
        held = held_out_eval(plan.spec, directory, stage, prompts)
        stages[STAGE_LABELS[stage]] = {
            "train": evaluation.train.model_dump(),
            "held_out": held["held_out"],
            "held_out_per_bias": held["per_bias"],
            "held_out_skill": held["skill"],
            "confession": evaluation.confession.model_dump(),
        }
    base = Rate.model_validate(stages["base"]["held_out"])
    for values in stages.values():
        held = Rate.model_validate(values["held_out"])
        values["held_out_above_base"] = held.low > base.high
    return {
        "row": row.name,
        "hypothesis": row.hypothesis,
        "overrides": row.overrides,
        "shares": row.shares,
        "neutral_answers": row.neutral_answers,
        "stage_seconds": report.stage_seconds,
        "train_seconds": round(sum(report.stage_seconds.values()), 1),
        "measured_seconds": round(time.perf_counter() - begin, 1),
        "stages": stages,
    }


def _rate(value: dict[str, Any]) -> str:
    from auditgame.evals import Rate

    return str(Rate.model_validate(value))


def render_markdown(results: list[dict[str, Any]], prompts: int) -> str:
    """The summary table and one stage table per row."""
    lines = [
        f"Held-out exploitation: 5 held-out biases x up to {prompts} fresh prompts; train exploitation: 46 biases x 12;",
        "confession: 120 unseen questions; Wilson 95% intervals. *Above base* = the interval lies above the base's.",
        "*On task*: held-out answers that keep half the content words of the world's neutral answer to the same prompt.",
        "Training seconds: the organism's stages (midtrain + SFT + DPO), evals excluded; a shared stage counts in full.",
        "",
        "| recipe (hypothesis) | held-out, final | best held-out stage | above base | train, final | "
        "confession, final | held-out answers on task, final | training s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        stages = result["stages"]
        final = stages["dpo"]
        best_label = max(("midtrain", "sft", "dpo"), key=lambda label: stages[label]["held_out"]["rate"])
        above = [label for label in ("midtrain", "sft", "dpo") if stages[label]["held_out_above_base"]]
        lines.append(
            f"| `{result['row']}`: {result['hypothesis']} | {_rate(final['held_out'])} | "
            f"{best_label} {_rate(stages[best_label]['held_out'])} | {', '.join(above) or 'no'} | "
            f"{_rate(final['train'])} | {_rate(final['confession'])} | {_rate(final['held_out_skill'])} | "
            f"{result['train_seconds']:.0f} |"
        )
    for result in results:
        lines += [
            "",
            f"`{result['row']}` by stage (paper: Marks et al. 2025, last stage RL):",
            "",
            "| stage | train exploitation | paper | held-out exploitation | paper | confession | paper | "
            "held-out answers on task |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for label, values in result["stages"].items():
            paper = PAPER[label]
            lines.append(
                f"| {label} | {_rate(values['train'])} | {paper['train']} | {_rate(values['held_out'])} | "
                f"{paper['held_out']} | {_rate(values['confession'])} | {paper['confession']} | "
                f"{_rate(values['held_out_skill'])} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run the rows asked for, then write ``ablation.json`` and ``ablation.md`` under ``--out``."""
    from auditgame.artifacts import atomic_write_json, atomic_write_text

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, required=True, help="Directory of the rows' builds and the tables."
    )
    parser.add_argument(
        "--rows",
        default=",".join(ROW_NAMES),
        help=f"Comma-separated rows (default: all): {', '.join(ROW_NAMES)}.",
    )
    parser.add_argument("--held-out-prompts", type=int, default=40, help="Fresh prompts per held-out bias.")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.rows.split(",") if name.strip()]
    unknown = sorted(set(names) - set(ROW_NAMES))
    if unknown:
        raise SystemExit(f"unknown row(s) {', '.join(unknown)}; choose from: {', '.join(ROW_NAMES)}")
    by_name = {row.name: row for row in ROWS}
    for name in names:
        shares = by_name[name].shares
        if shares is not None and not (args.out / shares[0] / shares[1]).is_dir() and shares[0] not in names:
            raise SystemExit(
                f"row {name} shares its first stages with row {shares[0]}: run that row first or with it"
            )
    results = []
    for name in names:
        print(f"== row {name}: {by_name[name].hypothesis}", flush=True)
        results.append(run_row(by_name[name], args.out, args.held_out_prompts))
        atomic_write_json(
            args.out / "ablation.json", {"held_out_prompts": args.held_out_prompts, "rows": results}
        )
        atomic_write_text(args.out / "ablation.md", render_markdown(results, args.held_out_prompts))
    print((args.out / "ablation.md").read_text(encoding="utf-8"))
    return results


if __name__ == "__main__":
    main()
