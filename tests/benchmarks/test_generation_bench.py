"""Smoke test of benchmarks/generation.py: both engines on the micro model, a few prompts."""

import importlib.util
import json
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "generation.py"


def test_quick_generation_benchmark_reports_both_engines(tmp_path):
    spec = importlib.util.spec_from_file_location("generation_bench", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "generation.json"
    module.main(["--quick", "--out", str(out)])
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["peak_gflops"] > 0 and result["flops_per_new_token"] > 0
    [row] = result["rows"]
    assert row["same_texts"] is True  # the two engines draw the same samples
    for engine in ("hf", "exact", "auditgame"):
        assert row[engine]["tokens_per_second"] > 0 and 0 < row[engine]["mfu"] < 1.5
    assert row["ratio_auditgame_over_hf"] > 0 and row["ratio_exact_over_hf"] > 0
