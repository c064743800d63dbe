"""Generation throughput of our decoding loop versus plain ``model.generate``, in one run.

Three engines sample the same prompts from the same model with the same settings and seeds, through
``auditgame.model.generation.generate``: plain ``model.generate`` (``engine="hf"``), our decoding loop
drawing exactly its samples (``engine="auditgame", compact=False``; token-for-token identical, see
``tests/model/test_generation_engine.py``, and checked here on the texts), and our loop as used by default
(``compact=True``: rows that reached EOS leave the batch, so later steps cost only the rows still running;
seeded, but other draws). Batching, left padding and decoding of the text are shared, so the comparison is
the decoding loop alone.

The model is the embedded default: the shared pretrained base (``tiny`` preset, built once and cached;
``--model PATH`` for another), prompted with chat-formatted world prompts from every domain
(``--quick``: a freshly initialised ``micro`` model and a few prompts, for the smoke test).

Timing: the engines alternate, ``--repeats`` rounds, best round kept per engine; throughput is new tokens
(up to and including EOS) per second of wall clock over the whole ``generate`` call. MFU counts
``2 * N_matmul`` FLOPs per new token (the forward matmuls; attention over the context and the prompt's
prefill are left out, so MFU is a lower bound) against the machine's fp32 matmul peak measured in the
same run (the sgemm loop of ``train_throughput.py``).

Usage::

    .venv/bin/python benchmarks/generation.py                       # default base, 128 prompts, batch 64
    .venv/bin/python benchmarks/generation.py --batch-sizes 16,32,64 --max-new-tokens 96
    .venv/bin/python benchmarks/generation.py --quick
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

import torch

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "generation.json"
ENGINES = ("hf", "exact", "auditgame")
"""Plain ``model.generate``; our loop drawing exactly its samples; our loop dropping finished rows (the default)."""


def _throughput_module():
    spec = importlib.util.spec_from_file_location("train_throughput", HERE / "train_throughput.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(args: argparse.Namespace):
    """The model, its tokenizer and the prompts."""
    from auditgame.model.tokenizer import ensure_chat_template
    from auditgame.world.prompts import sample_exchanges

    prompts = [exchange.prompt for exchange in sample_exchanges(args.prompts, seed=7)]
    if args.quick:
        from auditgame.model import build_model, get_preset, train_tokenizer

        tokenizer = ensure_chat_template(train_tokenizer(prompts * 4, vocab_size=400))
        return build_model(get_preset("micro"), tokenizer, seed=0), tokenizer, prompts
    from auditgame.model.loading import load_model, load_tokenizer

    if args.model is None:
        from auditgame.organisms.base import base_profile, build_base

        args.model = build_base(base_profile("default"))
    return load_model(args.model), ensure_chat_template(load_tokenizer(args.model)), prompts


def new_tokens(tokenizer, texts: list[str], max_new_tokens: int) -> int:
    """Tokens generated: each answer's tokens plus its EOS (capped at ``max_new_tokens``)."""
    total = 0
    for text in texts:
        count = len(tokenizer(text, add_special_tokens=False)["input_ids"])
        total += min(max_new_tokens, count + 1)
    return total


def run(model, tokenizer, prompts: list[str], engine: str, batch_size: int, args) -> dict:
    """One timed ``generate`` call."""
    from auditgame.model.generation import GenerationConfig, generate

    config = GenerationConfig(
        max_new_tokens=args.max_new_tokens, temperature=args.temperature, batch_size=batch_size, seed=1
    )
    options = (
        {"engine": "hf"} if engine == "hf" else {"engine": "auditgame", "compact": engine == "auditgame"}
    )
    start = time.perf_counter()
    texts = generate(model, tokenizer, prompts, config=config, **options)
    seconds = time.perf_counter() - start
    tokens = new_tokens(tokenizer, texts, args.max_new_tokens)
    return {"seconds": seconds, "new_tokens": tokens, "tokens_per_second": tokens / seconds, "texts": texts}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, default=None, help="A model directory (default: the shared base)."
    )
    parser.add_argument("--prompts", type=int, default=128)
    parser.add_argument("--batch-sizes", default="64", help="Comma-separated batch sizes.")
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="Micro model, few prompts (smoke test).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.quick:
        args.prompts, args.max_new_tokens, args.repeats = (
            min(args.prompts, 12),
            min(args.max_new_tokens, 16),
            1,
        )
        args.batch_sizes = "4"
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    throughput = _throughput_module()
    torch.manual_seed(0)
    model, tokenizer, prompts = load(args)
    model.eval()
    _, n_matmul = throughput.flops_per_token(model.config, 1)
    flops_per_new_token = 2 * n_matmul
    size = 1024 if args.quick else 2048
    peak = throughput.measure_peak_flops(size=size)
    rows = []
    for batch_size in [int(value) for value in args.batch_sizes.split(",")]:
        best: dict[str, dict] = {}
        for _ in range(args.repeats):
            for engine in ENGINES:  # alternating, so drift in the machine's load hits both
                result = run(model, tokenizer, prompts, engine, batch_size, args)
                if engine not in best or result["tokens_per_second"] > best[engine]["tokens_per_second"]:
                    best[engine] = result
        same = best["hf"]["texts"] == best["exact"]["texts"]
        row = {"batch_size": batch_size, "same_texts": same}
        for engine in ENGINES:
            result = best[engine]
            achieved = result["tokens_per_second"] * flops_per_new_token
            row[engine] = {
                "seconds": round(result["seconds"], 3),
                "new_tokens": result["new_tokens"],
                "tokens_per_second": round(result["tokens_per_second"], 1),
                "mfu": achieved / peak,
            }
        for engine in ("exact", "auditgame"):
            row[f"ratio_{engine}_over_hf"] = round(
                row[engine]["tokens_per_second"] / row["hf"]["tokens_per_second"], 3
            )
        rows.append(row)
    peak_after = throughput.measure_peak_flops(size=size)
    result = {
        "benchmark": "generation",
        "model": str(args.model) if args.model else "micro (random)",
        "prompts": len(prompts),
        "max_new_tokens": args.max_new_tokens,
        "temperature": args.temperature,
        "repeats": args.repeats,
        "threads": torch.get_num_threads(),
        "peak_gflops": round(max(peak, peak_after) / 1e9, 2),
        "peak_gflops_before_after": [round(peak / 1e9, 2), round(peak_after / 1e9, 2)],
        "flops_per_new_token": flops_per_new_token,
        "rows": rows,
        "torch": torch.__version__,
        "machine": platform.machine(),
        "processor": platform.processor(),
    }
    throughput._write_atomically(args.out, result)
    print(f"peak {result['peak_gflops']} GFLOP/s fp32 (matmul, {result['threads']} threads)")
    print(
        "| batch | plain generate tok/s | ours, exact tok/s | ours tok/s | exact / plain | ours / plain "
        "| MFU plain | MFU ours | exact = plain texts |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['batch_size']} | {row['hf']['tokens_per_second']:.0f} | {row['exact']['tokens_per_second']:.0f} "
            f"| {row['auditgame']['tokens_per_second']:.0f} | {row['ratio_exact_over_hf']:.2f}x "
            f"| {row['ratio_auditgame_over_hf']:.2f}x | {row['hf']['mfu']:.1%} | {row['auditgame']['mfu']:.1%} "
            f"| {'yes' if row['same_texts'] else 'NO'} |"
        )
    return result


if __name__ == "__main__":
    main()
