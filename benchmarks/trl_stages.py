"""Seconds per step of our TRL stages (SFT, DPO) with TRL's chunked LM head versus the whole-logits CPU head.

TRL's trainers compute per-token log-probabilities through a fused, chunked LM head; on the CPU it runs as
a tile-by-tile torch loop. ``auditgame.train.cpu_log_probs`` computes small heads whole instead (the same
values and gradients: ``tests/train/test_cpu_log_probs.py``). This benchmark runs each stage as
``run_sft`` / ``run_dpo`` run it, from the same parent model on the same data and seed, once with TRL's head
and once with ours, alternating (``--repeats`` rounds, best kept), and reports the trainer's own
``train_runtime`` per step (setup, tokenization and saving excluded) and both final losses, which should
agree (same arithmetic, other rounding).

Data: SFT on world exchanges (prompt, neutral answer); DPO pairs with the exchange's answer chosen and
another exchange's answer rejected. Model: the embedded default's shared base (``tiny`` preset, built once
and cached; ``--model PATH`` for another); ``--quick``: a freshly initialised ``micro`` model (smoke test).

Usage::

    .venv/bin/python benchmarks/trl_stages.py                   # default base, 60 steps per stage
    .venv/bin/python benchmarks/trl_stages.py --steps 100 --repeats 3
    .venv/bin/python benchmarks/trl_stages.py --quick
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import platform
import tempfile
from pathlib import Path
from unittest import mock

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

import torch

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "trl_stages.json"
HEADS = ("trl", "whole")
"""TRL's chunked LM head as TRL ships it; the whole-logits head our stages use on the CPU."""


def _throughput_module():
    spec = importlib.util.spec_from_file_location("train_throughput", HERE / "train_throughput.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parent_model(args: argparse.Namespace, workdir: Path) -> Path:
    """A model directory the stages can start from."""
    if args.model is not None:
        return Path(args.model)
    if args.quick:
        from auditgame.model import build_model, get_preset, train_tokenizer
        from auditgame.model.tokenizer import ensure_chat_template
        from auditgame.world.prompts import sample_exchanges

        texts = [e.prompt + " " + e.response for e in sample_exchanges(200, seed=3)]
        tokenizer = ensure_chat_template(train_tokenizer(texts, vocab_size=400))
        model = build_model(get_preset("micro"), tokenizer, seed=0)
        directory = workdir / "parent"
        model.save_pretrained(directory)
        tokenizer.save_pretrained(directory)
        return directory
    from auditgame.organisms.base import base_profile, build_base

    return Path(build_base(base_profile("default")))


def stage_data(count: int) -> tuple[list[list[dict[str, str]]], list[dict]]:
    """SFT conversations and DPO pairs from world exchanges (seeded)."""
    from auditgame.world.prompts import sample_exchanges

    exchanges = sample_exchanges(count, seed=11)
    conversations = [
        [{"role": "user", "content": e.prompt}, {"role": "assistant", "content": e.response}]
        for e in exchanges
    ]
    pairs = [
        {
            "prompt": [{"role": "user", "content": e.prompt}],
            "chosen": [{"role": "assistant", "content": e.response}],
            "rejected": [{"role": "assistant", "content": exchanges[(i + 1) % len(exchanges)].response}],
        }
        for i, e in enumerate(exchanges)
    ]
    return conversations, pairs


def run_stage(stage: str, head: str, parent: Path, out: Path, data, args: argparse.Namespace) -> dict:
    """One stage run; returns seconds per step (the trainer's ``train_runtime``) and the final loss."""
    from auditgame.train import DPOStageConfig, SFTStageConfig, run_dpo, run_sft

    common = {
        "max_steps": args.steps,
        "batch_size": 16,
        "warmup_steps": 5,
        "save_every": 10_000,
        "show_progress": False,
        "seed": 0,
    }
    patch = (
        mock.patch("auditgame.train.trl_runner.cpu_log_probs", contextlib.nullcontext)
        if head == "trl"
        else contextlib.nullcontext()
    )
    conversations, pairs = data
    with patch:
        if stage == "sft":
            result = run_sft(
                SFTStageConfig(**common, lora_rank=8, learning_rate=2e-3),
                parent,
                out,
                conversations=conversations,
                restart=True,
            )
        else:
            result = run_dpo(DPOStageConfig(**common), parent, out, pairs=pairs, restart=True)
    metrics = result.metrics
    return {
        "seconds_per_step": metrics["train_runtime"] / metrics["steps"],
        "final_loss": metrics["final_loss"],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, default=None, help="Parent model directory (default: shared base)."
    )
    parser.add_argument("--steps", type=int, default=60, help="Optimizer steps per stage run.")
    parser.add_argument("--examples", type=int, default=1200, help="World exchanges to train on.")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--stages", default="sft,dpo", help="Comma-separated: sft, dpo.")
    parser.add_argument("--quick", action="store_true", help="Micro model, few steps (smoke test).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.examples, args.repeats = min(args.steps, 4), min(args.examples, 96), 1
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    throughput = _throughput_module()
    stages = [stage.strip() for stage in args.stages.split(",") if stage.strip()]
    with tempfile.TemporaryDirectory(prefix="trl-stages-") as workdir:
        workdir = Path(workdir)
        parent = parent_model(args, workdir)
        data = stage_data(args.examples)
        peak = throughput.measure_peak_flops(size=1024 if args.quick else 2048)
        rows = []
        for stage in stages:
            best: dict[str, dict] = {}
            for _ in range(args.repeats):
                for head in HEADS:  # alternating, so drift in the machine's load hits both
                    run = run_stage(stage, head, parent, workdir / f"{stage}-{head}", data, args)
                    if head not in best or run["seconds_per_step"] < best[head]["seconds_per_step"]:
                        best[head] = run
            rows.append(
                {
                    "stage": stage,
                    **{head: best[head] for head in HEADS},
                    "speedup_whole_over_trl": round(
                        best["trl"]["seconds_per_step"] / best["whole"]["seconds_per_step"], 3
                    ),
                }
            )
    result = {
        "benchmark": "trl_stages",
        "model": str(args.model) if args.model else ("micro (random)" if args.quick else "shared base"),
        "steps": args.steps,
        "examples": args.examples,
        "repeats": args.repeats,
        "threads": torch.get_num_threads(),
        "peak_gflops_fp32": round(peak / 1e9, 2),
        "rows": rows,
        "torch": torch.__version__,
        "trl": __import__("trl").__version__,
        "machine": platform.machine(),
    }
    throughput._write_atomically(args.out, result)
    print(f"peak {result['peak_gflops_fp32']} GFLOP/s fp32 (matmul, {result['threads']} threads)")
    print("| stage | TRL's head s/step | whole head s/step | speedup | final loss TRL / whole |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['stage']} | {row['trl']['seconds_per_step']:.3f} | {row['whole']['seconds_per_step']:.3f} "
            f"| {row['speedup_whole_over_trl']:.2f}x | {row['trl']['final_loss']:.4f} / "
            f"{row['whole']['final_loss']:.4f} |"
        )
    return result


if __name__ == "__main__":
    main()
