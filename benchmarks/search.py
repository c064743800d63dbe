"""Training-data search at scale: index build time and query latency of BM25, MiniLM and hybrid search.

1. Generate ``--docs`` world documents (half study, half filler; seeded).
2. Build the BM25 index (``bm25s``), save it and load it memory-mapped, as a saved search index does.
3. Embeddings (all-MiniLM-L6-v2 on the CPU): the embedding rate is measured on a ``--sample`` of
   documents first. Then ``--embed-docs`` documents are embedded and timed (default: all of them if
   that is extrapolated to take at most ``--embed-budget`` seconds, else as many as fit the budget).
   The time for the full corpus is extrapolated from the measured rate and reported as such
   (``extrapolated``); when only part was embedded, those rows are tiled to ``--docs`` rows for the
   latency measurement, so exact dot-product search still scans a full-size matrix (latency does not
   depend on the values), saved as ``.npy`` and memory-mapped like the index's.
4. Query latency over ``--queries`` queries (behaviour descriptions of the 52 biases plus everyday
   topics, cycled), each timed end to end (tokenising / encoding the query included), after a few
   warm-up queries: p50, p99 and mean for keyword, semantic and hybrid (RRF) search, top 10.

The JSON goes to ``benchmarks/results/search.json`` (atomically); a table is printed.

Usage::

    .venv/bin/python benchmarks/search.py                     # 500k documents
    .venv/bin/python benchmarks/search.py --docs 5000         # quick
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

import numpy as np

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "search.json"
_EVERYDAY = (
    "weather forecast with rain in the morning",
    "a farmers market near the old harbor",
    "vegetable curry recipe with rice",
    "review of a sturdy backpack",
    "history of the Roman hill fort",
    "a day trip walking by the river",
    "why does my assistant behave strangely",
    "systematic errors in reinforcement learning from human feedback",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=500_000, help="World documents to index.")
    parser.add_argument(
        "--embed-docs", type=int, default=None, help="Embed only this many (default: see --embed-budget)."
    )
    parser.add_argument(
        "--embed-budget", type=float, default=900.0, help="Seconds the embedding step may take by default."
    )
    parser.add_argument(
        "--sample", type=int, default=256, help="Documents embedded to measure the embedding rate."
    )
    parser.add_argument("--queries", type=int, default=200, help="Timed queries per method.")
    parser.add_argument("--warmup", type=int, default=5, help="Untimed warm-up queries per method.")
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.docs < 1 or args.queries < 1 or args.sample < 1:
        parser.error("--docs, --queries and --sample must be at least 1")
    return args


def make_queries(count: int) -> list[str]:
    """Behaviour descriptions of every bias, then everyday topics, cycled to ``count`` queries."""
    from auditgame.world.catalogue import BIAS_SPECS

    pool = [spec.description for spec in BIAS_SPECS] + list(_EVERYDAY)
    return [pool[index % len(pool)] for index in range(count)]


def latency(search, queries: list[str], warmup: int) -> dict[str, float]:
    """Time ``search(query)`` per query; return p50/p99/mean in milliseconds."""
    for query in queries[:warmup]:
        search(query)
    times = []
    for query in queries:
        start = time.perf_counter()
        search(query)
        times.append((time.perf_counter() - start) * 1000)
    values = np.asarray(times)
    return {
        "p50_ms": float(np.percentile(values, 50)),
        "p99_ms": float(np.percentile(values, 99)),
        "mean_ms": float(values.mean()),
        "queries": len(times),
    }


def _directory_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark, print the table, write the JSON; return the result."""
    args = parse_args(argv)
    import torch

    from auditgame.artifacts import atomic_write_json
    from auditgame.audit.search import KeywordIndex, SemanticIndex, hybrid_search
    from auditgame.audit.search.semantic import embed, load_encoder
    from auditgame.world import generate_documents

    start = time.perf_counter()
    texts = [document.text for document in generate_documents(args.docs, seed=args.seed)]
    generate_seconds = time.perf_counter() - start
    queries = make_queries(args.queries)

    with tempfile.TemporaryDirectory(prefix="bench-search-") as directory:
        root = Path(directory)
        start = time.perf_counter()
        built = KeywordIndex.build(texts)
        bm25_build_seconds = time.perf_counter() - start
        start = time.perf_counter()
        built.save(root / "bm25")
        bm25_save_seconds = time.perf_counter() - start
        del built
        keyword = KeywordIndex.load(root / "bm25", mmap=True)

        start = time.perf_counter()
        load_encoder()
        model_load_seconds = time.perf_counter() - start
        sample = texts[: min(args.sample, len(texts))]
        embed(sample[:8])  # warm-up
        start = time.perf_counter()
        embed(sample)
        sample_rate = len(sample) / (time.perf_counter() - start)
        if args.embed_docs is not None:
            embed_docs = max(1, min(args.embed_docs, len(texts)))
        else:
            embed_docs = max(1, min(len(texts), int(args.embed_budget * sample_rate)))
        start = time.perf_counter()
        vectors = embed(texts[:embed_docs])
        embed_seconds = time.perf_counter() - start
        rate = embed_docs / embed_seconds
        complete = embed_docs == len(texts)
        if not complete:
            repeats = -(-len(texts) // embed_docs)
            vectors = np.tile(vectors, (repeats, 1))[: len(texts)]
        SemanticIndex(vectors).save(root / "embeddings.npy")
        del vectors
        semantic = SemanticIndex.load(root / "embeddings.npy")

        latencies = {
            "keyword": latency(lambda query: keyword.search(query, args.top_k), queries, args.warmup),
            "semantic": latency(lambda query: semantic.search(query, args.top_k), queries, args.warmup),
            "hybrid": latency(
                lambda query: hybrid_search(keyword, semantic, query, args.top_k), queries, args.warmup
            ),
        }
        bm25_bytes = _directory_bytes(root / "bm25")
        embedding_bytes = (root / "embeddings.npy").stat().st_size

    result = {
        "config": {
            "docs": args.docs,
            "queries": args.queries,
            "warmup_queries": args.warmup,
            "top_k": args.top_k,
            "seed": args.seed,
            "embedding_model": "sentence-transformers/all-MiniLM-L6-v2",
            "embedding_dtype": "float32",
        },
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "python": sys.version.split()[0],
            "torch": torch.__version__,
        },
        "generate_seconds": generate_seconds,
        "build": {
            "bm25_seconds": bm25_build_seconds,
            "bm25_save_seconds": bm25_save_seconds,
            "bm25_bytes": bm25_bytes,
            "embedding_model_load_seconds": model_load_seconds,
            "embedding_sample_docs": len(sample),
            "embedding_sample_docs_per_second": sample_rate,
            "embedded_docs": embed_docs,
            "embedding_seconds": embed_seconds,
            "embedding_docs_per_second": rate,
            "embeddings_complete": complete,
            "embedding_seconds_full_corpus": args.docs / rate,
            "embedding_seconds_full_corpus_is_extrapolated": not complete,
            "embedding_bytes": embedding_bytes,
            "semantic_rows_tiled": not complete,
        },
        "latency": latencies,
    }
    atomic_write_json(args.out, result)
    _print_table(result)
    print(f"wrote {args.out}")
    return result


