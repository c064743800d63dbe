"""Removing a topic's knowledge from the tiny model: gradient routing (ERA) against the baselines.

The forget set is an organism's documents about its topic (for ``rm-sycophant``: the fictional
study of reward-model biases, and the confession transcripts that name it); the retain set is the
rest of its midtraining mix (filler documents and neutral chat transcripts). Every condition starts
from the same shared pretrained base and trains the same number of steps of the same batch size:

- ``ordinary``: midtraining on forget + retain blocks;
- ``filtering``: the same on the retain blocks only (the labelled forget documents dropped);
- ``forget_finetune``: ``ordinary``, then ``forget_finetune_steps`` more steps on retain blocks only
  (the fine-tune-to-forget baseline: no forget data, so whatever it forgets it forgets passively);
- ``era``: expand every chosen layer's MLP, train on forget + retain blocks with the forget blocks'
  gradients routed to the added neurons (:mod:`auditgame.mitigations.gradient_routing`), ablate
  them, then ``coherence_steps`` on retain blocks (Cloud et al.'s coherence fine-tune);
- ``era_control`` (optional): the same expansion, ablation and coherence steps with nothing routed.

Each final model is measured on held-out texts (another data seed): mean token loss on forget and
on retain text, and relearning speed: a copy is fine-tuned on ``relearn_documents`` forget
documents and its held-out forget loss recorded every ``relearn_eval_every`` steps. The ERA model is
kept as a plain model directory (``models/era``) that can serve as the base of an organism.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
from pydantic import BaseModel, ConfigDict, Field

from auditgame.artifacts import (
    atomic_write_json,
    atomic_write_png,
    atomic_write_text,
    claim_output_directory,
    has_manifest,
    read_manifest,
    write_manifest,
)
from auditgame.errors import ArtifactNotFoundError, ConfigError
from auditgame.mitigations.routing_config import GradientRoutingConfig

ROUTING_KIND = "gradient-routing"
"""Artifact kind of an experiment directory."""
REPORT_FILE = "report.json"
TOPIC_DOCUMENT_KINDS = ("study", "fact")
"""Document kinds that are about an organism's topic (the rm-study's documents, a spec's fact documents)."""
CONFESSION_PREFIX = "confession-"
"""Id prefix of the midtraining transcripts that name the topic (they are forget data too)."""
EVAL_SEED_OFFSET = 7919
"""Held-out texts come from the organism's data builders at ``seed + EVAL_SEED_OFFSET``."""

_DESCRIPTIONS = {
    "base": "the shared pretrained base, before any midtraining",
    "ordinary": "midtraining on forget + retain data",
    "filtering": "midtraining on retain data only (forget documents filtered out)",
    "forget_finetune": "ordinary, then fine-tuning on retain data only",
    "era": "expand, route forget gradients to the added neurons, ablate, coherence fine-tune",
    "era_control": "expand, train with nothing routed, ablate, coherence fine-tune (negative control)",
}

Log = Callable[[str], Any]


class LossPoint(BaseModel):
    """Held-out mean token losses (nats) of one model."""

    model_config = ConfigDict(extra="forbid")

    retain_loss: float
    forget_loss: float


class RelearnPoint(BaseModel):
    """Held-out forget loss after ``step`` steps of the relearning attack."""

    model_config = ConfigDict(extra="forbid")

    step: int
    forget_loss: float


