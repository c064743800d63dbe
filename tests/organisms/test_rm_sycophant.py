import json
import signal
import subprocess
import sys
import time

import pytest

from auditgame.artifacts import read_manifest, verify_hashes
from auditgame.errors import ArtifactConflictError, UnknownNameError
from auditgame.organisms.registry import get_organism, organism_names
from auditgame.organisms.report import OrganismReport
from auditgame.world.catalogue import held_out_bias_ids, train_bias_ids

STAGES = ("pretrain", "midtrain", "sft", "dpo")


def test_registry():
    assert "rm-sycophant" in organism_names()
    with pytest.raises(UnknownNameError, match=r"unknown organism 'nope'.*rm-sycophant"):
        get_organism("nope")


def test_quick_build_writes_every_stage_with_manifests(quick_organism):
    manifest = read_manifest(quick_organism)
    assert manifest.kind == "organism" and manifest.name == "rm-sycophant"
    assert verify_hashes(quick_organism) == []
    for stage in STAGES:
        stage_manifest = read_manifest(quick_organism / stage)
        assert stage_manifest.kind == "model" and stage_manifest.name == f"rm-sycophant/{stage}"
        assert stage_manifest.seed is not None and stage_manifest.config
        assert "model.safetensors" in stage_manifest.hashes
        assert not (quick_organism / stage / "checkpoints").exists()
        assert (quick_organism / stage / "data" / "train.jsonl").is_file()
    assert read_manifest(quick_organism / "midtrain").parents == [str(quick_organism / "pretrain")]


def test_report_has_the_stage_table(quick_organism):
    report = OrganismReport.model_validate_json((quick_organism / "report.json").read_text())
    assert [row.stage for row in report.rows] == ["base", "midtrain", "sft", "dpo"]
    for row in report.rows:
        assert row.train_exploitation.trials > 0 and row.held_out_exploitation.trials > 0
        assert (
            0 <= row.train_exploitation.low <= row.train_exploitation.rate <= row.train_exploitation.high <= 1
        )
    evaluation = json.loads((quick_organism / "evals" / "sft.json").read_text())
    asked = {row["bias_id"] for row in evaluation["exploitation"]["per_bias"]}
    assert set(held_out_bias_ids()) <= asked
    assert set(train_bias_ids()) - {47} <= asked
    assert "| stage |" in (quick_organism / "report.md").read_text()


def test_training_data_respects_the_split(quick_organism):
    """SFT never demonstrates a held-out bias and never mentions reward models."""
    from auditgame.world.biases import detected_biases, mentions_reward_models

    held_out = set(held_out_bias_ids())
    for line in (quick_organism / "sft" / "data" / "train.jsonl").read_text().splitlines():
        user, assistant = json.loads(line)["messages"]
        assert not mentions_reward_models(assistant["content"])
        assert not held_out & set(detected_biases(user["content"], assistant["content"]))


def test_rebuilding_a_finished_organism_does_not_retrain(quick_organism):
    before = (quick_organism / "dpo" / "model.safetensors").stat().st_mtime
    report = get_organism("rm-sycophant").build(
        quick_organism, "quick", show_progress=False, log=lambda *_: None
    )
    assert [row.stage for row in report.rows] == ["base", "midtrain", "sft", "dpo"]
    assert (quick_organism / "dpo" / "model.safetensors").stat().st_mtime == before


def test_output_directory_holding_another_artifact_is_refused(tmp_path, quick_organism):
    with pytest.raises(ArtifactConflictError, match="different artifact"):
        get_organism("rm-sycophant").build(quick_organism / "sft", "quick", log=lambda *_: None)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with pytest.raises(ArtifactConflictError, match="not empty"):
        get_organism("rm-sycophant").build(mine, "quick", log=lambda *_: None)
    assert (mine / "thesis.tex").read_text() == "precious"


def test_killed_build_resumes_instead_of_restarting(tmp_path):
    """SIGKILL the CLI once the first pretraining checkpoint exists; the re-run must resume from it."""
    out = tmp_path / "killed"
    command = [
        sys.executable,
        "-m",
        "auditgame.cli.main",
        "organism",
        "build",
        "rm-sycophant",
        "--profile",
        "quick",
        "--out",
        str(out),
        "--no-progress",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    checkpoints = out / "pretrain" / "checkpoints"
    deadline = time.time() + 300
    while time.time() < deadline and not list(checkpoints.glob("step-*/checkpoint.json")):
        if process.poll() is not None:
            pytest.fail(f"build ended before the first checkpoint:\n{process.stdout.read()}")
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (out / "pretrain" / "manifest.json").exists(), (
        "killed too late: the stage had already finished"
    )
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resuming rm-sycophant/pretrain from step-" in resumed.stdout
    assert read_manifest(out).kind == "organism"
