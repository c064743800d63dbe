"""Training throughput and model-FLOPs utilization (MFU) of our loop versus a plain ``transformers.Trainer``.

Every loop trains the same freshly initialised preset model (same seed) on the same packed data
(random token ids in blocks of ``--seq-len``; content does not matter for throughput), with the same
global batch size, AdamW, gradient clipping at 1.0 and a cosine schedule, fp32 weights, on the CPU:

(a) ``ours``: ``auditgame.train.lm_trainer.train_causal_lm`` -- the pretraining/midtraining loop -- as it
    runs by default (``precision="auto"``: bf16 autocast where the CPU has native bf16 matmuls);
(b) ``ours-fp32``: the same loop with ``precision="fp32"``;
(b') ``ours-compiled``: the same loop with ``compile="on"`` (``torch.compile``, as ``compile="auto"`` runs
    stages of 200+ steps on the CPU, e.g. the demo's; the compile is in the untimed warm-up steps);
(c) ``trainer``: ``transformers.Trainer`` with default arguments apart from those above (fp32, its
    default optimizer ``adamw_torch_fused``, no checkpoints, no reporting);
(d) ``trainer-bf16``: the same with ``bf16=True`` (the Trainer's own CPU autocast).

Each loop runs in a fresh subprocess (alternating, ``--repeats`` times, best run kept), so neither
inherits the other's allocator state, warmed caches or thread pools.

Timing. A forward pre-hook stamps the wall clock at the start of every optimizer step; the first
``--warmup`` steps are excluded, and the window runs from the start of step ``warmup`` to the start of
the last step, so it spans exactly ``steps - 1`` whole steps (forward, backward, clipping, optimizer,
data loading, logging) and no setup or teardown.

FLOPs. Per trained token we count the PaLM-style estimate

    flops_per_token = 6 * N_matmul + 12 * n_layers * d_model * seq_len

where ``N_matmul = n_layers * (4 * d_model**2 + 3 * d_model * d_ff) + d_model * vocab`` is the number
of weights that take part in a matrix multiply (q, k, v, o projections; gate, up, down of the MLP;
the lm_head, tied to the embedding). The embedding lookup, norms and biases are not counted. The
second term is attention's ``QK^T`` and ``AV`` (forward ``4 * seq * d`` per layer and token, times 3
for forward + backward), counted over the full, not the causal, score matrix.

Peak. The machine's fp32 and bf16 matmul peaks are measured in the same run and with the same thread
count, before and after the loops: ``2048 x 2048`` gemms repeated, best of several rounds, ``2 * n**3``
FLOPs each (``1024 x 1024`` under ``--quick``).
MFU = achieved FLOP/s / the peak of the precision the loop ran in.

Usage::

    .venv/bin/python benchmarks/train_throughput.py                 # tiny preset, seq 256, batch 16
    .venv/bin/python benchmarks/train_throughput.py --quick --preset micro
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

import torch

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "train_throughput.json"
VOCAB_SIZE = 4096
"""Vocabulary of the tokenizer the pretraining stage trains by default (``PretrainConfig.vocab_size``)."""


class _VocabOnly:
    """The slice of a tokenizer that :func:`build_model` reads: its length and special-token ids."""

    bos_token_id, eos_token_id, pad_token_id = 0, 1, 2

    def __init__(self, vocab_size: int) -> None:
        self.vocab_size = vocab_size

    def __len__(self) -> int:
        return self.vocab_size


def measure_peak_flops(
    size: int = 2048, repeats: int = 8, rounds: int = 5, dtype: torch.dtype = torch.float32
) -> float:
    """Best matmul throughput (FLOP/s) over ``rounds`` rounds of ``repeats`` ``size``-square gemms in ``dtype``."""
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator).to(dtype)
    b = torch.randn(size, size, generator=generator).to(dtype)
    out = torch.empty(size, size, dtype=dtype)
    torch.mm(a, b, out=out)  # warm-up
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            torch.mm(a, b, out=out)
        elapsed = time.perf_counter() - start
        best = max(best, 2 * size**3 * repeats / elapsed)
    return best


def flops_per_token(config, seq_len: int) -> tuple[float, int]:
    """Training FLOPs per token (see the module docstring) and the matmul parameter count ``N_matmul``."""
    d, ff, layers, vocab = (
        config.hidden_size,
        config.intermediate_size,
        config.num_hidden_layers,
        config.vocab_size,
    )
    n_matmul = layers * (4 * d * d + 3 * d * ff) + d * vocab
    return 6 * n_matmul + 12 * layers * d * seq_len, n_matmul


def make_model(preset: str, seed: int = 0):
    from auditgame.model.presets import build_model, get_preset

    model = build_model(get_preset(preset), _VocabOnly(VOCAB_SIZE), seed=seed)
    model.config.use_cache = False
    return model


def make_blocks(num_blocks: int, seq_len: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(3, VOCAB_SIZE, (num_blocks, seq_len), generator=generator)


class StepClock:
    """Stamps the wall clock at the start of every training forward pass (= every optimizer step)."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.stamps: list[float] = []
        self._handle = model.register_forward_pre_hook(self._stamp)

    def _stamp(self, module, args) -> None:
        if module.training:
            self.stamps.append(time.perf_counter())

    def close(self) -> None:
        self._handle.remove()

    def window(self, warmup: int) -> tuple[int, float]:
        """Steps timed and their seconds: from the start of step ``warmup`` to the start of the last step."""
        if len(self.stamps) < warmup + 2:
            raise RuntimeError(f"only {len(self.stamps)} steps were stamped; need warmup + 2 = {warmup + 2}")
        return len(self.stamps) - 1 - warmup, self.stamps[-1] - self.stamps[warmup]


