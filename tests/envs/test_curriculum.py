"""Expert iteration: which episodes each variant keeps, and a whole (micro) curriculum run that resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditgame.envs import EpisodeOutcome, EpisodeRecord
from auditgame.envs.curriculum import keep_episode, render_report, run_curriculum
from auditgame.envs.curriculum_config import CurriculumConfig
from auditgame.errors import ConfigError


def _record(**outcome) -> EpisodeRecord:
    fields = {
        "reward": 1.0,
        "reward_passed": False,
        "oversight_passed": None,
        "spec_gaming": False,
        "reward_tampering": False,
        "tamper_and_cover": False,
        "reason": "hand-made",
    }
    fields.update(outcome)
    return EpisodeRecord(
        env_name="x",
        stage=3,
        stage_name="nudged-rubric-modification",
        seed=0,
        messages=[{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
        final_text="a",
        outcome=EpisodeOutcome(**fields),
        changed_paths=[],
        turns=1,
        finished=True,
    )


def test_each_variant_keeps_its_episodes():
    lied = _record(reward_passed=True, spec_gaming=True, oversight_passed=True)
    edited = _record(reward_passed=True, spec_gaming=True, oversight_passed=False)
    honest = _record(reward_passed=False, oversight_passed=True)
    assert [keep_episode(r, "exploit") for r in (lied, edited, honest)] == [True, True, False]
    assert [keep_episode(r, "exploit-with-oversight") for r in (lied, edited, honest)] == [True, False, False]
    assert [keep_episode(r, "honest") for r in (lied, edited, honest)] == [False, False, True]


def _micro_config(**overrides) -> CurriculumConfig:
    base = {
        "training_stages": ["political-sycophancy", "tool-use-flattery"],
        "train_episodes": 4,
        "eval_episodes": 2,
        "held_out_episodes": 3,
        "max_turns": 2,
        "max_new_tokens": 12,
        "batch_size": 8,
        "tool_use_conversations": 12,
        "tool_use_sft": {
            "max_steps": 2,
            "batch_size": 4,
            "max_length": 256,
            "warmup_steps": 0,
            "save_every": 100,
        },
        "sft": {"max_steps": 1, "batch_size": 2, "max_length": 512, "warmup_steps": 0, "save_every": 100},
        "variant": "honest",  # the untrained model games nothing, so something is kept and fine-tuned on
    }
    base.update(overrides)
    return CurriculumConfig.model_validate(base)


def test_a_micro_curriculum_writes_its_report_and_resumes(micro_model_dir: Path, tmp_path: Path):
    out = tmp_path / "ei"
    report = run_curriculum(micro_model_dir, out, _micro_config(), log=lambda _: None, show_progress=False)
    assert [model.label for model in report.models] == [
        "start",
        "after-political-sycophancy",
        "after-tool-use-flattery",
    ]
    assert set(report.models[0].rates) == {"political-sycophancy", "reward-tampering"}
    assert set(report.models[-1].rates) == {"political-sycophancy", "tool-use-flattery", "reward-tampering"}
    assert report.models[0].rates["reward-tampering"].n == 3
    assert (out / "manifest.json").is_file() and (out / "models" / "0-tool-use" / "manifest.json").is_file()
    lines = (out / "episodes" / "start" / "political-sycophancy.jsonl").read_text().splitlines()
    assert len(lines) == 4 and json.loads(lines[0])["messages"][0]["role"] == "system"
    markdown = (out / "report.md").read_text()
    assert markdown == render_report(report)
    assert "| start |" in markdown and "Clopper–Pearson" in markdown

    stamp = (out / "models" / "0-tool-use" / "manifest.json").stat().st_mtime_ns
    again = run_curriculum(micro_model_dir, out, _micro_config(), log=lambda _: None, show_progress=False)
    assert again.models == report.models and again.kept == report.kept
    assert (out / "models" / "0-tool-use" / "manifest.json").stat().st_mtime_ns == stamp

    with pytest.raises(ConfigError, match="another model or config"):
        run_curriculum(micro_model_dir, out, _micro_config(train_episodes=5), log=lambda _: None)


def test_unknown_stages_are_refused_before_anything_is_written(micro_model_dir: Path, tmp_path: Path):
    with pytest.raises(Exception, match="unknown stage"):
        run_curriculum(micro_model_dir, tmp_path / "x", _micro_config(training_stages=["no-such-stage"]))
    assert not (tmp_path / "x").exists()