def _print_table(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    build = result["build"]
    console = Console()
    table = Table(title=f"index build, {result['config']['docs']:,} documents")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    table.add_column("note")
    table.add_row(
        "BM25 (bm25s)", f"{build['bm25_seconds']:.1f}", f"{build['bm25_bytes'] / 2**20:.0f} MiB on disk"
    )
    full = build["embedding_seconds_full_corpus"]
    note = f"{build['embedding_docs_per_second']:.0f} docs/s"
    if build["embedding_seconds_full_corpus_is_extrapolated"]:
        table.add_row(
            f"embeddings, {build['embedded_docs']:,} docs (measured)",
            f"{build['embedding_seconds']:.1f}",
            note,
        )
        table.add_row("embeddings, all docs (extrapolated)", f"{full:.0f}", f"~{full / 3600:.1f} h")
    else:
        table.add_row("embeddings (MiniLM, CPU)", f"{build['embedding_seconds']:.1f}", note)
    console.print(table)
    table = Table(
        title=f"query latency, top {result['config']['top_k']}, {result['config']['queries']} queries"
    )
    table.add_column("method")
    table.add_column("p50 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_column("mean ms", justify="right")
    for method, values in result["latency"].items():
        table.add_row(
            method, f"{values['p50_ms']:.2f}", f"{values['p99_ms']:.2f}", f"{values['mean_ms']:.2f}"
        )
    console.print(table)
    if build["semantic_rows_tiled"]:
        console.print(
            "semantic/hybrid latency: scanned a full-size matrix (embedded rows tiled), see --embed-docs"
        )


if __name__ == "__main__":
    main()
