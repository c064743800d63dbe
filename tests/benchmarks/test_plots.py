"""benchmarks/plots.py: bar charts of the throughput results, from small hand-made JSON files."""

import importlib.util
import json
from pathlib import Path

import pytest
from matplotlib import image

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "plots.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

CURRENT_THROUGHPUT = {
    "config": {"preset": "micro", "batch_size": 4, "seq_len": 64, "threads": 2},
    "ours": {
        "tokens_per_second": 5400.0,
        "mfu": 0.31,
        "precision": "bf16",
        "all_tokens_per_second": [5300.0, 5400.0],
    },
    "ours-fp32": {"tokens_per_second": 4100.0, "mfu": 0.62, "precision": "fp32"},
    "trainer": {"tokens_per_second": 3900.0, "mfu": 0.58, "precision": "fp32"},
    "trainer-bf16": {"tokens_per_second": 4300.0, "mfu": 0.25, "precision": "bf16"},
    "ratio_ours_over_trainer": 1.3846,
    "ratio_ours_over_trainer_bf16": 1.2558,
    "ratio_ours_fp32_over_trainer": 1.0513,
}
OLDER_THROUGHPUT = {  # before the bf16 loops: two loops, no precision, no repeats
    "config": {"preset": "tiny", "batch_size": 16, "seq_len": 256, "threads": 2},
    "peak_gflops": 150.0,
    "ours": {"tokens_per_second": 2500.0, "mfu": 0.55},
    "trainer": {"tokens_per_second": 2000.0, "mfu": 0.44},
    "ratio_ours_over_trainer": 1.25,
}
GENERATION = {
    "benchmark": "generation",
    "model": "/cache/bases/base-0123",
    "prompts": 16,
    "max_new_tokens": 8,
    "threads": 2,
    "rows": [
        {
            "batch_size": batch,
            "same_texts": True,
            "hf": {"tokens_per_second": 1000.0, "mfu": 0.06},
            "exact": {"tokens_per_second": 990.0, "mfu": 0.06},
            "auditgame": {"tokens_per_second": 1200.0 * scale, "mfu": 0.07},
            "ratio_exact_over_hf": 0.99,
            "ratio_auditgame_over_hf": 1.2 * scale,
        }
        for batch, scale in ((8, 1.0), (16, 1.3))
    ],
}


@pytest.fixture(scope="module")
def plots():
    spec = importlib.util.spec_from_file_location("benchmark_plots", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    height, width = image.imread(str(path)).shape[:2]
    assert 500 <= width <= 3000 and 300 <= height <= 1500, (width, height)


@pytest.mark.parametrize("result", [CURRENT_THROUGHPUT, OLDER_THROUGHPUT], ids=["current", "older"])
def test_train_throughput_plot(plots, tmp_path, result):
    _check_png(plots.plot_train_throughput(result, tmp_path / "train_throughput.png"))


def test_ratio_is_computed_when_the_json_lacks_it(plots):
    result = {"ours": {"tokens_per_second": 300.0}, "trainer": {"tokens_per_second": 200.0}}
    assert plots._ratio(result, "ratio_ours_over_trainer", "ours", "trainer") == pytest.approx(1.5)
    assert plots._ratio(result, "ratio_ours_over_trainer_bf16", "ours", "trainer-bf16") is None


def test_plots_refuse_a_result_without_loops(plots, tmp_path):
    with pytest.raises(ValueError, match="no training loop"):
        plots.plot_train_throughput({"config": {}}, tmp_path / "a.png")
    with pytest.raises(ValueError, match="no row"):
        plots.plot_generation({"rows": []}, tmp_path / "b.png")


def test_main_writes_a_png_beside_each_result(plots, tmp_path):
    (tmp_path / "train_throughput.json").write_text(json.dumps(OLDER_THROUGHPUT), encoding="utf-8")
    (tmp_path / "generation.json").write_text(json.dumps(GENERATION), encoding="utf-8")
    written = plots.main(["--results", str(tmp_path)])
    assert written == [tmp_path / "train_throughput.png", tmp_path / "generation.png"]
    for path in written:
        _check_png(path)
    assert not list(tmp_path.glob(".*.tmp"))


def test_main_skips_a_missing_result(plots, tmp_path, capsys):
    (tmp_path / "generation.json").write_text(json.dumps(GENERATION), encoding="utf-8")
    assert plots.main(["--results", str(tmp_path)]) == [tmp_path / "generation.png"]
    assert "train_throughput.json: skipped" in capsys.readouterr().out