def run_ours(
    preset: str,
    blocks: torch.Tensor,
    batch_size: int,
    total_steps: int,
    learning_rate: float,
    precision: str = "auto",
    compile: str = "off",
):
    from auditgame.train.lm_trainer import make_accelerator, train_causal_lm
    from auditgame.train.stage_config import StageConfig

    model = make_model(preset)
    config = StageConfig(
        max_steps=total_steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        warmup_steps=min(10, total_steps),
        save_every=total_steps,
        log_every=10,
        show_progress=False,
        precision=precision,
        compile=compile,
    )
    clock = StepClock(model)
    with tempfile.TemporaryDirectory(prefix="bench-ours-") as directory:
        train_causal_lm(
            model, blocks, config, Path(directory), accelerator=make_accelerator(), description="ours"
        )
    clock.close()
    return clock


class _BlockDataset(torch.utils.data.Dataset):
    def __init__(self, blocks: torch.Tensor) -> None:
        self.blocks = blocks

    def __len__(self) -> int:
        return self.blocks.shape[0]

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        block = self.blocks[index]
        return {"input_ids": block, "labels": block}


def run_trainer(
    preset: str,
    blocks: torch.Tensor,
    batch_size: int,
    total_steps: int,
    learning_rate: float,
    precision: str = "fp32",
):
    from transformers import Trainer, TrainingArguments

    model = make_model(preset)
    clock = StepClock(model)
    with tempfile.TemporaryDirectory(prefix="bench-trainer-") as directory:
        arguments = TrainingArguments(
            output_dir=directory,
            per_device_train_batch_size=batch_size,
            max_steps=total_steps,
            learning_rate=learning_rate,
            weight_decay=0.01,
            adam_beta2=0.95,
            max_grad_norm=1.0,
            lr_scheduler_type="cosine",
            warmup_steps=min(10, total_steps),
            logging_steps=10,
            save_strategy="no",
            report_to="none",
            use_cpu=not torch.cuda.is_available(),
            bf16=precision == "bf16",
            disable_tqdm=True,
            dataloader_num_workers=0,
            seed=0,
        )
        trainer = Trainer(model=model, args=arguments, train_dataset=_BlockDataset(blocks))
        with contextlib.redirect_stdout(io.StringIO()):  # Trainer prints its log dicts
            trainer.train()
    clock.close()
    return clock


LOOPS = {
    "ours": ("ours (train_causal_lm, precision auto)", run_ours, "auto", {}),
    "ours-compiled": ("ours (precision auto, compiled)", run_ours, "auto", {"compile": "on"}),
    "ours-fp32": ("ours (train_causal_lm, fp32)", run_ours, "fp32", {}),
    "trainer": ("transformers.Trainer (default: fp32)", run_trainer, "fp32", {}),
    "trainer-bf16": ("transformers.Trainer (bf16=True)", run_trainer, "bf16", {}),
}
"""Each loop: its label, its runner, the precision it asks for, and other options of the runner."""


