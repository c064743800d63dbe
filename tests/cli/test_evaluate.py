"""`auditgame eval`: warns (one line, and goes on) when an organism's files no longer match its manifests."""

from __future__ import annotations

from auditgame.artifacts import write_manifest
from auditgame.organisms.recipe import SpecOrganism
from auditgame.organisms.registry import get_organism
from auditgame.organisms.report import OrganismReport
from tests.cli.in_process import run_main


def _organism(root):
    """A built organism's manifests and files (no real weights: the evaluation itself is stubbed)."""
    recipe = get_organism("rm-sycophant")
    for stage in ("pretrain", "dpo"):
        (root / stage).mkdir(parents=True)
        (root / stage / "model.safetensors").write_bytes(bytes(range(256)) * 8)
        write_manifest(root / stage, "model", name=f"rm-sycophant/{stage}")
    write_manifest(
        root,
        "organism",
        name="rm-sycophant",
        config=recipe.profile("quick").model_dump(mode="json"),
        extra={"final_model": "dpo", "stages": ["pretrain", "dpo"]},
    )
    return root


def _stub_evaluate(self, output_dir, *, log, show_progress):
    return OrganismReport(organism=self.name, final_stage="dpo")


def test_eval_warns_when_a_stage_changed(tmp_path, monkeypatch, capsys):
    organism = _organism(tmp_path / "org")
    monkeypatch.setattr(SpecOrganism, "evaluate", _stub_evaluate)
    monkeypatch.setattr("auditgame.organisms.report.render_table", lambda report: "table")
    monkeypatch.setattr("auditgame.organisms.report.render_behaviours", lambda report: "behaviours")
    intact = run_main(monkeypatch, capsys, "eval", str(organism), "--no-progress")
    assert intact.code == 0, intact.stderr
    assert not [line for line in intact.stderr_lines if line.startswith("warning:")]

    weights = organism / "dpo" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[7] ^= 0x01
    weights.write_bytes(bytes(data))
    changed = run_main(monkeypatch, capsys, "eval", str(organism), "--no-progress")
    assert changed.code == 0, changed.stderr
    warnings = [line for line in changed.stderr_lines if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "no longer matches its manifest (changed: dpo/model.safetensors)" in warnings[0]