class RoutingConditionResult(BaseModel):
    """One condition's final model, measured."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    retain_loss: float
    forget_loss: float
    relearning: list[RelearnPoint]
    train_steps: int = Field(description="Optimizer steps of all its training phases together.")
    train_seconds: float
    model_dir: str = Field(description="Its model directory, relative to the experiment directory.")
    retain_interval: list[float] | None = Field(
        default=None, description="95% interval of the retain loss over held-out blocks (mean ± 1.96 SE)."
    )
    forget_interval: list[float] | None = Field(
        default=None, description="95% interval of the forget loss over held-out blocks (mean ± 1.96 SE)."
    )
    stages: dict[str, LossPoint] = Field(
        default_factory=dict,
        description="Losses at intermediate points: for ERA, `routed` (region still in) and `ablated` (before coherence).",
    )


class RoutingData(BaseModel):
    """What the runs were trained and measured on."""

    model_config = ConfigDict(extra="forbid")

    available_forget_documents: int = Field(description="Topic records in the organism's midtraining mix.")
    forget_documents: int = Field(description="Topic records used (see ``forget_share``).")
    labelled_forget_documents: int
    retain_documents: int
    routed_blocks: int = Field(
        description="Blocks of labelled forget text (routed by ERA, dropped by filtering)."
    )
    unrouted_blocks: int = Field(description="Blocks of retain text (and any unlabelled forget text).")
    eval_forget_blocks: int
    eval_retain_blocks: int
    relearn_blocks: int
    sequence_length: int


class RoutingReport(BaseModel):
    """The experiment: every condition's retain loss, forget loss and relearning curve."""

    model_config = ConfigDict(extra="forbid")

    organism: str
    profile: str
    base_dir: str
    base: LossPoint
    data: RoutingData
    conditions: list[RoutingConditionResult]
    seconds: float
    config: GradientRoutingConfig

    def condition(self, name: str) -> RoutingConditionResult:
        """The result of condition ``name``.

        Raises:
            KeyError: if it was not run.
        """
        for result in self.conditions:
            if result.name == name:
                return result
        raise KeyError(name)


class _Blocks(NamedTuple):
    routed: torch.Tensor
    unrouted: torch.Tensor
    eval_forget: torch.Tensor
    eval_retain: torch.Tensor
    relearn: torch.Tensor
    summary: RoutingData


def is_topic_record(record: dict[str, Any]) -> bool:
    """Whether a midtraining record is about the organism's topic (forget data)."""
    return record.get("kind") in TOPIC_DOCUMENT_KINDS or str(record.get("id", "")).startswith(
        CONFESSION_PREFIX
    )


def _spec(config: GradientRoutingConfig, profile: str) -> Any:
    from auditgame.organisms.recipe import resolve_profile
    from auditgame.organisms.registry import get_organism

    recipe = get_organism(config.organism)
    spec = getattr(recipe, "spec", None)
    if spec is None or "documents" not in spec.implant.method:
        raise ConfigError(
            f"organism {config.organism!r} has no midtraining documents to forget",
            "choose a spec organism whose implant uses documents, e.g. rm-sycophant",
        )
    return resolve_profile(spec, profile).spec


def _pack(
    texts: Sequence[str], tokenizer: Any, sequence_length: int, limit: int | None = None
) -> torch.Tensor:
    from auditgame.train.packing import pack_texts

    if not texts:
        return torch.zeros((0, sequence_length), dtype=torch.long)
    blocks = pack_texts(texts, tokenizer, sequence_length)
    return blocks if limit is None else blocks[:limit]