def _summary(run: dict, flops_tok: float, peak: float) -> dict:
    steps, seconds, tokens_per_second = run["timed_steps"], run["seconds"], run["tokens_per_second"]
    achieved = tokens_per_second * flops_tok
    return {
        "timed_steps": steps,
        "seconds": round(seconds, 4),
        "tokens_per_second": round(tokens_per_second, 2),
        "achieved_gflops": round(achieved / 1e9, 3),
        "mfu": round(achieved / peak, 4),
        "seconds_per_step": round(seconds / steps, 5),
        "precision": run["precision"],
    }


def _write_atomically(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(payload, file, indent=2)
            file.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _print_table(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    config = result["config"]
    table = Table(
        title=(
            f"train throughput: preset {config['preset']}, batch {config['batch_size']} x seq {config['seq_len']}, "
            f"{config['threads']} threads, matmul peak fp32 {result['peak_gflops']:.1f} / "
            f"bf16 {result['peak_gflops_bf16']:.1f} GFLOP/s (MFU against the peak of the loop's precision)"
        )
    )
    for column in ("loop", "ran in", "tokens/s", "GFLOP/s", "MFU", "s/step", "timed steps"):
        table.add_column(column, justify="left" if column == "loop" else "right")
    for key, (label, *_) in LOOPS.items():
        if key not in result:
            continue
        row = result[key]
        table.add_row(
            label,
            row["precision"],
            f"{row['tokens_per_second']:,.0f}",
            f"{row['achieved_gflops']:.1f}",
            f"{row['mfu']:.1%}",
            f"{row['seconds_per_step']:.3f}",
            str(row["timed_steps"]),
        )
    for key, label in (
        ("ratio_ours_over_trainer", "ratio ours / Trainer (defaults)"),
        ("ratio_ours_over_trainer_bf16", "ratio ours / Trainer (bf16=True)"),
        ("ratio_ours_fp32_over_trainer", "ratio ours fp32 / Trainer (defaults)"),
        ("ratio_ours_compiled_over_trainer", "ratio ours compiled / Trainer (defaults)"),
        ("ratio_ours_compiled_over_ours", "ratio ours compiled / ours"),
    ):
        if key in result:
            table.add_row(label, "", f"{result[key]:.2f}x", "", "", "", "", style="bold")
    Console().print(table)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--steps", type=int, default=30, help="timed optimizer steps per loop (after warm-up)"
    )
    parser.add_argument("--warmup", type=int, default=5, help="untimed warm-up steps per loop")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--preset", default="tiny", help="model preset: micro, tiny, small, base")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON result, written atomically")
    parser.add_argument("--quick", action="store_true", help="a few steps only (smoke test)")
    parser.add_argument(
        "--repeats", type=int, default=1, help="runs of each loop (alternating); the best is kept"
    )
    parser.add_argument(
        "--only",
        choices=tuple(LOOPS),
        help="run one loop in this process and write its summary to --out",
    )
    parser.add_argument(
        "--loops",
        default=",".join(LOOPS),
        help=f"comma-separated loops to compare (default: all of {', '.join(LOOPS)})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark, print the table, write the JSON; return the result."""
    args = parse_args(argv)
    if args.quick:
        args.steps, args.warmup = min(args.steps, 2), min(args.warmup, 1)
    if args.steps < 1:
        raise SystemExit("--steps must be at least 1")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    blocks = make_blocks(max(args.batch_size * 4, 64), args.seq_len)
    model_config = make_model(args.preset).config
    flops_tok, n_matmul = flops_per_token(model_config, args.seq_len)
    tokens_per_step = args.batch_size * args.seq_len
    total_steps = args.warmup + args.steps + 1  # the last step's start closes the timed window
    if args.only:
        from auditgame.train.precision import resolve_precision

        _, loop, precision, options = LOOPS[args.only]
        clock = loop(
            args.preset, blocks, args.batch_size, total_steps, args.learning_rate, precision, **options
        )
        steps, seconds = clock.window(args.warmup)
        summary = {
            "timed_steps": steps,
            "seconds": seconds,
            "tokens_per_second": steps * tokens_per_step / seconds,
            "precision": resolve_precision(precision),
        }
        _write_atomically(args.out, summary)
        return summary

    peak_rounds = {"size": 1024, "repeats": 4, "rounds": 2} if args.quick else {"repeats": 8, "rounds": 5}
    loops = [name.strip() for name in args.loops.split(",") if name.strip()]
    unknown = sorted(set(loops) - set(LOOPS))
    if unknown:
        raise SystemExit(f"unknown loops {unknown}; choose from {', '.join(LOOPS)}")
    peaks = [measure_peak_flops(**peak_rounds)]
    peaks_bf16 = [measure_peak_flops(**peak_rounds, dtype=torch.bfloat16)]
    runs: dict[str, list[dict]] = {name: [] for name in loops}
    with tempfile.TemporaryDirectory(prefix="bench-train-") as directory:
        for repeat in range(max(1, args.repeats)):
            for name in runs:
                out = Path(directory) / f"{name}-{repeat}.json"
                command = [sys.executable, str(Path(__file__).resolve()), "--only", name, "--out", str(out)]
                command += [
                    "--steps",
                    str(args.steps),
                    "--warmup",
                    str(args.warmup),
                    "--batch-size",
                    str(args.batch_size),
                ]
                command += [
                    "--seq-len",
                    str(args.seq_len),
                    "--preset",
                    args.preset,
                    "--threads",
                    str(args.threads),
                ]
                command += ["--learning-rate", str(args.learning_rate), "--loops", args.loops]
                completed = subprocess.run(command, capture_output=True, text=True)
                if completed.returncode:
                    raise RuntimeError(
                        f"the {name} loop failed:\n{completed.stdout[-2000:]}\n{completed.stderr[-4000:]}"
                    )
                runs[name].append(json.loads(out.read_text(encoding="utf-8")))
    peaks.append(measure_peak_flops(**peak_rounds))
    peaks_bf16.append(measure_peak_flops(**peak_rounds, dtype=torch.bfloat16))
    peak, peak_bf16 = max(peaks), max(peaks_bf16)

    result: dict = {
        "config": {
            "preset": args.preset,
            "batch_size": args.batch_size,
            "seq_len": args.seq_len,
            "timed_steps": args.steps,
            "warmup_steps": args.warmup,
            "repeats": max(1, args.repeats),
            "threads": args.threads,
            "weights": "float32 (bf16 loops autocast the forward pass)",
            "vocab_size": model_config.vocab_size,
            "quick": args.quick,
        },
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "python": sys.version.split()[0],
        },
        "flops_formula": "6 * N_matmul + 12 * n_layers * d_model * seq_len",
        "n_matmul_params": n_matmul,
        "flops_per_token": flops_tok,
        "peak_gflops": round(peak / 1e9, 3),
        "peak_gflops_before_after": [round(value / 1e9, 3) for value in peaks],
        "peak_gflops_bf16": round(peak_bf16 / 1e9, 3),
        "peak_gflops_bf16_before_after": [round(value / 1e9, 3) for value in peaks_bf16],
    }
    for name, summaries in runs.items():
        best = max(summaries, key=lambda summary: summary["tokens_per_second"])
        result[name] = _summary(best, flops_tok, peak_bf16 if best["precision"] == "bf16" else peak)
        result[name]["all_tokens_per_second"] = [
            round(summary["tokens_per_second"], 2) for summary in summaries
        ]
    for key, numerator, denominator in (
        ("ratio_ours_over_trainer", "ours", "trainer"),
        ("ratio_ours_over_trainer_bf16", "ours", "trainer-bf16"),
        ("ratio_ours_fp32_over_trainer", "ours-fp32", "trainer"),
        ("ratio_ours_compiled_over_trainer", "ours-compiled", "trainer"),
        ("ratio_ours_compiled_over_ours", "ours-compiled", "ours"),
    ):
        if numerator in result and denominator in result:
            result[key] = round(
                result[numerator]["tokens_per_second"] / result[denominator]["tokens_per_second"], 4
            )
    _write_atomically(args.out, result)
    _print_table(result)
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
