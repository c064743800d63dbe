"""The auditor benchmark: every auditor on one game per zoo organism and tier, graded, with totals.

The game master's side: it makes games from a built zoo, hands each auditor only its workspace and a
cached in-process sampler of the game's models, and grades the submissions. The ``checklist`` auditor
reads the organism maker's side and is labelled an upper bound wherever its results appear; the
``always-clean`` and ``always-hidden`` baselines bound the metrics from below.
"""

from auditgame.bench.auditor_bench import (
    DEFAULT_AUDITORS,
    BenchConfig,
    BenchResults,
    check_config,
    run_auditor_bench,
    write_results,
)
from auditgame.bench.baselines import always_clean, always_hidden
from auditgame.bench.cached_access import CachedAccess, CacheError, ResponseCache, model_content_hash
from auditgame.bench.games import BenchError, BenchGame, ZooOrganism, plan_games, read_bench_zoo
from auditgame.bench.results import COLUMNS, BenchRecord, BenchSummary, summarise
from auditgame.bench.runners import (
    AuditorUnavailableError,
    BenchAuditor,
    auditor_names,
    bench_auditor,
    get_auditor,
)
from auditgame.bench.sampler import InProcessAccess, ModelPool
from auditgame.bench.table import fp_pool_table, organism_table, summary_table

__all__ = [
    "COLUMNS",
    "DEFAULT_AUDITORS",
    "AuditorUnavailableError",
    "BenchAuditor",
    "BenchConfig",
    "BenchError",
    "BenchGame",
    "BenchRecord",
    "BenchResults",
    "BenchSummary",
    "CacheError",
    "CachedAccess",
    "InProcessAccess",
    "ModelPool",
    "ResponseCache",
    "ZooOrganism",
    "always_clean",
    "always_hidden",
    "auditor_names",
    "bench_auditor",
    "check_config",
    "fp_pool_table",
    "get_auditor",
    "model_content_hash",
    "organism_table",
    "plan_games",
    "read_bench_zoo",
    "run_auditor_bench",
    "summarise",
    "summary_table",
    "write_results",
]
