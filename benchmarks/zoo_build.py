"""Zoo build time: the shared base once, then every built-in organism and decoy from it.

Builds (or resumes) the zoo in ``--out`` and reports the base's build time (0 when it was found in
the cache by its config hash), each organism's wall time (training + evals), and the totals against
the targets (after the base: the zoo in <= 30 minutes, each organism in <= 2 minutes, on 2 cores).
Organisms already built in ``--out`` keep the time recorded when they were built.

The JSON goes to ``benchmarks/results/zoo_build.json`` (atomically); a table is printed.

Usage::

    .venv/bin/python benchmarks/zoo_build.py --out runs/zoo            # the default zoo
    .venv/bin/python benchmarks/zoo_build.py --out runs/zq --profile quick
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TARGET_ZOO_SECONDS = 30 * 60
TARGET_ORGANISM_SECONDS = 2 * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/zoo"))
    parser.add_argument("--profile", default="default")
    parser.add_argument("--only", default="", help="Comma-separated organism names (default: the whole zoo).")
    parser.add_argument("--results", type=Path, default=Path("benchmarks/results/zoo_build.json"))
    arguments = parser.parse_args()

    import torch

    from auditgame.artifacts import atomic_write_text
    from auditgame.organisms.base import base_directory, build_base
    from auditgame.organisms.registry import get_organism
    from auditgame.organisms.zoo import build_zoo, default_zoo, render_zoo_table

    names = [name for name in arguments.only.split(",") if name] or default_zoo()
    plan = get_organism(names[0]).profile(arguments.profile)
    cached = (base_directory(plan.base) / "manifest.json").is_file()
    begin = time.perf_counter()
    build_base(plan.base, log=print)
    base_seconds = 0.0 if cached else time.perf_counter() - begin
    begin = time.perf_counter()
    rows = build_zoo(arguments.out, arguments.profile, names=names, show_progress=False)
    zoo_seconds = time.perf_counter() - begin
    per_organism = {row.organism: row.build_seconds for row in rows}
    known = [seconds for seconds in per_organism.values() if seconds is not None]
    result = {
        "profile": arguments.profile,
        "organisms": len(rows),
        "base_seconds": round(base_seconds, 1),
        "base_cached": cached,
        "zoo_seconds_this_run": round(zoo_seconds, 1),
        "zoo_seconds_recorded": round(sum(known), 1),
        "per_organism_seconds": per_organism,
        "max_organism_seconds": max(known) if known else None,
        "targets": {"zoo_seconds": TARGET_ZOO_SECONDS, "organism_seconds": TARGET_ORGANISM_SECONDS},
        "meets_zoo_target": sum(known) <= TARGET_ZOO_SECONDS,
        "organisms_over_target": sorted(
            k for k, v in per_organism.items() if v and v > TARGET_ORGANISM_SECONDS
        ),
        "took": sum(row.took for row in rows),
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(),
        },
    }
    atomic_write_text(arguments.results, json.dumps(result, indent=2) + "\n")
    print(render_zoo_table(rows))
    print(json.dumps({k: v for k, v in result.items() if k != "per_organism_seconds"}, indent=2))


if __name__ == "__main__":
    main()
