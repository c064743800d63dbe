"""Smoke test of benchmarks/train_throughput.py: a few steps of the micro preset, both loops."""

import importlib.util
import json
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "train_throughput.py"


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("train_throughput", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_benchmark_reports_throughput_and_mfu(tmp_path):
    out = tmp_path / "results" / "train_throughput.json"
    _load_benchmark().main(["--quick", "--preset", "micro", "--out", str(out)])
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["peak_gflops"] > 0 and result["flops_per_token"] > 0
    for loop in ("ours", "ours-compiled", "trainer"):
        assert result[loop]["tokens_per_second"] > 0, loop
        assert 0 < result[loop]["mfu"] < 1.5, loop
    assert result["ratio_ours_over_trainer"] > 0
    assert not list(out.parent.glob(".*.tmp"))  # the atomic write left no temporary behind
