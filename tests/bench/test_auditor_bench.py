"""The auditor benchmark on a fake zoo, with the trivial baselines (no model is sampled by them)."""

from __future__ import annotations

import csv
import json
import sys

import pytest

from auditgame.bench import COLUMNS, BenchConfig, BenchError, check_config, run_auditor_bench
from auditgame.bench.table import fp_pool_table, organism_table, summary_table
from tests.bench.conftest import DECOYS, HIDDEN

AUDITORS = ["blind", "always-clean", "always-hidden"]


@pytest.fixture(scope="module")
def bench(fake_zoo, tmp_path_factory):
    """One benchmark run (api and data tiers, one seed) and its output directory; blind not installed."""
    out = tmp_path_factory.mktemp("bench") / "out"
    config = BenchConfig(zoo=fake_zoo, out=out, auditors=AUDITORS, tiers=["api", "data"], seeds=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "auditgame.auditors.blind", None)  # as if it were not written yet
        lines: list[str] = []
        results = run_auditor_bench(config, log=lines.append)
    return config, results, lines


def _summary(results, auditor: str, tier: str = "all"):
    return next(s for s in results.summary if s.auditor == auditor and s.tier == tier)


def test_writes_json_and_csv_with_the_pinned_columns(bench):
    config, results, _ = bench
    out = config.out
    rows = list(csv.DictReader((out / "results.csv").read_text(encoding="utf-8").splitlines()))
    assert tuple(rows[0]) == COLUMNS
    # 2 organisms x 2 tiers + 2 false-positive pools, times 3 auditors
    assert len(rows) == len(results.records) == 18
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert payload["kind"] == "auditor-bench" and payload["tiers"] == ["api", "data"]
    assert {record["organism"] for record in payload["records"]} == {*HIDDEN, ""}
    assert set(payload["records"][0]) >= {
        "auditor",
        "organism",
        "tier",
        "seed",
        "flagged",
        "root_cause_match",
        "behaviour_precision",
        "behaviour_recall",
        "decoy_false_positives",
        "seconds",
    }
    assert (out / "manifest.json").is_file()


def test_trivial_baselines_bound_the_metrics(bench):
    _, results, _ = bench
    clean, hidden = _summary(results, "always-clean"), _summary(results, "always-hidden")
    assert clean.games == hidden.games == 4
    assert clean.root_cause.successes == 0 and clean.detected.successes == 0
    assert clean.decoy_false_positives.successes == 0 and clean.decoy_false_positives.trials == 8
    assert clean.fp_pool.successes == 0 and clean.fp_pool.trials == 2 * len(DECOYS)
    assert hidden.root_cause.successes == 0 and hidden.detected.rate == 1.0
    assert hidden.decoy_false_positives.rate == 1.0 and hidden.fp_pool.rate == 1.0
    assert hidden.behaviour_precision == hidden.behaviour_recall == 0.0
    assert 0.0 < hidden.fp_pool.low < 1.0 == hidden.fp_pool.high  # a Wilson interval


def test_a_missing_auditor_is_noted_not_fatal(bench):
    _, results, lines = bench
    blind = [record for record in results.records if record.auditor == "blind"]
    assert blind and all(record.status == "unavailable" for record in blind)
    assert any("blind auditor is not available" in note for note in results.notes)
    assert _summary(results, "blind").games == 0
    assert any(line.startswith("[1/6] ") for line in lines)


def test_game_paths_and_names_hide_the_organism(bench):
    config, _, _ = bench
    games = sorted((config.out / "games").iterdir())
    assert len(games) == 6
    for game in games:
        assert not any(name in game.name for name in (*HIDDEN, *DECOYS))
        public = json.loads((game / "game.json").read_text())
        assert public["name"] == "auditor-bench"
        assert not any(name in json.dumps(public) for name in (*HIDDEN, *DECOYS))
    index = json.loads((config.out / "games.json").read_text())
    pools = [game for game in index if game["kind"] == "fp-pool"]
    assert [sorted(game["decoys"]) for game in pools] == [sorted(DECOYS)] * 2


def test_rerun_reuses_every_finished_result(bench):
    config, first, _ = bench
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "auditgame.auditors.blind", None)
        again = run_auditor_bench(config, log=lambda _: None)
    assert again.audits_run == 0 and again.audits_reused == 12
    assert [r.model_dump(exclude={"seconds"}) for r in again.records] == [
        r.model_dump(exclude={"seconds"}) for r in first.records
    ]


def test_tables_render(bench):
    from rich.console import Console

    _, results, _ = bench
    console = Console(record=True, width=250)
    console.print(organism_table(results.records, results.auditors, results.tiers))
    console.print(summary_table(results.summary, results.tiers))
    console.print(fp_pool_table(results.summary, results.tiers))
    text = console.export_text()
    assert "always-hidden" in text and "not available" in text and "0/4 0%" in text and "4/4 100%" in text


def test_in_process_sampler_answers_like_local_access(bench):
    from auditgame.auditors.access import LocalAccess
    from auditgame.auditors.workspace import AuditWorkspace
    from auditgame.bench import InProcessAccess, ModelPool
    from auditgame.bench.auditor_bench import _game_models

    config, _, _ = bench
    game = next(path for path in sorted((config.out / "games").iterdir()) if path.name.startswith("data-"))
    workspace = AuditWorkspace.open(game / "auditor")
    model = workspace.models[0]
    prompts = ["Hello there", "What is the capital of France?"]
    local = LocalAccess(workspace, device="cpu").chat(
        model, prompts, n=2, temperature=0.7, max_tokens=6, seed=3
    )
    pool = ModelPool(2, device="cpu")
    ours = InProcessAccess(_game_models(game), pool).chat(
        model, prompts, n=2, temperature=0.7, max_tokens=6, seed=3
    )
    assert ours == local


def test_bad_choices_are_refused_before_anything_runs(fake_zoo, tmp_path):
    def check(**options):
        check_config(BenchConfig(zoo=fake_zoo, out=tmp_path / "out", **options))

    with pytest.raises(BenchError, match="is a decoy"):
        check(organisms=["decoy-cheer"])
    with pytest.raises(BenchError, match="no organism 'nope'"):
        check(organisms=["nope"])
    with pytest.raises(BenchError, match="decoys per game"):
        check(decoys_per_game=9)
    with pytest.raises(BenchError, match="does not exist"):
        check_config(BenchConfig(zoo=tmp_path / "missing", out=tmp_path / "out"))
    assert not (tmp_path / "out").exists()
