"""SAE training throughput (activation vectors/s): our trainer versus sparsify's own ``Trainer``.

All contenders train a TopK SAE of the same size (``--d-in`` 256, ``--latents`` 2048, ``--k`` 32) with
Adam on the same activation vectors (``--batch-size`` 4096 per step), in fp32 on the CPU, from the same
initial weights (sparsify's ``SparseCoder`` init under seed 0):

(a) ``ours``: :class:`auditgame.audit.sae.SaeTrainer` -- our loop around sparsify's ``SparseCoder``
    (FVU + AuxK, gradient projection, Adam, decoder renormalisation, firing statistics);
(b) ``sparsify``: ``sparsify.Trainer.fit`` itself, with ``optimizer="adam"``, ``loss_fn="fvu"`` and the
    same AuxK weight. Its trainer collects activations by hooking a model's forward pass, so it gets
    a stand-in "model" whose only layer looks the vectors up in the same activation bank (token ids
    are row indices); that lookup costs next to nothing;
(c) ``plain_torch``: a plain-torch TopK SAE (dense encoder, ``topk``, gather-based decoder, Adam,
    unit-norm decoder rows) as a reference point.

The activations are synthetic but SAE-shaped: each vector is a sparse (k-sparse) non-negative
combination of random unit directions plus Gaussian noise. Content barely affects throughput.

Timing: a timestamp at the start of every step; the first ``--warmup`` steps are excluded and the
window runs from the start of step ``warmup`` to the start of step ``warmup + steps``, so it spans
exactly ``steps`` whole steps. The contenders alternate for ``--repeats`` rounds in this process (same
thread count, ``--threads``), and each one's best round is reported.

Usage::

    .venv/bin/python benchmarks/sae.py                 # d_in 256, 2048 latents, k 32, batch 4096
    .venv/bin/python benchmarks/sae.py --quick         # smoke run (seconds)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch
from torch import nn

from auditgame.artifacts import atomic_write_json
from auditgame.audit.sae import SaeTrainConfig, SaeTrainer, new_sae

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "sae.json"
SEQ_LEN = 64
"""Vectors per 'sequence' in the bank fed to sparsify's trainer (its batch size counts sequences)."""


def synthetic_activations(count: int, d_in: int, latents: int, k: int, seed: int = 0) -> torch.Tensor:
    """``count`` vectors, each a k-sparse non-negative mix of ``latents`` random unit directions, plus noise."""
    generator = torch.Generator().manual_seed(seed)
    dictionary = torch.randn(latents, d_in, generator=generator)
    dictionary /= dictionary.norm(dim=1, keepdim=True)
    indices = torch.randint(0, latents, (count, k), generator=generator)
    weights = torch.rand(count, k, generator=generator) * 2
    vectors = nn.functional.embedding_bag(indices, dictionary, per_sample_weights=weights, mode="sum")
    return vectors + 0.05 * torch.randn(count, d_in, generator=generator)


def window(stamps: list[float], warmup: int, steps: int) -> float:
    """Seconds from the start of step ``warmup`` to the start of step ``warmup + steps``."""
    return stamps[warmup + steps] - stamps[warmup]


def run_ours(bank: torch.Tensor, args: argparse.Namespace) -> tuple[float, float]:
    """Our trainer; returns (seconds for the timed steps, final FVU)."""
    config = SaeTrainConfig(
        d_sae=args.latents,
        k=args.k,
        lr=args.lr,
        warmup_steps=0,
        auxk_alpha=args.auxk_alpha,
        dead_after_tokens=10_000_000,
        seed=0,
    )
    trainer = SaeTrainer(new_sae(bank.shape[1], config, layer="layer.0"), config)
    stamps, fvu = [], math.nan
    for step in range(args.warmup + args.steps + 1):
        stamps.append(time.perf_counter())
        fvu = trainer.step(bank[step * args.batch_size : (step + 1) * args.batch_size]).fvu
    return window(stamps, args.warmup, args.steps), fvu


def run_sparsify(bank: torch.Tensor, args: argparse.Namespace) -> tuple[float, float]:
    """sparsify's ``Trainer.fit`` on a stand-in model that looks vectors up in ``bank``."""
    from datasets import Dataset
    from transformers import PretrainedConfig, PreTrainedModel

    with contextlib.redirect_stdout(io.StringIO()):
        from sparsify import SaeConfig, TrainConfig, Trainer

    class BankConfig(PretrainedConfig):
        model_type = "activation-bank"

        def __init__(self, **kwargs: object) -> None:
            super().__init__(**kwargs)
            self.num_hidden_layers = 1

    class Lookup(nn.Module):
        def __init__(self, vectors: torch.Tensor) -> None:
            super().__init__()
            self.vectors = vectors

        def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
            return self.vectors[input_ids]

    class BankModel(PreTrainedModel):
        config_class = BankConfig

        def __init__(self, config: BankConfig, vectors: torch.Tensor) -> None:
            super().__init__(config)
            self.layers = nn.ModuleList([Lookup(vectors)])
            self.anchor = nn.Parameter(torch.zeros(1))  # sparsify reads model.device from a parameter

        def forward(self, input_ids: torch.Tensor | None = None, **_: object) -> torch.Tensor:
            return self.layers[0](input_ids)

    total_steps = args.warmup + args.steps + 1
    rows = torch.arange(total_steps * args.batch_size).reshape(-1, SEQ_LEN)
    dataset = Dataset.from_dict({"input_ids": rows.tolist()}).with_format("torch")
    model = BankModel(BankConfig(), bank)
    precision = torch.get_float32_matmul_precision()
    stamps: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        config = TrainConfig(
            SaeConfig(num_latents=args.latents, k=args.k),
            batch_size=args.batch_size // SEQ_LEN,
            optimizer="adam",
            lr=args.lr,
            lr_warmup_steps=0,
            auxk_alpha=args.auxk_alpha,
            loss_fn="fvu",
            layers=[0],
            init_seeds=[0],
            log_to_wandb=False,
            save_every=10**9,
            save_dir=scratch,
        )
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            trainer = Trainer(config, dataset, model)
            model.layers[0].register_forward_pre_hook(lambda *_: stamps.append(time.perf_counter()))
            try:
                trainer.fit()
            finally:
                torch.set_float32_matmul_precision(precision)
    sae = next(iter(trainer.saes.values()))
    with torch.no_grad():
        last = bank[(total_steps - 1) * args.batch_size : total_steps * args.batch_size]
        fvu = float(sae(last).fvu)
    return window(stamps, args.warmup, args.steps), fvu


