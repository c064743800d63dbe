"""Bar charts of the throughput benchmarks' results: tokens/s per loop, with the ratios annotated.

Reads what ``train_throughput.py`` and ``generation.py`` wrote to the results directory and writes a PNG
beside each JSON:

- ``train_throughput.json`` -> ``train_throughput.png``: one bar per training loop (``ours``,
  ``ours-fp32``, ``trainer``, ``trainer-bf16``, whichever the run measured; older results hold only
  ``ours`` and ``trainer``), labelled with tokens/s and MFU, every repeat as a dot, and the ratios
  ``ours / Trainer`` in a box.
- ``generation.json`` -> ``generation.png``: one group of bars per batch size, one bar per engine
  (``hf``, ``exact``, ``auditgame``), each of ours labelled with its ratio over ``hf``.

A missing JSON is skipped with a line saying so.

Usage::

    .venv/bin/python benchmarks/plots.py                          # benchmarks/results/
    .venv/bin/python benchmarks/plots.py --results /tmp/results
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from auditgame.artifacts import atomic_write_png

DEFAULT_RESULTS = Path(__file__).resolve().parent / "results"
TRAIN_THROUGHPUT = "train_throughput"
GENERATION = "generation"

TRAIN_LOOPS: dict[str, str] = {
    "ours": "ours\n(train_causal_lm)",
    "ours-fp32": "ours, fp32",
    "trainer": "transformers.Trainer\n(defaults)",
    "trainer-bf16": "transformers.Trainer\n(bf16=True)",
}
"""The training loops ``train_throughput.py`` can measure, in drawing order, with their axis labels."""

TRAIN_RATIOS: tuple[tuple[str, str, str, str], ...] = (
    ("ratio_ours_over_trainer", "ours", "trainer", "ours / Trainer (defaults)"),
    ("ratio_ours_over_trainer_bf16", "ours", "trainer-bf16", "ours / Trainer (bf16=True)"),
    ("ratio_ours_fp32_over_trainer", "ours-fp32", "trainer", "ours fp32 / Trainer (defaults)"),
)
"""Each ratio: its key in the JSON, numerator loop, denominator loop, and its label."""

GENERATION_ENGINES: dict[str, str] = {
    "hf": "model.generate (hf)",
    "exact": "ours, exact samples",
    "auditgame": "ours, compact (default)",
}
"""The engines ``generation.py`` measures, in drawing order, with their legend labels."""


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("the plots need matplotlib: pip install 'auditgame[plots]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _ratio(result: dict[str, Any], key: str, numerator: str, denominator: str) -> float | None:
    """The ratio the JSON records, or the one its two loops' tokens/s give."""
    if isinstance(result.get(key), (int, float)):
        return float(result[key])
    try:
        return result[numerator]["tokens_per_second"] / result[denominator]["tokens_per_second"]
    except (KeyError, TypeError, ZeroDivisionError):
        return None


def plot_train_throughput(result: dict[str, Any], path: Path) -> Path:
    """Draw ``train_throughput.json`` as one bar of tokens/s per training loop.

    Args:
        result: The parsed JSON (current format, or the older one with only ``ours`` and ``trainer``).
        path: Where the PNG goes (written atomically).

    Returns:
        ``path``.

    Raises:
        ValueError: if the result holds no loop with a ``tokens_per_second``.
    """
    loops = [
        loop
        for loop in TRAIN_LOOPS
        if isinstance(result.get(loop), dict) and "tokens_per_second" in result[loop]
    ]
    if not loops:
        raise ValueError(f"no training loop ({', '.join(TRAIN_LOOPS)}) with tokens_per_second in the result")
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(max(6.0, 1.7 * len(loops) + 2.5), 4.4))
    speeds = [float(result[loop]["tokens_per_second"]) for loop in loops]
    colours = ["C0" if loop.startswith("ours") else "C7" for loop in loops]
    bars = axes.bar(range(len(loops)), speeds, color=colours, width=0.6)
    for index, loop in enumerate(loops):
        repeats = result[loop].get("all_tokens_per_second") or []
        if len(repeats) > 1:
            axes.scatter([index] * len(repeats), repeats, color="black", s=8, zorder=3)
    for bar, loop in zip(bars, loops, strict=True):
        row = result[loop]
        text = f"{row['tokens_per_second']:,.0f} tok/s"
        if isinstance(row.get("mfu"), (int, float)):
            text += f"\nMFU {row['mfu']:.1%}"
        axes.annotate(
            text,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            textcoords="offset points",
            xytext=(0, 3),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    labels = []
    for loop in loops:
        precision = result[loop].get("precision")
        labels.append(TRAIN_LOOPS[loop] + (f"\nran in {precision}" if precision else ""))
    axes.set_xticks(range(len(loops)))
    axes.set_xticklabels(labels, fontsize=8)
    axes.set_ylim(0, max(speeds) * 1.3)
    axes.set_ylabel("training tokens / s")
    ratios = [
        f"{label}: {ratio:.2f}x"
        for key, numerator, denominator, label in TRAIN_RATIOS
        if (ratio := _ratio(result, key, numerator, denominator)) is not None
    ]
    if ratios:
        axes.text(
            0.99,
            0.98,
            "\n".join(ratios),
            transform=axes.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "grey"},
        )
    config = result.get("config", {})
    details = ", ".join(
        part
        for part in (
            f"preset {config['preset']}" if "preset" in config else "",
            f"batch {config['batch_size']} x seq {config['seq_len']}" if "batch_size" in config else "",
            f"{config['threads']} threads" if "threads" in config else "",
        )
        if part
    )
    axes.set_title("training throughput" + (f": {details}" if details else ""), fontsize=10)
    axes.grid(axis="y", linewidth=0.4, alpha=0.5)
    figure.tight_layout()
    path = Path(path)
    atomic_write_png(path, figure)
    return path


