import json

import pytest

from auditgame.artifacts import (
    MANIFEST_NAME,
    Manifest,
    atomic_directory,
    atomic_write_json,
    claim_output_directory,
    has_manifest,
    read_manifest,
    sha256_file,
    verify_artifact,
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


def _organism_tree(root):
    """An organism-shaped artifact: two stage artifacts (own manifests) below a top-level manifest."""
    for stage in ("midtrain", "dpo"):
        (root / stage / "data").mkdir(parents=True)
        (root / stage / "model.safetensors").write_bytes(bytes(range(256)) * 4)
        (root / stage / "data" / "train.jsonl").write_text('{"text": "x"}\n')
        (root / stage / "checkpoints" / "step-1").mkdir(parents=True)
        (root / stage / "checkpoints" / "step-1" / "state.pt").write_text("scratch")
        write_manifest(root / stage, "model", name=f"demo/{stage}")
    (root / "report.json").write_text("{}")
    write_manifest(root, "organism", name="demo")
    return root


def _flip_a_byte(path, offset=100):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_organism_manifest_covers_nested_stage_manifests(tmp_path):
    manifest = read_manifest(_organism_tree(tmp_path))
    assert manifest.complete
    assert set(manifest.hashes) == {"report.json", "midtrain/manifest.json", "dpo/manifest.json"}
    check = verify_artifact(tmp_path)
    assert check.intact and check.manifests == 3 and check.files == 3 + 2 * 2
    assert check.describe().startswith("payload intact")


def test_verify_finds_a_flipped_byte_in_a_nested_stage(tmp_path):
    _organism_tree(tmp_path)
    _flip_a_byte(tmp_path / "dpo" / "model.safetensors")
    check = verify_artifact(tmp_path)
    assert check.changed == ["dpo/model.safetensors"] and not check.intact
    assert verify_hashes(tmp_path) == ["dpo/model.safetensors"]
    assert "changed: dpo/model.safetensors" in check.describe()


def test_verify_finds_a_corrupt_nested_manifest(tmp_path):
    _organism_tree(tmp_path)
    (tmp_path / "midtrain" / "manifest.json").write_text("{corrupt")
    check = verify_artifact(tmp_path)
    assert check.unreadable == ["midtrain/manifest.json"]
    assert check.changed == ["midtrain/manifest.json"]  # the organism's own hash of it catches it too
    assert "unreadable manifest: midtrain/manifest.json" in check.describe()


def test_verify_of_an_organism_from_before_nested_hashing(tmp_path):
    """Organisms built before nested manifests were hashed: the stages are still verified."""
    _organism_tree(tmp_path)
    old = read_manifest(tmp_path).model_dump()
    old["hashes"] = {"report.json": old["hashes"]["report.json"]}
    old["complete"] = False
    (tmp_path / MANIFEST_NAME).write_text(Manifest.model_validate(old).model_dump_json())
    assert verify_artifact(tmp_path).intact
    _flip_a_byte(tmp_path / "dpo" / "model.safetensors")
    (tmp_path / "midtrain" / "manifest.json").write_text("{corrupt")
    check = verify_artifact(tmp_path)
    assert check.changed == ["dpo/model.safetensors"] and check.unreadable == ["midtrain/manifest.json"]


def test_verify_reports_missing_and_extra_files_but_not_scratch(tmp_path):
    _organism_tree(tmp_path)
    (tmp_path / "dpo" / "data" / "train.jsonl").unlink()
    (tmp_path / "dpo" / "adapter_config.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("added later")
    (tmp_path / "midtrain" / "checkpoints" / "step-2").mkdir()  # checkpoints are scratch, not payload
    (tmp_path / "midtrain" / "checkpoints" / "step-2" / "x").write_text("x")
    check = verify_artifact(tmp_path)
    assert check.missing == ["dpo/data/train.jsonl"]
    assert check.added == ["dpo/adapter_config.json", "notes.txt"] and check.uncovered == []
    assert verify_hashes(tmp_path) == ["dpo/data/train.jsonl"]  # added files: verify_artifact only
    described = check.describe(limit=1)
    assert (
        "missing: dpo/data/train.jsonl" in described
        and "added: dpo/adapter_config.json and 1 more" in described
    )


def test_an_added_file_alone_breaks_intactness(tmp_path):
    _organism_tree(tmp_path)
    (tmp_path / "dpo" / "adapter_config.json").write_text("{}")  # would change what from_pretrained loads
    check = verify_artifact(tmp_path)
    assert not check.intact and check.added == ["dpo/adapter_config.json"] and check.problems == []


def test_files_a_partial_manifest_never_hashed_are_listed_not_failed(tmp_path):
    """A manifest that hashes chosen files only (a benchmark's results, not its cache) vouches for nothing else."""
    (tmp_path / "results.json").write_text("{}")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "call.json").write_text("{}")
    partial = Manifest(kind="bench", hashes={"results.json": sha256_file(tmp_path / "results.json")})
    (tmp_path / MANIFEST_NAME).write_text(partial.model_dump_json())
    check = verify_artifact(tmp_path)
    assert check.intact and check.uncovered == ["cache/call.json"]
    assert (
        check.describe() == "payload intact (1 files under 1 manifests); not in any manifest: cache/call.json"
    )


def test_verify_when_a_stage_manifest_is_deleted(tmp_path):
    _organism_tree(tmp_path)
    (tmp_path / "dpo" / "manifest.json").unlink()
    check = verify_artifact(tmp_path)
    assert check.missing == ["dpo/manifest.json"]
    assert "dpo/model.safetensors" in check.added  # no manifest covers the stage's payload any more
