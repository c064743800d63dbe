"""`auditgame show --verify`: every stage of an organism is checked, not just its top-level files."""

from __future__ import annotations

from auditgame.artifacts import write_manifest
from tests.cli.in_process import run_main


def _organism(root):
    for stage in ("pretrain", "midtrain", "dpo"):
        (root / stage).mkdir(parents=True)
        (root / stage / "model.safetensors").write_bytes(bytes(range(256)) * 8)
        (root / stage / "config.json").write_text('{"model_type": "llama"}')
        write_manifest(root / stage, "model", name=f"demo/{stage}")
    (root / "report.json").write_text("{}")
    write_manifest(
        root, "organism", name="demo", extra={"final_model": "dpo", "stages": ["pretrain", "midtrain", "dpo"]}
    )
    return root


def _verify(monkeypatch, capsys, path):
    return run_main(monkeypatch, capsys, "show", str(path), "--verify")


def test_intact_organism(tmp_path, monkeypatch, capsys):
    outcome = _verify(monkeypatch, capsys, _organism(tmp_path / "org"))
    assert outcome.code == 0 and "payload intact (10 files under 4 manifests)" in outcome.stdout


def test_flipped_byte_in_a_stage_and_corrupt_stage_manifest_are_reported(tmp_path, monkeypatch, capsys):
    organism = _organism(tmp_path / "org")
    weights = organism / "dpo" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[1000] ^= 0x01
    weights.write_bytes(bytes(data))
    (organism / "midtrain" / "manifest.json").write_text('{"kind": ')
    outcome = _verify(monkeypatch, capsys, organism)
    assert outcome.code == 1
    assert "payload intact" not in outcome.stdout
    assert "dpo/model.safetensors" in outcome.stdout
    assert "unreadable manifest: midtrain/manifest.json" in outcome.stdout


def test_added_file_is_reported(tmp_path, monkeypatch, capsys):
    organism = _organism(tmp_path / "org")
    (organism / "dpo" / "adapter_model.safetensors").write_bytes(b"swapped in")
    outcome = _verify(monkeypatch, capsys, organism)
    assert outcome.code == 1 and "added: dpo/adapter_model.safetensors" in outcome.stdout