def plot_generation(result: dict[str, Any], path: Path) -> Path:
    """Draw ``generation.json`` as grouped bars of new tokens/s: a group per batch size, a bar per engine.

    Args:
        result: The parsed JSON.
        path: Where the PNG goes (written atomically).

    Returns:
        ``path``.

    Raises:
        ValueError: if the result holds no row with an engine's ``tokens_per_second``.
    """
    rows = [row for row in result.get("rows", []) if any(engine in row for engine in GENERATION_ENGINES)]
    engines = [engine for engine in GENERATION_ENGINES if any(engine in row for row in rows)]
    if not rows:
        raise ValueError(f"no row with an engine ({', '.join(GENERATION_ENGINES)}) in the result")
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(max(6.0, 1.6 * len(rows) + 3), 4.4))
    width = 0.8 / len(engines)
    highest = 0.0
    for number, engine in enumerate(engines):
        xs, speeds, measured = [], [], []
        for index, row in enumerate(rows):
            if engine in row:
                xs.append(index + (number - (len(engines) - 1) / 2) * width)
                speeds.append(float(row[engine]["tokens_per_second"]))
                measured.append(row)
        highest = max([highest, *speeds])
        bars = axes.bar(xs, speeds, width=width, label=GENERATION_ENGINES[engine], color=f"C{number}")
        for bar, row in zip(bars, measured, strict=True):
            ratio = _ratio(row, f"ratio_{engine}_over_hf", engine, "hf") if engine != "hf" else None
            text = f"{row[engine]['tokens_per_second']:,.0f}" + (f"\n{ratio:.2f}x" if ratio else "")
            axes.annotate(
                text,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                textcoords="offset points",
                xytext=(0, 2),
                ha="center",
                va="bottom",
                fontsize=7,
            )
    axes.set_xticks(range(len(rows)))
    axes.set_xticklabels(
        [
            f"batch {row.get('batch_size', '?')}"
            + ("" if row.get("same_texts", True) else "\n(texts differ!)")
            for row in rows
        ]
    )
    axes.set_ylim(0, highest * 1.3)
    axes.set_ylabel("new tokens / s")
    details = ", ".join(
        part
        for part in (
            f"{Path(str(result['model'])).name}" if "model" in result else "",
            f"{result['prompts']} prompts" if "prompts" in result else "",
            f"{result['max_new_tokens']} new tokens" if "max_new_tokens" in result else "",
            f"{result['threads']} threads" if "threads" in result else "",
        )
        if part
    )
    axes.set_title(
        "generation throughput (ratio: ours / model.generate)" + (f"\n{details}" if details else ""),
        fontsize=10,
    )
    axes.legend(fontsize=8, loc="upper left")
    axes.grid(axis="y", linewidth=0.4, alpha=0.5)
    figure.tight_layout()
    path = Path(path)
    atomic_write_png(path, figure)
    return path


PLOTTERS = {TRAIN_THROUGHPUT: plot_train_throughput, GENERATION: plot_generation}
"""Each result's base name and the function that draws it."""


def write_plots(results_dir: Path, log: Any = print) -> list[Path]:
    """Draw every benchmark result found in ``results_dir``, a PNG beside each JSON.

    Args:
        results_dir: The directory holding ``train_throughput.json`` and ``generation.json``.
        log: Where a line per written or skipped plot goes.

    Returns:
        The PNGs written.
    """
    results_dir = Path(results_dir)
    written: list[Path] = []
    for name, plot in PLOTTERS.items():
        source = results_dir / f"{name}.json"
        if not source.is_file():
            log(f"no {source}: skipped")
            continue
        written.append(plot(json.loads(source.read_text(encoding="utf-8")), results_dir / f"{name}.png"))
        log(f"wrote {written[-1]}")
    return written


def main(argv: list[str] | None = None) -> list[Path]:
    """Parse the arguments and write the plots; return their paths."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS,
        help="directory of the benchmarks' JSON results; the PNGs go beside them",
    )
    args = parser.parse_args(argv)
    return write_plots(args.results)


if __name__ == "__main__":
    main()
