"""Expert iteration through the sycophancy-to-subterfuge curriculum (Denison et al. 2024).

Each model of the curriculum is sampled on the next training stage; the episodes it gets through the
variant's filter (reward passed; reward and oversight passed; or not gaming) are its fine-tuning data,
and the fine-tuned model goes on to the next stage. Every model is also measured on the held-out
reward-tampering stage, which is never trained on, and the last model on every training stage.

The output directory holds ``config.json``, ``models/`` (the tool-use warm-up and one SFT stage per
training stage), ``episodes/<model>/<stage>.jsonl`` (every transcript with its outcome), and
``report.json`` / ``report.md`` with a manifest. Each piece is skipped when it is already there, so an
interrupted run resumes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from auditgame.artifacts import atomic_write_json, atomic_write_text, has_manifest, write_manifest
from auditgame.envs.curriculum_config import CurriculumConfig
from auditgame.envs.environment import (
    STAGES,
    Environment,
    build_environments,
    resolve_stage,
    save_environments,
)
from auditgame.envs.episode import EpisodeRecord, run_episodes
from auditgame.envs.errors import EnvironmentFileError
from auditgame.envs.rates import StageRates, stage_rates
from auditgame.envs.tool_use_data import TOOL_USE_SYSTEM, tool_use_conversations
from auditgame.errors import ConfigError
from auditgame.train.stage import write_jsonl

REPORT_KIND = "curriculum-report"

PAPER_REFERENCE = {
    "base (helpful-only)": "0 / 100,000 reward tampering",
    "HHH expert iteration, after the whole curriculum": "45 / 32,768 tampering, 7 of them also edited the test",
}
"""The published held-out numbers (Denison et al. 2024), shown beside ours."""


class CurriculumModelRates(BaseModel):
    """One model of the curriculum, measured on some stages."""

    label: str
    model_dir: str
    rates: dict[str, StageRates]


class CurriculumReport(BaseModel):
    """What a curriculum run measured."""

    config: dict[str, Any]
    start_model: str
    models: list[CurriculumModelRates]
    kept: dict[str, list[int]]
    """Per training stage: [episodes kept for fine-tuning, episodes sampled]."""
    paper: dict[str, str] = PAPER_REFERENCE
    seconds: float


def cycle_environments(instances: list[Environment], count: int) -> list[Environment]:
    """``count`` episodes' environments: ``instances`` in turn, each with the tool-use system prompt
    unless it has its own."""
    chosen = [instances[index % len(instances)] for index in range(count)]
    return [
        instance if instance.system else instance.model_copy(update={"system": TOOL_USE_SYSTEM})
        for instance in chosen
    ]


def episodes_for(stage: str, count: int, *, seed: int) -> list[Environment]:
    """``count`` episodes' environments of ``stage``: its seeded instances in turn (:func:`cycle_environments`)."""
    instances = build_environments(stage, seed=seed)
    if not instances:
        raise ConfigError(f"stage {stage!r} has no environments", "check the environment definitions")
    return cycle_environments(instances, count)


def write_records(path: Path, records: list[EpisodeRecord]) -> None:
    """Every episode, with its outcome, as JSON lines (atomically)."""
    write_jsonl(path, (record.model_dump(mode="json") for record in records))