def run_plain_torch(bank: torch.Tensor, args: argparse.Namespace) -> tuple[float, float]:
    """A plain-torch TopK SAE with a gather-based decoder."""
    d_in = bank.shape[1]
    generator = torch.Generator().manual_seed(0)
    w_enc = nn.Parameter(torch.randn(args.latents, d_in, generator=generator) / math.sqrt(d_in))
    w_dec = nn.Parameter(w_enc.detach().clone() / w_enc.detach().norm(dim=1, keepdim=True))
    b_enc = nn.Parameter(torch.zeros(args.latents))
    b_dec = nn.Parameter(bank[: args.batch_size].mean(0).clone())
    optimizer = torch.optim.Adam([w_enc, w_dec, b_enc, b_dec], lr=args.lr)
    stamps, fvu = [], math.nan
    for step in range(args.warmup + args.steps + 1):
        stamps.append(time.perf_counter())
        x = bank[step * args.batch_size : (step + 1) * args.batch_size]
        pre = torch.relu((x - b_dec) @ w_enc.T + b_enc)
        values, indices = pre.topk(args.k, dim=-1, sorted=False)
        reconstruction = (w_dec[indices] * values[..., None]).sum(1) + b_dec
        loss = (reconstruction - x).pow(2).sum() / (x - x.mean(0)).pow(2).sum()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        with torch.no_grad():
            w_dec /= w_dec.norm(dim=1, keepdim=True)
        fvu = loss.item()
    return window(stamps, args.warmup, args.steps), fvu


CONTENDERS: dict[str, Callable[[torch.Tensor, argparse.Namespace], tuple[float, float]]] = {
    "ours": run_ours,
    "sparsify": run_sparsify,
    "plain_torch": run_plain_torch,
}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d-in", type=int, default=256)
    parser.add_argument("--latents", type=int, default=2048)
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=4096, help="vectors per step (a multiple of 64)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--auxk-alpha", type=float, default=1 / 32)
    parser.add_argument("--repeats", type=int, default=2, help="alternating rounds; best kept")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--contenders", default=",".join(CONTENDERS), help="comma-separated subset")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.d_in, args.latents, args.k, args.batch_size, args.steps, args.warmup, args.repeats = (
            64, 256, 8, 256, 3, 1, 1,
        )  # fmt: skip
    if args.batch_size % SEQ_LEN:
        parser.error(f"--batch-size must be a multiple of {SEQ_LEN}")
    names = [name.strip() for name in args.contenders.split(",") if name.strip()]
    unknown = sorted(set(names) - set(CONTENDERS))
    if unknown:
        parser.error(f"unknown contenders {unknown}; choose from {sorted(CONTENDERS)}")
    torch.set_num_threads(args.threads)
    count = (args.warmup + args.steps + 1) * args.batch_size
    bank = synthetic_activations(count, args.d_in, args.latents, args.k)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for round_number in range(args.repeats):
        for name in names:
            seconds, fvu = CONTENDERS[name](bank, args)
            rate = args.steps * args.batch_size / seconds
            runs[name].append({"seconds": seconds, "vectors_per_s": rate, "final_fvu": fvu})
            print(
                f"round {round_number + 1}: {name:12s} {rate:10.0f} vectors/s  fvu {fvu:.3f}", file=sys.stderr
            )
    results = {
        name: {**max(trials, key=lambda trial: trial["vectors_per_s"]), "runs": trials}
        for name, trials in runs.items()
    }
    report: dict[str, object] = {
        "benchmark": "sae_training_throughput",
        "unit": "activation vectors per second (best round)",
        "settings": {
            key: getattr(args, key)
            for key in (
                "d_in",
                "latents",
                "k",
                "batch_size",
                "steps",
                "warmup",
                "lr",
                "auxk_alpha",
                "repeats",
            )
        }
        | {"threads": torch.get_num_threads(), "quick": args.quick},
        "results": results,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        "created_unix": time.time(),
    }
    if "ours" in results and "sparsify" in results:
        report["ours_over_sparsify"] = results["ours"]["vectors_per_s"] / results["sparsify"]["vectors_per_s"]
    atomic_write_json(args.out, report)
    print(f"wrote {args.out}", file=sys.stderr)
    return report


if __name__ == "__main__":
    main()
