"""Smoke test of benchmarks/trl_stages.py: SFT and DPO with both LM heads on the micro model."""

import importlib.util
import json
import math
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "trl_stages.py"


def test_quick_trl_stages_benchmark_reports_both_heads(tmp_path):
    spec = importlib.util.spec_from_file_location("trl_stages_bench", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "trl_stages.json"
    module.main(["--quick", "--out", str(out)])
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["peak_gflops_fp32"] > 0
    assert [row["stage"] for row in result["rows"]] == ["sft", "dpo"]
    for row in result["rows"]:
        for head in ("trl", "whole"):
            assert row[head]["seconds_per_step"] > 0
        # the same arithmetic: the two heads train to the same loss, up to rounding
        assert math.isclose(row["trl"]["final_loss"], row["whole"]["final_loss"], rel_tol=1e-2)
        assert row["speedup_whole_over_trl"] > 0