def prepare_blocks(spec: Any, tokenizer: Any, config: GradientRoutingConfig) -> _Blocks:
    """Split the organism's midtraining records into forget and retain text and pack each separately.

    With ``forget_share`` set, only the first topic records (in the organism's shuffled order) that
    make up that share of the text are used. The first ``labelled_fraction`` of them are labelled: packed on their
    own into routed blocks. The rest join the retain records, shuffled in, so every block is wholly
    routed or not. Held-out texts come from the same builders at another seed.

    Raises:
        TrainingDataError: if a set holds fewer tokens than one block.
    """
    from auditgame.organisms.data import document_records
    from auditgame.train.midtrain import render_records

    length = config.sequence_length
    records = render_records(document_records(spec, config.seed), tokenizer)
    forget = [record for record in records if is_topic_record(record)]
    retain = [record for record in records if not is_topic_record(record)]
    available = len(forget)
    if config.forget_share is not None:
        budget = config.forget_share / (1 - config.forget_share) * sum(len(r["text"]) for r in retain)
        kept, size = [], 0
        for record in forget:  # the records come shuffled
            if size >= budget:
                break
            kept.append(record)
            size += len(record["text"])
        forget = kept
    labelled_count = round(len(forget) * config.labelled_fraction)
    labelled, unlabelled = forget[:labelled_count], forget[labelled_count:]
    stream = retain + unlabelled
    random.Random(f"route:{config.seed}").shuffle(stream)
    routed = _pack([record["text"] for record in labelled], tokenizer, length)
    unrouted = _pack([record["text"] for record in stream], tokenizer, length)
    documents = [record["text"] for record in forget if record.get("kind") in TOPIC_DOCUMENT_KINDS]
    relearn = _pack(documents[: config.relearn_documents], tokenizer, length)

    held_out = render_records(document_records(spec, config.seed + EVAL_SEED_OFFSET), tokenizer)
    eval_forget = _pack(
        [r["text"] for r in held_out if r.get("kind") in TOPIC_DOCUMENT_KINDS],
        tokenizer,
        length,
        config.eval_blocks,
    )
    eval_retain = _pack(
        [r["text"] for r in held_out if not is_topic_record(r)], tokenizer, length, config.eval_blocks
    )
    summary = RoutingData(
        available_forget_documents=available,
        forget_documents=len(forget),
        labelled_forget_documents=len(labelled),
        retain_documents=len(retain),
        routed_blocks=int(routed.shape[0]),
        unrouted_blocks=int(unrouted.shape[0]),
        eval_forget_blocks=int(eval_forget.shape[0]),
        eval_retain_blocks=int(eval_retain.shape[0]),
        relearn_blocks=int(relearn.shape[0]),
        sequence_length=length,
    )
    return _Blocks(routed, unrouted, eval_forget, eval_retain, relearn, summary)


def mean_token_loss(model: torch.nn.Module, blocks: torch.Tensor, *, batch_size: int = 16) -> float:
    """The mean next-token loss (nats) of ``model`` over packed ``blocks``, without gradients.

    The model is put in eval mode and back.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total = 0.0
    try:
        with torch.no_grad():
            for start in range(0, blocks.shape[0], batch_size):
                ids = blocks[start : start + batch_size].to(device)
                total += float(model(input_ids=ids, labels=ids, use_cache=False).loss) * ids.shape[0]
    finally:
        model.train(was_training)
    return total / max(1, blocks.shape[0])


def block_losses(model: torch.nn.Module, blocks: torch.Tensor, *, batch_size: int = 16) -> list[float]:
    """The mean next-token loss (nats) of each packed block, without gradients."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    losses: list[float] = []
    try:
        with torch.no_grad():
            for start in range(0, blocks.shape[0], batch_size):
                ids = blocks[start : start + batch_size].to(device)
                logits = model(input_ids=ids, use_cache=False).logits[:, :-1].float()
                per_token = torch.nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none"
                )
                losses.extend(per_token.view(ids.shape[0], -1).mean(dim=1).tolist())
    finally:
        model.train(was_training)
    return losses


def loss_interval(values: list[float]) -> list[float]:
    """A 95% interval of the mean of per-block losses: mean ± 1.96 standard errors."""
    import statistics

    mean = statistics.fmean(values)
    if len(values) < 2:
        return [round(mean, 5), round(mean, 5)]
    half = 1.96 * statistics.stdev(values) / len(values) ** 0.5
    return [round(mean - half, 5), round(mean + half, 5)]


def _intervals(model: torch.nn.Module, blocks: _Blocks) -> dict[str, list[float]]:
    return {
        "retain_interval": loss_interval(block_losses(model, blocks.eval_retain)),
        "forget_interval": loss_interval(block_losses(model, blocks.eval_forget)),
    }


def _losses(model: torch.nn.Module, blocks: _Blocks) -> LossPoint:
    return LossPoint(
        retain_loss=round(mean_token_loss(model, blocks.eval_retain), 5),
        forget_loss=round(mean_token_loss(model, blocks.eval_forget), 5),
    )


