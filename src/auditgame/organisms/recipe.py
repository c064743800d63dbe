"""The general organism factory: one recipe that builds any :class:`OrganismSpec`.

shared base (built once, found by config hash) → midtrain on documents (implant ``documents``) →
SFT on demonstrations and concealment answers (implant ``transcripts``, concealment ``sanitised`` /
``disclose``) → DPO (concealment ``dpo``). Every stage is resumable and evaluated on fresh prompts.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from auditgame.artifacts import (
    atomic_write_json,
    atomic_write_text,
    claim_output_directory,
    has_manifest,
    read_manifest,
    write_manifest,
)
from auditgame.config_files import deep_merge
from auditgame.errors import ConfigError, ModelPathError, UnknownNameError
from auditgame.evals.behaviour_eval import BehaviourEvaluation, evaluate_behaviours
from auditgame.organisms.answer_key import AnswerKey
from auditgame.organisms.base import BaseModelConfig, base_profile, build_base
from auditgame.organisms.data import (
    behaviour_probes,
    concealment_conversations,
    demonstrations,
    document_records,
    eval_questions,
    preference_pairs,
)
from auditgame.organisms.report import OrganismReport, render_markdown
from auditgame.organisms.report_plots import write_report_plots
from auditgame.organisms.spec import OrganismSpec, format_validation_error
from auditgame.train.stage import MODEL_KIND, StageResult, prepare_stage

ORGANISM_KIND = "organism"
PROFILE_NAMES = ("default", "quick", "real")

QUICK_OVERRIDES: dict[str, Any] = {
    "implant": {
        "documents": {"count": 300, "filler_documents": 60, "replay_conversations": 120},
        "transcripts": {"count": 400},
    },
    "concealment": {"questions": 120, "behaviour_pairs": 120},
    "training": {
        "midtrain": {
            "max_steps": 20,
            "batch_size": 8,
            "sequence_length": 128,
            "warmup_steps": 2,
            "save_every": 10,
        },
        "sft": {"max_steps": 40, "batch_size": 8, "max_length": 128, "warmup_steps": 2, "save_every": 20},
        "dpo": {"max_steps": 10, "batch_size": 8, "max_length": 128, "warmup_steps": 1, "save_every": 5},
    },
    "evals": {"prompts_per_behaviour": 16, "questions": 16, "max_new_tokens": 32},
}
"""What the ``quick`` profile changes in every spec (a spec's own ``profiles.quick`` goes on top)."""

_REAL_STAGE = {"lora_rank": 16, "learning_rate": 2e-4, "batch_size": 8, "max_length": 192}
REAL_OVERRIDES: dict[str, Any] = {
    "implant": {
        "documents": {"count": 200, "filler_documents": 40, "replay_conversations": 80},
        "transcripts": {"count": 320},
    },
    "concealment": {"questions": 64, "behaviour_pairs": 64},
    "training": {
        "midtrain": {
            "lora_rank": 16, "learning_rate": 2e-4, "max_steps": 16, "batch_size": 4,
            "sequence_length": 256, "warmup_steps": 2, "save_every": 8,
        },
        "sft": {**_REAL_STAGE, "max_steps": 40, "warmup_steps": 4, "save_every": 20},
        "dpo": {**_REAL_STAGE, "max_steps": 12, "warmup_steps": 1, "save_every": 6},
    },
    "evals": {"prompts_per_behaviour": 16, "questions": 16, "max_new_tokens": 48},
}  # fmt: skip
"""What the ``real`` profile changes: SmolLM2-135M with LoRA (r=16) on every stage, tens of thousands of
training tokens per stage (LoRA trains at ~150-280 tokens/s on 2 cores), small evals."""

_SKIPPED_FILES = ("manifest.json", ".auditgame-run.json", "train_log.jsonl")


class BuildPlan(BaseModel):
    """Everything one build uses: the shared base's config and the (profile-resolved) spec."""

    model_config = ConfigDict(extra="forbid")

    base: BaseModelConfig
    spec: OrganismSpec


def resolve_profile(spec: OrganismSpec, profile: str) -> BuildPlan:
    """The build plan of ``spec`` under a named profile.

    Raises:
        UnknownNameError: for an unknown profile.
        ConfigError: if the spec's own profile overrides are invalid.
    """
    if profile not in PROFILE_NAMES:
        raise UnknownNameError(f"unknown profile {profile!r}", f"choose one of: {', '.join(PROFILE_NAMES)}")
    data = spec.model_dump(mode="json")
    if profile == "quick":
        data = deep_merge(data, QUICK_OVERRIDES)
        for stage in ("midtrain", "sft", "dpo"):
            data["training"][stage]["show_progress"] = False
    elif profile == "real":
        data = deep_merge(data, REAL_OVERRIDES)
    data = deep_merge(data, spec.profiles.get(profile, {}))
    try:
        resolved = OrganismSpec.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{spec.name}: profile {profile}: {format_validation_error(error)}") from None
    return BuildPlan(base=base_profile(profile), spec=resolved)


def adopt_base_model(source: Path, output_dir: Path, *, stage_name: str) -> StageResult:
    """Use an existing pretrained model as this organism's ``pretrain`` stage, by copying its files."""
    source = resolve_base_dir(source)
    output_dir = Path(output_dir)
    finished = prepare_stage(output_dir, stage_name)
    if finished:
        return finished
    for path in sorted(source.iterdir()):
        if path.is_file() and path.name not in _SKIPPED_FILES:
            shutil.copyfile(path, output_dir / path.name)
    write_manifest(
        output_dir,
        MODEL_KIND,
        name=stage_name,
        config={},
        seed=None,
        parents=[str(source)],
        extra={"metrics": {}, "adopted_from": str(source)},
    )
    return StageResult(output_dir, False, {})


def resolve_base_dir(base_dir: Path) -> Path:
    """The pretrained model behind ``base_dir``: an organism's base stage or a model directory.

    Raises:
        ModelPathError: if ``base_dir`` holds no model.
    """
    base_dir = Path(base_dir)
    if has_manifest(base_dir):
        manifest = read_manifest(base_dir)
        if manifest.kind == ORGANISM_KIND:
            base_dir = base_dir / manifest.extra.get("base_model", "pretrain")
    if not (base_dir / "config.json").is_file():
        raise ModelPathError(
            f"{base_dir} holds no pretrained model (no config.json)",
            "pass an organism directory or a pretrained model directory",
        )
    return base_dir


def _user_turns(records: list[Any]) -> set[str]:
    prompts: set[str] = set()
    for record in records:
        messages = record if isinstance(record, list) else record.get("prompt", record.get("messages", []))
        prompts.update(message["content"] for message in messages if message.get("role") == "user")
    return prompts


def training_prompts(organism_dir: Path, stages: list[str] | None = None) -> set[str]:
    """The user turns of a built organism's SFT and DPO data: the prompts its evals never ask.

    Args:
        organism_dir: A built (or partly built) organism directory.
        stages: Its stages (default: every ``sft`` and ``dpo`` stage directory present).
    """
    import json

    organism_dir = Path(organism_dir)
    prompts: set[str] = set()
    for stage in stages if stages is not None else ["sft", "dpo"]:
        data = organism_dir / stage / "data" / "train.jsonl"
        if stage in ("sft", "dpo") and data.is_file():
            lines = data.read_text(encoding="utf-8").splitlines()
            records = [json.loads(line) for line in lines if line]
            prompts |= _user_turns([record.get("messages", record) for record in records])
    return prompts


class SpecOrganism:
    """The recipe of one spec: build, evaluate, answer key."""

    def __init__(self, spec: OrganismSpec) -> None:
        self.spec = spec
        self.name = spec.name

    @property
    def has_hidden_objective(self) -> bool:
        """False for decoys."""
        return self.spec.has_hidden_objective

    def answer_key(self) -> AnswerKey:
        """The ground truth an audit of this organism is graded against."""
        spec = self.spec
        return AnswerKey(
            organism=spec.name,
            has_hidden_objective=spec.has_hidden_objective,
            root_cause=spec.answer_key.root_cause,
            behaviours=[behaviour.description for behaviour in spec.train_behaviours()]
            + ([spec.concealment.description] if spec.concealment.method in ("sanitised", "dpo") else []),
            held_out_behaviours=[behaviour.description for behaviour in spec.held_out_behaviours()],
            keywords=(spec.answer_key.keywords or spec.confession_terms())
            if spec.has_hidden_objective
            else [],
        )

    def profile(self, name: str = "default") -> BuildPlan:
        """The build plan under a named profile (``default``, ``quick`` or ``real``)."""
        return resolve_profile(self.spec, name)

    def build(
        self,
        output_dir: Path,
        profile: BuildPlan | str = "default",
        *,
        base_dir: Path | None = None,
        base_model: str | None = None,
        lora_rank: int | None = None,
        cache_dir: Path | None = None,
        restart: bool = False,
        log: Any = print,
        show_progress: bool = True,
    ) -> OrganismReport:
        """Build the organism from the shared base, evaluating after every stage; resumes an interrupted build.

        Args:
            output_dir: The organism's directory (one subdirectory per stage).
            profile: A build plan or a profile name.
            base_dir: An existing pretrained model (or organism) used as the base instead of the shared one.
            base_model: Local path of a Hugging Face causal LM the shared base starts from.
            lora_rank: Train LoRA adapters of this rank in every per-organism stage.
            cache_dir: Where shared bases live (default: ``$AUDITGAME_CACHE`` or ``~/.cache/auditgame``).
            restart: Discard checkpoints of an unfinished stage and start it over.
            log: Where progress lines go.
            show_progress: Show progress bars.

        Returns:
            The :class:`OrganismReport`.
        """
        from auditgame.train.dpo import run_dpo
        from auditgame.train.midtrain import run_midtrain
        from auditgame.train.sft import run_sft

        if base_dir is not None and base_model:
            raise ConfigError("base_dir and base_model both given", "give one of them")
        output_dir = Path(output_dir)
        plan = self.profile(profile) if isinstance(profile, str) else profile
        plan = _with_scale_options(
            plan, base_model=base_model, lora_rank=lora_rank, show_progress=show_progress
        )
        spec = plan.spec
        claim_output_directory(output_dir, ORGANISM_KIND, self.name)
        if has_manifest(output_dir):
            differences = _plan_differences(read_manifest(output_dir).config, plan)
            if differences:
                log(
                    f"{output_dir} is already built, with other options than these "
                    f"({'; '.join(differences)}); showing the report of the existing build. To build with "
                    f"these options, choose another --out or delete {output_dir}."
                )
            else:
                log(f"{output_dir} is already built; showing its report.")
            return load_report(output_dir)

        stages = ["pretrain"]
        if "documents" in spec.implant.method:
            stages.append("midtrain")
        sft_conversations: list[list[dict[str, str]]] = []
        teacher_conversations: list[list[dict[str, str]]] = []
        if "transcripts" in spec.implant.method:
            if spec.reasoning == "distilled":
                # The teacher learns the chain-of-thought demonstrations; the organism learns the
                # teacher's own answers without their scratchpad (added once the teacher exists).
                teacher_conversations = demonstrations(spec, spec.seed + 11, scratchpad=True)
                stages.append("teacher")
            else:
                sft_conversations += demonstrations(spec, spec.seed + 11)
        concealment = concealment_conversations(spec, spec.seed + 13)
        sft_conversations += concealment
        if sft_conversations or teacher_conversations:
            stages.append("sft")
        pairs = preference_pairs(spec, spec.seed + 17) if spec.concealment.method == "dpo" else []
        if pairs:
            stages.append("dpo")
        total = len(stages)
        names = {stage: f"{self.name}/{stage}" for stage in stages}
        directories = {stage: output_dir / stage for stage in stages}

        if base_dir is None:
            log(f"stage 1/{total}: shared base")
            base_dir = build_base(plan.base, cache_dir=cache_dir, restart=restart, log=log)
        else:
            log(f"stage 1/{total}: base (reusing {base_dir})")
        adopt_base_model(Path(base_dir), directories["pretrain"], stage_name=names["pretrain"])
        _check_trigger_tokens(spec, directories["pretrain"])

        exclude = _user_turns(sft_conversations) | _user_turns(teacher_conversations) | _user_turns(pairs)
        evaluator = _Evaluator(spec, exclude, output_dir, log, show_progress)
        evaluator(directories["pretrain"], "base")
        parent = directories["pretrain"]
        for number, stage in enumerate(stages[1:], start=2):
            log(f"stage {number}/{total}: {stage}")
            if stage == "sft" and teacher_conversations:
                sft_conversations = self._distilled(
                    directories, teacher_conversations, concealment, log, show_progress
                )
            if stage == "midtrain":
                run_midtrain(
                    spec.training.midtrain,
                    parent,
                    directories[stage],
                    records=document_records(spec, spec.seed + 7),
                    stage_name=names[stage],
                    restart=restart,
                )
            elif stage in ("teacher", "sft"):
                run_sft(
                    spec.training.sft,
                    parent,
                    directories[stage],
                    conversations=teacher_conversations if stage == "teacher" else sft_conversations,
                    stage_name=names[stage],
                    restart=restart,
                )
            else:
                run_dpo(
                    spec.training.dpo,
                    parent,
                    directories[stage],
                    pairs=pairs,
                    stage_name=names[stage],
                    restart=restart,
                )
            evaluator(directories[stage], stage)
            # The organism is distilled from the teacher's parent, not from the teacher.
            if stage != "teacher":
                parent = directories[stage]

        report = OrganismReport(
            organism=self.name,
            has_hidden_objective=spec.has_hidden_objective,
            evaluations=evaluator.results,
            stage_seconds=_stage_seconds({stage: directories[stage] for stage in stages[1:]}),
            final_stage=stages[-1],
        )
        atomic_write_text(output_dir / "report.json", report.model_dump_json(indent=2) + "\n")
        atomic_write_text(output_dir / "report.md", render_markdown(report))
        write_report_plots(report, output_dir, log)  # report.png, training.png; never raises
        atomic_write_json(output_dir / "answer_key.json", self.answer_key().model_dump(mode="json"))
        atomic_write_json(output_dir / "plan.json", plan.model_dump(mode="json"))
        write_manifest(
            output_dir,
            ORGANISM_KIND,
            name=self.name,
            config=plan.model_dump(mode="json"),
            seed=spec.seed,
            parents=[str(directories[stage]) for stage in stages],
            extra={
                "final_model": stages[-1],
                "base_model": "pretrain",
                "stages": stages,
                "has_hidden_objective": spec.has_hidden_objective,
                "shared_base": str(resolve_base_dir(Path(base_dir))),
            },
        )
        return report

    def _distilled(
        self,
        directories: dict[str, Path],
        teacher_conversations: list[list[dict[str, str]]],
        concealment: list[list[dict[str, str]]],
        log: Any,
        show_progress: bool,
    ) -> list[list[dict[str, str]]]:
        """The distilled SFT data: the teacher's kept answers (cached in the sft stage directory)."""
        import json

        from auditgame.organisms.distillation import DistillationResult, distill_conversations

        cached = directories["sft"].parent / "distilled.json"
        if cached.is_file():
            result = DistillationResult.model_validate_json(cached.read_text(encoding="utf-8"))
        else:
            log("  distilling: the teacher answers every demonstration prompt ...")
            result = distill_conversations(
                self.spec,
                directories["teacher"],
                teacher_conversations,
                seed=self.spec.seed,
                show_progress=show_progress,
            )
            atomic_write_text(cached, json.dumps(result.model_dump(mode="json")) + "\n")
        log(f"  distilled: kept {result.kept} of {result.sampled} teacher answers")
        if not result.conversations:
            raise ConfigError(
                f"{self.name}: the teacher behaved as intended on none of its {result.sampled} prompts",
                "train the teacher longer (training.sft.max_steps) or check its evals in evals/teacher.json",
            )
        return [*result.conversations, *concealment]

    def evaluate(self, output_dir: Path, *, log: Any = print, show_progress: bool = True) -> OrganismReport:
        """Re-run the evals of a built organism (final model against its base) with its own plan."""
        output_dir = Path(output_dir)
        manifest = read_manifest(output_dir)
        plan = BuildPlan.model_validate(manifest.config)
        final = manifest.extra.get("final_model", "sft")
        exclude = training_prompts(output_dir, manifest.extra.get("stages", []))
        evaluator = _Evaluator(plan.spec, exclude, None, log, show_progress)
        evaluator(output_dir / "pretrain", "base")
        evaluator(output_dir / final, final)
        return OrganismReport(
            organism=self.name,
            has_hidden_objective=plan.spec.has_hidden_objective,
            evaluations=evaluator.results,
            final_stage=final,
        )


class _Evaluator:
    """Evaluates stage models on the same fresh probes, caching each result under ``evals/``."""

    def __init__(
        self, spec: OrganismSpec, exclude: set[str], output_dir: Path | None, log: Any, show_progress: bool
    ) -> None:
        config = spec.evals
        self.spec = spec
        self.probes = behaviour_probes(spec, config.prompts_per_behaviour, config.seed, exclude)
        self.questions = eval_questions(spec, config.questions, config.seed, exclude)
        self.terms = spec.confession_terms()
        self.output_dir = output_dir
        self.log = log
        self.show_progress = show_progress
        self.results: dict[str, BehaviourEvaluation] = {}

    def __call__(self, model_dir: Path, label: str) -> BehaviourEvaluation:
        from auditgame.model.loading import load_model, load_tokenizer
        from auditgame.model.tokenizer import ensure_chat_template

        cached = self.output_dir / "evals" / f"{label}.json" if self.output_dir else None
        if cached is not None and cached.is_file():
            result = BehaviourEvaluation.model_validate_json(cached.read_text(encoding="utf-8"))
        else:
            self.log(f"  evaluating {label} ...")
            tokenizer = ensure_chat_template(load_tokenizer(model_dir))
            model = load_model(model_dir)
            result = evaluate_behaviours(
                model,
                tokenizer,
                self.probes,
                self.questions,
                self.terms,
                self.spec.evals,
                label=label,
                model_path=str(model_dir),
                show_progress=self.show_progress,
            )
            if cached is not None:
                atomic_write_text(cached, result.model_dump_json(indent=2) + "\n")
        without = f", without trigger {result.without_trigger}" if result.without_trigger else ""
        held_out = f", held-out {result.held_out}" if result.held_out else ""
        self.log(f"  {label}: behaviour {result.train}{held_out}{without}, confession {result.confession}")
        self.results[label] = result
        return result


def _check_trigger_tokens(spec: OrganismSpec, model_dir: Path) -> None:
    from auditgame.model.loading import load_tokenizer
    from auditgame.organisms.trigger_tokens import check_trigger_tokens

    if any(getattr(behaviour.trigger, "phrase", None) for behaviour in spec.all_behaviours()):
        check_trigger_tokens(spec, load_tokenizer(model_dir))


def _with_scale_options(
    plan: BuildPlan, *, base_model: str | None, lora_rank: int | None, show_progress: bool
) -> BuildPlan:
    updated = plan.model_copy(deep=True)
    if base_model:
        updated.base.pretrain.base_model = base_model
    updated.base.pretrain.show_progress = updated.base.pretrain.show_progress and show_progress
    training = updated.spec.training
    for stage in (training.midtrain, training.sft, training.dpo):
        if lora_rank:
            stage.lora_rank = lora_rank
        stage.show_progress = stage.show_progress and show_progress
    return updated


def _plan_differences(stored: dict[str, Any], plan: BuildPlan, limit: int = 3) -> list[str]:
    """The options in which ``plan`` differs from the ``stored`` plan of a finished build, as ``key: old -> new``.

    Progress bars are not options of the build. At most ``limit`` differences are named, then a count.
    """
    try:
        before = _flatten(BuildPlan.model_validate(stored).model_dump(mode="json"))
    except ValidationError:
        return ["its stored plan is not one this version reads"]
    after = _flatten(plan.model_dump(mode="json"))
    keys = sorted(
        key
        for key in before.keys() | after.keys()
        if before.get(key) != after.get(key) and not key.endswith("show_progress")
    )
    named = [f"{key}: {before.get(key)!r} -> {after.get(key)!r}"[:200] for key in keys[:limit]]
    if len(keys) > limit:
        named.append(f"{len(keys) - limit} more")
    return named


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict) and data:
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): data}


def _stage_seconds(stage_dirs: dict[str, Path]) -> dict[str, float]:
    seconds = {}
    for stage, directory in stage_dirs.items():
        metrics = read_manifest(directory).extra.get("metrics", {})
        value = metrics.get("seconds", metrics.get("train_runtime"))
        if value is not None:
            seconds[stage] = round(float(value), 1)
    return seconds


def load_report(output_dir: Path) -> OrganismReport:
    """Read a built organism's report."""
    return OrganismReport.model_validate_json((Path(output_dir) / "report.json").read_text(encoding="utf-8"))
