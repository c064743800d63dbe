import json

import pytest

from auditgame.artifacts import (
    atomic_directory,
    atomic_write_json,
    claim_output_directory,
    has_manifest,
    read_manifest,
    verify_hashes,
    write_manifest,
)
from auditgame.errors import ArtifactConflictError, ArtifactNotFoundError


def test_manifest_records_config_seed_versions_and_hashes(tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"abc")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.jsonl").write_text("{}\n")
    manifest = write_manifest(tmp_path, "model", name="demo", config={"lr": 0.1}, seed=3, parents=["p"])
    assert has_manifest(tmp_path)
    loaded = read_manifest(tmp_path)
    assert loaded == manifest
    assert loaded.config == {"lr": 0.1} and loaded.seed == 3 and loaded.parents == ["p"]
    assert set(loaded.hashes) == {"weights.bin", "sub/data.jsonl"}
    assert "torch" in loaded.versions and "python" in loaded.versions
    assert verify_hashes(tmp_path) == []
    (tmp_path / "weights.bin").write_bytes(b"tampered")
    assert verify_hashes(tmp_path) == ["weights.bin"]


def test_checkpoints_are_not_payload(tmp_path):
    (tmp_path / "checkpoints" / "step-1").mkdir(parents=True)
    (tmp_path / "checkpoints" / "step-1" / "x").write_text("x")
    (tmp_path / "model.safetensors").write_text("m")
    assert set(write_manifest(tmp_path, "model").hashes) == {"model.safetensors"}


def test_read_manifest_errors_are_one_line(tmp_path):
    with pytest.raises(ArtifactNotFoundError, match="does not exist"):
        read_manifest(tmp_path / "missing")
    with pytest.raises(ArtifactNotFoundError, match=r"no manifest\.json"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ArtifactNotFoundError) as error:
        read_manifest(tmp_path)
    assert "\n" not in str(error.value)


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "out.json"
    atomic_write_json(target, {"a": 1})
    with pytest.raises(TypeError):
        atomic_write_json(target, {1j: 2})  # a complex key cannot be serialised
    assert json.loads(target.read_text()) == {"a": 1}
    assert [path.name for path in tmp_path.iterdir()] == ["out.json"]


def test_atomic_directory_renames_only_on_success(tmp_path):
    target = tmp_path / "built"
    with pytest.raises(RuntimeError), atomic_directory(target) as scratch:
        (scratch / "half").write_text("x")
        raise RuntimeError("killed")
    assert not target.exists()
    with atomic_directory(target) as scratch:
        (scratch / "done").write_text("x")
    assert (target / "done").is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["built"]


def test_claim_output_directory(tmp_path):
    run = tmp_path / "run"
    claim_output_directory(run, "organism", "rm-sycophant")
    claim_output_directory(run, "organism", "rm-sycophant")  # same artifact: resume
    with pytest.raises(ArtifactConflictError, match="different artifact"):
        claim_output_directory(run, "organism", "other")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ArtifactConflictError, match="not empty"):
        claim_output_directory(foreign, "model", "x")
    assert (foreign / "notes.txt").read_text() == "mine"
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ArtifactConflictError, match="is a file"):
        claim_output_directory(a_file, "model", "x")