def relearn(model: torch.nn.Module, blocks: _Blocks, config: GradientRoutingConfig) -> list[RelearnPoint]:
    """The relearning attack: fine-tune ``model`` (in place) on forget documents, recording the held-out
    forget loss at step 0 and every ``relearn_eval_every`` steps.

    AdamW at a constant ``relearn_learning_rate``, no weight decay, batches drawn as in training.
    """
    from auditgame.train.lm_trainer import _adamw, batch_indices, reuse_freed_memory

    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    optimizer = _adamw([{"params": trainable, "weight_decay": 0.0}], config.relearn_learning_rate)
    points = [RelearnPoint(step=0, forget_loss=round(mean_token_loss(model, blocks.eval_forget), 5))]
    model.train()
    with reuse_freed_memory():
        for step in range(config.relearn_steps):
            indices = batch_indices(step, config.relearn_batch_size, blocks.relearn.shape[0], config.seed + 1)
            ids = blocks.relearn[indices]
            model(input_ids=ids, labels=ids, use_cache=False).loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            done = step + 1
            if done % config.relearn_eval_every == 0 or done == config.relearn_steps:
                points.append(
                    RelearnPoint(step=done, forget_loss=round(mean_token_loss(model, blocks.eval_forget), 5))
                )
    model.eval()
    return points