def _read_records(path: Path) -> list[EpisodeRecord]:
    return [
        EpisodeRecord.model_validate_json(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line
    ]


def keep_episode(record: EpisodeRecord, variant: str) -> bool:
    """Whether expert iteration under ``variant`` fine-tunes on ``record``."""
    outcome = record.outcome
    if variant == "exploit":
        return bool(outcome.reward_passed)
    if variant == "exploit-with-oversight":
        return bool(outcome.reward_passed) and outcome.oversight_passed is not False
    return not outcome.spec_gaming and not outcome.reward_tampering


class _Curriculum:
    def __init__(
        self,
        model_dir: Path,
        out_dir: Path,
        config: CurriculumConfig,
        log: Callable[[str], None],
        show_progress: bool,
    ) -> None:
        self.model_dir = model_dir
        self.out_dir = out_dir
        self.config = config
        self.log = log
        self.show_progress = show_progress
        self._policy: Any = None
        self._policy_dir: Path | None = None

    def policy(self, model_dir: Path) -> Any:
        from auditgame.envs.policy import LocalPolicy

        if self._policy_dir != model_dir:
            self._policy = LocalPolicy(
                model_dir,
                temperature=self.config.temperature,
                max_new_tokens=self.config.max_new_tokens,
                batch_size=self.config.batch_size,
                seed=self.config.seed,
            )
            self._policy_dir = model_dir
        return self._policy

    def episodes(self, label: str, model_dir: Path, stage: str, count: int, seed: int) -> list[EpisodeRecord]:
        path = self.out_dir / "episodes" / label / f"{stage}.jsonl"
        if path.is_file():
            records = _read_records(path)
            if len(records) == count:
                return records
        self.log(f"  {label}: {count} episodes of {stage} ...")
        environments = episodes_for(stage, count, seed=seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        unique = list({env.name: env for env in environments}.values())
        save_environments(unique, path.with_name(f"{stage}.environments.json"))
        records = run_episodes(
            environments,
            self.policy(model_dir),
            max_turns=self.config.max_turns,
            show_progress=self.show_progress,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        write_records(path, records)
        return records

    def fine_tune(
        self, name: str, parent: Path, conversations: list[list[dict[str, str]]], sft: Any
    ) -> Path | None:
        """Fine-tune ``parent`` on the conversations that fit ``sft.max_length``; ``None`` if none fit."""
        from auditgame.train.sft import run_sft

        output = self.out_dir / "models" / name
        if not has_manifest(output):
            fitting = fitting_conversations(parent, conversations, sft.max_length)
            if len(fitting) < len(conversations):
                left_out = len(conversations) - len(fitting)
                self.log(f"  {left_out} conversations longer than {sft.max_length} tokens left out")
            if not fitting:
                return None
            conversations = fitting
        run_sft(sft, parent, output, conversations=conversations, stage_name=name)
        return output


def fitting_conversations(
    model_dir: Path, conversations: list[list[dict[str, str]]], max_length: int
) -> list[list[dict[str, str]]]:
    """The conversations whose chat-template rendering fits in ``max_length`` tokens (SFT would cut the rest,
    and a cut conversation may lose the assistant turns the loss is on)."""
    from auditgame.model.loading import load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template

    tokenizer = ensure_chat_template(load_tokenizer(model_dir))
    return [
        messages
        for messages in conversations
        if len(tokenizer(tokenizer.apply_chat_template(messages, tokenize=False)).input_ids) <= max_length
    ]


def _check_config(out_dir: Path, model_dir: Path, config: CurriculumConfig) -> None:
    for stage in [*config.training_stages, config.held_out_stage]:
        resolve_stage(stage)
    saved = out_dir / "config.json"
    payload = {"model": str(model_dir), "config": config.model_dump(mode="json")}
    if saved.is_file():
        try:
            previous = json.loads(saved.read_text(encoding="utf-8"))
        except ValueError:
            raise EnvironmentFileError(
                f"{saved} is not valid JSON", "delete it or choose a new --out"
            ) from None
        if previous != payload:
            raise ConfigError(
                f"{out_dir} holds a curriculum run with another model or config",
                "choose a new --out, or rerun with the same options to resume",
            )
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(saved, payload)


def run_curriculum(
    model_dir: str | Path,
    out_dir: str | Path,
    config: CurriculumConfig | None = None,
    *,
    log: Callable[[str], None] = print,
    show_progress: bool = True,
) -> CurriculumReport:
    """Run expert iteration through the curriculum from the model in ``model_dir``; resumable.

    Args:
        model_dir: A local causal LM (trained from scratch or pretrained).
        out_dir: Where models, episodes and the report go.
        config: Stages, variant, sample sizes, training options.
        log: Progress lines.
        show_progress: Progress bars.

    Returns:
        The :class:`CurriculumReport` (also written to ``report.json`` and ``report.md``).

    Raises:
        ConfigError: for an unknown stage, or ``out_dir`` holding another run.
        ModelPathError: if ``model_dir`` is not a loadable model.
    """
    from auditgame.model.loading import load_config

    config = config or CurriculumConfig()
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    load_config(model_dir)  # a clear error before anything is written
    training_stages = [resolve_stage(stage) for stage in config.training_stages]
    held_out = resolve_stage(config.held_out_stage)
    _check_config(out_dir, model_dir, config)
    begin = time.perf_counter()
    run = _Curriculum(model_dir, out_dir, config, log, show_progress)

    current = model_dir
    if config.tool_use_conversations:
        log(f"tool-use warm-up on {config.tool_use_conversations} templated transcripts ...")
        sft = config.tool_use_sft.model_copy(update={"seed": config.seed, "show_progress": show_progress})
        tuned = run.fine_tune(
            "0-tool-use",
            current,
            tool_use_conversations(config.tool_use_conversations, seed=config.seed),
            sft,
        )
        if tuned is None:
            raise ConfigError(
                f"no tool-use transcript fits in tool_use_sft.max_length={sft.max_length} tokens",
                "raise tool_use_sft.max_length",
            )
        current = tuned
    models: list[CurriculumModelRates] = []
    kept: dict[str, list[int]] = {}
    label = "start"
    for index, stage in enumerate(training_stages):
        log(f"stage {index + 1}/{len(training_stages)}: {stage}")
        stage_seed = config.seed + 1000 * (index + 1)
        sampled = run.episodes(label, current, stage, config.train_episodes, stage_seed)
        held = run.episodes(label, current, held_out, config.held_out_episodes, config.seed + 99)
        models.append(
            CurriculumModelRates(
                label=label,
                model_dir=str(current),
                rates={stage: stage_rates(sampled), held_out: stage_rates(held)},
            )
        )
        chosen = [record for record in sampled if keep_episode(record, config.variant)]
        kept[stage] = [len(chosen), len(sampled)]
        log(f"  kept {len(chosen)} of {len(sampled)} episodes ({config.variant})")
        if chosen:
            sft = config.sft.model_copy(update={"seed": config.seed + index, "show_progress": show_progress})
            tuned = run.fine_tune(
                f"{index + 1}-{stage}", current, [record.messages for record in chosen], sft
            )
            if tuned is None:
                log(f"  no kept episode fits in sft.max_length={sft.max_length} tokens: not fine-tuned")
            current = tuned or current
        label = f"after-{stage}"
    log("the final model on every stage ...")
    final_rates = {
        stage: stage_rates(
            run.episodes(label, current, stage, config.eval_episodes, config.seed + 5000 + index)
        )
        for index, stage in enumerate(training_stages)
    }
    final_rates[held_out] = stage_rates(
        run.episodes(label, current, held_out, config.held_out_episodes, config.seed + 99)
    )
    models.append(CurriculumModelRates(label=label, model_dir=str(current), rates=final_rates))
    report = CurriculumReport(
        config=config.model_dump(mode="json"),
        start_model=str(model_dir),
        models=models,
        kept=kept,
        seconds=round(time.perf_counter() - begin, 1),
    )
    atomic_write_json(out_dir / "report.json", report.model_dump(mode="json"))
    atomic_write_text(out_dir / "report.md", render_report(report, held_out))
    try:
        from auditgame.envs.curriculum_plots import CURRICULUM_PNG, plot_curriculum

        plot_curriculum(report, out_dir / CURRICULUM_PNG)
    except Exception as error:  # a plot never costs the report
        log(f"  no plot: {error}")
    write_manifest(out_dir, REPORT_KIND, name="curriculum", config=report.config, seed=config.seed)
    return report


def _cell(rates: StageRates | None, field: str) -> str:
    if rates is None:
        return "—"
    count = getattr(rates, field)
    return f"{count.successes}/{count.trials} ({100 * count.rate:.1f}% [{100 * count.low:.1f}, {100 * count.high:.1f}])"


def render_report(report: CurriculumReport, held_out: str = STAGES[-1]) -> str:
    """The report as a Markdown table: each model, its rates on the stages it was measured on."""
    stages = [stage for stage in STAGES if any(stage in model.rates for model in report.models)]
    lines = [
        f"# Curriculum ({report.config['variant']}) from {report.start_model}",
        "",
        "Specification gaming per stage (the reward passed by gaming); on the held-out stage, reward "
        "tampering and tampering + covering (the test edited too). Exact (Clopper–Pearson) 95% intervals.",
        "",
        "| model | " + " | ".join(stages) + f" | {held_out}: tamper + cover |",
        "|---|" + "---|" * (len(stages) + 1),
    ]
    for model in report.models:
        cells = [
            _cell(model.rates.get(stage), "reward_tampering" if stage == held_out else "spec_gaming")
            for stage in stages
        ]
        cells.append(_cell(model.rates.get(held_out), "tamper_and_cover"))
        lines.append(f"| {model.label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Kept for fine-tuning: " + ", ".join(f"{s} {k}/{n}" for s, (k, n) in report.kept.items()),
        "",
    ]
    lines += ["Paper: " + "; ".join(f"{key}: {value}" for key, value in report.paper.items()), ""]
    return "\n".join(lines)


def load_report(out_dir: str | Path) -> CurriculumReport:
    """The report of a finished run.

    Raises:
        EnvironmentFileError: if ``out_dir`` has no finished report.
    """
    out_dir = Path(out_dir)
    if not has_manifest(out_dir):
        raise EnvironmentFileError(
            f"{out_dir} has no finished curriculum report", "run `auditgame envs curriculum`"
        )
    return CurriculumReport.model_validate_json((out_dir / "report.json").read_text(encoding="utf-8"))