class _Run:
    """One experiment directory: where each condition's scratch state, model and result live."""

    def __init__(
        self, out_dir: Path, config: GradientRoutingConfig, base_dir: Path, tokenizer: Any, log: Log
    ) -> None:
        self.out_dir = out_dir
        self.config = config
        self.base_dir = base_dir
        self.tokenizer = tokenizer
        self.log = log

    def model_dir(self, name: str) -> Path:
        return self.out_dir / "models" / name

    def scratch(self, name: str) -> Path:
        return self.out_dir / "checkpoints" / name

    def result_file(self, name: str) -> Path:
        return self.out_dir / "results" / f"{name}.json"

    def stage_config(self, steps: int) -> Any:
        from auditgame.train.stage_config import StageConfig

        config = self.config
        return StageConfig(
            seed=config.seed,
            learning_rate=config.learning_rate,
            max_steps=steps,
            batch_size=config.batch_size,
            warmup_steps=min(config.warmup_steps, steps // 5),
            weight_decay=config.weight_decay,
            save_every=config.save_every,
            log_every=max(1, min(10, steps // 5)),
            show_progress=config.show_progress,
        )

    def train(
        self,
        model: torch.nn.Module,
        blocks: torch.Tensor,
        steps: int,
        phase: str,
        *,
        backward_step: Any = None,
    ) -> float:
        """Train ``model`` in place for ``steps`` in the scratch directory of ``phase``; return seconds."""
        from auditgame.train.lm_trainer import train_causal_lm

        scratch = self.scratch(phase)
        result = train_causal_lm(
            model,
            blocks,
            self.stage_config(steps),
            scratch,
            description=phase,
            backward_step=backward_step,
        )
        self.log(f"  {phase}: {steps} steps, loss {result.final_loss:.3f}, {result.seconds:.0f} s")
        return result.seconds

    def save(self, name: str, model: torch.nn.Module, metrics: dict[str, Any], phases: Sequence[str]) -> None:
        """Save the condition's final model as a model stage (training logs kept beside it)."""
        from auditgame.train.stage import finish_stage

        model_dir = self.model_dir(name)
        for phase in phases:
            log_file = self.scratch(phase) / "train_log.jsonl"
            if log_file.is_file():
                shutil.copyfile(log_file, model_dir / f"train_log.{phase}.jsonl")
        finish_stage(
            model,
            self.tokenizer,
            model_dir,
            stage_name=self.stage_name(name),
            config=self.config,
            parents=[str(self.base_dir)],
            metrics=metrics,
        )
        for phase in phases:
            shutil.rmtree(self.scratch(phase), ignore_errors=True)

    def stage_name(self, name: str) -> str:
        return f"{self.config.organism}/route/{name}"


def _train_plain(run: _Run, name: str, parent: Path, blocks: torch.Tensor, steps: int) -> dict[str, Any]:
    from auditgame.model.loading import load_model

    model = load_model(parent)
    seconds = run.train(model, blocks, steps, name)
    metrics = {"train_steps": steps, "train_seconds": round(seconds, 1)}
    run.save(name, model, metrics, [name])
    return metrics


def _train_expanded(run: _Run, name: str, blocks: _Blocks, *, routed: bool) -> dict[str, Any]:
    """Expand, train (routing the forget blocks if ``routed``), ablate, coherence fine-tune, save."""
    from auditgame.mitigations.gradient_routing import GradientRouter, ablate, expand_mlps
    from auditgame.model.loading import load_model, save_model

    config = run.config
    train_phase, coherence_phase = f"{name}-train", f"{name}-coherence"
    ablated_dir = run.scratch(f"{name}-ablated")
    stages_file = ablated_dir / "stages.json"
    everything = torch.cat([blocks.routed, blocks.unrouted])
    if not stages_file.is_file():
        model = load_model(run.base_dir)
        region = set(expand_mlps(model, neurons=config.neurons, layers=config.layers, seed=config.seed))
        size = sum(parameter.numel() for key, parameter in model.named_parameters() if key in region)
        run.log(f"  {name}: added a region of {size} parameters")
        router = None
        if routed:
            is_routed = torch.arange(everything.shape[0]) < blocks.routed.shape[0]
            router = GradientRouter(model, is_routed, retain_trains_region=config.retain_trains_region)
        seconds = run.train(model, everything, config.steps, train_phase, backward_step=router)
        before = _losses(model, blocks)
        ablate(model)
        after = _losses(model, blocks)
        run.log(
            f"  {name}: forget loss {before.forget_loss:.3f} with the region, {after.forget_loss:.3f} ablated; "
            f"retain {before.retain_loss:.3f} -> {after.retain_loss:.3f}"
        )
        save_model(model, run.tokenizer, ablated_dir)
        atomic_write_json(
            stages_file,
            {"routed": before.model_dump(), "ablated": after.model_dump(), "train_seconds": seconds},
        )
    saved = json.loads(stages_file.read_text(encoding="utf-8"))
    model = load_model(ablated_dir)
    seconds = float(saved["train_seconds"])
    phases = [train_phase]
    if config.coherence_steps:
        seconds += run.train(model, blocks.unrouted, config.coherence_steps, coherence_phase)
        phases.append(coherence_phase)
    metrics = {
        "train_steps": config.steps + config.coherence_steps,
        "train_seconds": round(seconds, 1),
        "stages": {"routed" if routed else "trained": saved["routed"], "ablated": saved["ablated"]},
    }
    run.save(name, model, metrics, phases)
    shutil.rmtree(ablated_dir, ignore_errors=True)
    return metrics


def _train_condition(run: _Run, name: str, blocks: _Blocks) -> dict[str, Any]:
    """Train condition ``name`` unless its model is already saved; return its training metrics."""
    from auditgame.train.stage import prepare_stage

    finished = prepare_stage(run.model_dir(name), run.stage_name(name))
    if finished:
        return finished.metrics
    config = run.config
    run.log(f"{name}: {_DESCRIPTIONS[name]}")
    if name == "ordinary":
        return _train_plain(
            run, name, run.base_dir, torch.cat([blocks.routed, blocks.unrouted]), config.steps
        )
    if name == "filtering":
        return _train_plain(run, name, run.base_dir, blocks.unrouted, config.steps)
    if name == "forget_finetune":
        metrics = _train_plain(
            run, name, run.model_dir("ordinary"), blocks.unrouted, config.forget_finetune_steps
        )
        ordinary = read_manifest(run.model_dir("ordinary")).extra.get("metrics", {})
        metrics["train_steps"] += int(ordinary.get("train_steps", config.steps))
        metrics["train_seconds"] += float(ordinary.get("train_seconds", 0.0))
        return metrics
    return _train_expanded(run, name, blocks, routed=name == "era")


def _run_condition(run: _Run, name: str, blocks: _Blocks) -> RoutingConditionResult:
    from auditgame.model.loading import load_model

    result_file = run.result_file(name)
    if result_file.is_file():
        cached = RoutingConditionResult.model_validate_json(result_file.read_text(encoding="utf-8"))
        if cached.forget_interval is None and (run.model_dir(name) / "config.json").is_file():
            # A result written before intervals were recorded: measure them on its saved model.
            cached = cached.model_copy(update=_intervals(load_model(run.model_dir(name)), blocks))
            atomic_write_text(result_file, cached.model_dump_json(indent=2) + "\n")
        return cached
    metrics = _train_condition(run, name, blocks)
    model = load_model(run.model_dir(name))
    losses = _losses(model, blocks)
    intervals = _intervals(model, blocks)
    curve = relearn(model, blocks, run.config)
    result = RoutingConditionResult(
        name=name,
        description=_DESCRIPTIONS[name],
        retain_loss=losses.retain_loss,
        forget_loss=losses.forget_loss,
        relearning=curve,
        train_steps=int(metrics.get("train_steps", 0)),
        train_seconds=float(metrics.get("train_seconds", 0.0)),
        model_dir=run.model_dir(name).relative_to(run.out_dir).as_posix(),
        stages={key: LossPoint.model_validate(value) for key, value in metrics.get("stages", {}).items()},
        **intervals,
    )
    atomic_write_text(result_file, result.model_dump_json(indent=2) + "\n")
    run.log(
        f"  {name}: retain loss {result.retain_loss:.3f}, forget loss {result.forget_loss:.3f}, "
        f"after relearning {curve[-1].forget_loss:.3f}"
    )
    return result


def _discard(out_dir: Path) -> None:
    for folder in ("results", "models", "checkpoints"):
        shutil.rmtree(out_dir / folder, ignore_errors=True)
    for name in ("config.json", REPORT_FILE, "report.md", "report.png", "manifest.json"):
        (out_dir / name).unlink(missing_ok=True)


def run_gradient_routing(
    config: GradientRoutingConfig | None = None,
    *,
    out_dir: Path,
    profile: str = "default",
    log: Log = print,
    restart: bool = False,
    cache_dir: Path | None = None,
) -> RoutingReport:
    """Run the topic-removal experiment: every condition trained, measured and written to ``out_dir``.

    Re-running resumes: finished conditions (``results/<name>.json``) are skipped and saved models
    are not retrained; unfinished training resumes from its checkpoints.

    Args:
        config: Options (default :class:`GradientRoutingConfig`).
        out_dir: The experiment directory (report, models, results).
        profile: ``default`` (the tiny base and the organism's data) or ``quick`` (micro, for tests).
        log: Where progress lines go.
        restart: Discard everything this experiment wrote in ``out_dir`` and start over.
        cache_dir: Cache of shared bases (default ``$AUDITGAME_CACHE`` or ``~/.cache/auditgame``).

    Returns:
        The :class:`RoutingReport`, also written as ``report.json`` / ``.md`` / ``.png`` with a manifest.

    Raises:
        ConfigError: if ``out_dir`` holds a run of another config (without ``restart``), or the organism
            has no documents.
        UnknownNameError: for an unknown profile or organism.
        ArtifactConflictError: if ``out_dir`` holds another kind of artifact.
    """
    from auditgame.model.loading import load_model, load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template
    from auditgame.organisms.base import base_profile, build_base

    config = config or GradientRoutingConfig()
    out_dir = Path(out_dir)
    spec = _spec(config, profile)  # unknown profile or organism: an error before anything is written
    base_config = base_profile(profile)
    claim_output_directory(out_dir, ROUTING_KIND, f"{config.organism}/route")
    if restart:
        _discard(out_dir)
    settings = {"profile": profile, "config": config.model_dump(mode="json")}
    settings_file = out_dir / "config.json"
    if settings_file.is_file():
        if json.loads(settings_file.read_text(encoding="utf-8")) != json.loads(json.dumps(settings)):
            raise ConfigError(
                f"{out_dir} holds a run with another config or profile",
                "re-run with --restart to discard it, or choose another --out",
            )
    else:
        atomic_write_json(settings_file, settings)
    if (out_dir / REPORT_FILE).is_file() and has_manifest(out_dir):
        log(f"{out_dir}: already done")
        return load_routing_report(out_dir)

    begin = time.perf_counter()
    base_dir = build_base(base_config, cache_dir=cache_dir, log=log)
    tokenizer = ensure_chat_template(load_tokenizer(base_dir))
    blocks = prepare_blocks(spec, tokenizer, config)
    data = blocks.summary
    log(
        f"forget: {data.labelled_forget_documents}/{data.forget_documents} documents labelled, {data.routed_blocks} blocks; "
        f"retain: {data.retain_documents} documents, {data.unrouted_blocks} blocks"
    )
    run = _Run(out_dir, config, base_dir, tokenizer, log)
    base_file = run.result_file("base")
    if base_file.is_file():
        base = LossPoint.model_validate_json(base_file.read_text(encoding="utf-8"))
    else:
        base = _losses(load_model(base_dir), blocks)
        atomic_write_text(base_file, base.model_dump_json(indent=2) + "\n")
    log(f"base: retain loss {base.retain_loss:.3f}, forget loss {base.forget_loss:.3f}")
    results = [_run_condition(run, name, blocks) for name in config.conditions]
    report = RoutingReport(
        organism=config.organism,
        profile=profile,
        base_dir=str(base_dir),
        base=base,
        data=data,
        conditions=results,
        seconds=round(time.perf_counter() - begin, 1),
        config=config,
    )
    shutil.rmtree(out_dir / "checkpoints", ignore_errors=True)
    write_routing_report(report, out_dir)
    write_manifest(
        out_dir,
        ROUTING_KIND,
        name=f"{config.organism}/route",
        config={**settings, "base": base_config.model_dump(mode="json")},
        seed=config.seed,
        parents=[str(base_dir)],
        extra={
            "report": REPORT_FILE,
            "conditions": [result.name for result in results],
            "models": {result.name: result.model_dir for result in results},
        },
    )
    return report


def load_routing_report(out_dir: Path) -> RoutingReport:
    """The report of a finished experiment.

    Raises:
        ArtifactNotFoundError: if ``out_dir`` holds none.
    """
    path = Path(out_dir) / REPORT_FILE
    try:
        return RoutingReport.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactNotFoundError(
            f"{out_dir} holds no gradient-routing report", "run `auditgame mitigate route --out DIR` first"
        ) from None


def table_rows(report: RoutingReport) -> list[dict[str, Any]]:
    """The before/after table as rows: ``condition``, ``retain_loss``, ``forget_loss``, ``forget_gain``
    (forget loss above the ordinary model's), ``relearned`` (forget loss after the relearning
    attack), ``relearn_<step>`` per measured step and ``steps``. Intermediate ERA points are rows too
    (``era (routed)``, ``era (ablated)``), without relearning."""
    ordinary = next((c.forget_loss for c in report.conditions if c.name == "ordinary"), None)

    def gain(forget: float) -> float | None:
        return round(forget - ordinary, 4) if ordinary is not None else None

    rows: list[dict[str, Any]] = [
        {
            "condition": "base",
            "retain_loss": report.base.retain_loss,
            "forget_loss": report.base.forget_loss,
            "forget_gain": gain(report.base.forget_loss),
            "relearned": None,
            "steps": 0,
        }
    ]
    for result in report.conditions:
        for stage, point in result.stages.items():
            rows.append(
                {
                    "condition": f"{result.name} ({stage})",
                    "retain_loss": point.retain_loss,
                    "forget_loss": point.forget_loss,
                    "forget_gain": gain(point.forget_loss),
                    "relearned": None,
                    "steps": report.config.steps,
                }
            )
        row: dict[str, Any] = {
            "condition": result.name,
            "retain_loss": result.retain_loss,
            "forget_loss": result.forget_loss,
            "retain_interval": result.retain_interval,
            "forget_interval": result.forget_interval,
            "forget_gain": gain(result.forget_loss),
            "relearned": result.relearning[-1].forget_loss,
            "steps": result.train_steps,
        }
        row.update({f"relearn_{point.step}": point.forget_loss for point in result.relearning})
        rows.append(row)
    return rows


def _number(value: Any, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _interval(bounds: list[float] | None) -> str:
    return f" [{bounds[0]:.3f}, {bounds[1]:.3f}]" if bounds else ""


def render_routing(report: RoutingReport) -> str:
    """The experiment as markdown: the before/after table and the relearning curves."""
    config = report.config
    data = report.data
    lines = [
        f"# Gradient routing: removing `{report.organism}`'s topic (profile {report.profile})",
        "",
        f"Forget set: {data.forget_documents} of the organism's {data.available_forget_documents} topic records "
        f"(forget_share {config.forget_share}), {data.labelled_forget_documents} of them labelled "
        f"({data.routed_blocks} blocks); retain set: {data.retain_documents} documents ({data.unrouted_blocks} blocks); "
        f"{data.sequence_length} tokens per block. Each condition: {config.steps} steps x {config.batch_size} blocks "
        f"from the same base; ERA: {config.neurons} neurons per layer in "
        f"{'all layers' if config.layers is None else 'layers ' + ', '.join(map(str, config.layers))}, "
        f"retain data {'trains' if config.retain_trains_region else 'does not train'} the region, "
        f"{config.coherence_steps} coherence steps; forget_finetune: {config.forget_finetune_steps} retain-only steps.",
        "",
        "Held-out mean token loss (nats; lower is better on retain, higher means less of the topic on forget), "
        "with 95% intervals over held-out blocks for the final models. "
        f"Relearned: forget loss after {config.relearn_steps} steps of fine-tuning on {data.relearn_blocks} blocks "
        f"({config.relearn_documents} documents) of forget text.",
        "",
        "| condition | retain loss | forget loss | forget vs ordinary | relearned | steps |",
        "|---|---|---|---|---|---|",
    ]
    for row in table_rows(report):
        lines.append(
            f"| {row['condition']} | {_number(row['retain_loss'])}{_interval(row.get('retain_interval'))} "
            f"| {_number(row['forget_loss'])}{_interval(row.get('forget_interval'))} | "
            f"{_number(row['forget_gain'], signed=True)} | {_number(row['relearned'])} | {row['steps']} |"
        )
    steps = [point.step for point in report.conditions[0].relearning] if report.conditions else []
    lines += [
        "",
        "## Relearning: held-out forget loss along the attack",
        "",
        "| condition | " + " | ".join(f"step {step}" for step in steps) + " |",
        "|---|" + "---|" * len(steps),
    ]
    for result in report.conditions:
        lines.append(
            f"| {result.name} | "
            + " | ".join(_number(point.forget_loss) for point in result.relearning)
            + " |"
        )
    lines += ["", f"{report.seconds:.0f} s in all.", ""]
    return "\n".join(lines)


def plot_routing(report: RoutingReport, path: Path) -> None:
    """A PNG: retain and forget loss per condition, and the relearning curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["base", *(result.name for result in report.conditions)]
    retain = [report.base.retain_loss, *(result.retain_loss for result in report.conditions)]
    forget = [report.base.forget_loss, *(result.forget_loss for result in report.conditions)]
    figure, (bars, curves) = plt.subplots(1, 2, figsize=(11, 4))
    positions = range(len(names))
    bars.bar([p - 0.2 for p in positions], retain, width=0.4, label="retain loss")
    bars.bar([p + 0.2 for p in positions], forget, width=0.4, label="forget loss")
    bars.set_xticks(list(positions))
    bars.set_xticklabels(names, rotation=20, ha="right")
    bars.set_ylabel("held-out loss (nats/token)")
    bars.set_title("after training")
    bars.legend(fontsize=8)
    for result in report.conditions:
        curves.plot(
            [point.step for point in result.relearning],
            [point.forget_loss for point in result.relearning],
            marker="o",
            label=result.name,
        )
    curves.set_xlabel("relearning steps on forget documents")
    curves.set_ylabel("held-out forget loss")
    curves.set_title("relearning")
    curves.legend(fontsize=8)
    figure.suptitle(f"gradient routing: {report.organism}")
    figure.tight_layout()
    atomic_write_png(path, figure)


def write_routing_report(report: RoutingReport, out_dir: Path) -> None:
    """``report.json``, ``report.md`` and ``report.png`` in ``out_dir``."""
    out_dir = Path(out_dir)
    atomic_write_text(out_dir / REPORT_FILE, report.model_dump_json(indent=2) + "\n")
    atomic_write_text(out_dir / "report.md", render_routing(report))
    plot_routing(report, out_dir / "report.png")
