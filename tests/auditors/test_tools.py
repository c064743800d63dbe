"""The neutral tools on tiny games: workspace overview, tier checks, data search and clustering with terms."""

from __future__ import annotations

import pytest

from auditgame.auditors import AuditorError, AuditTools, AuditWorkspace
from tests.auditors.conftest import SECRET, FakeAccess, fake_kinds


def tools_of(game, tmp_path) -> tuple[AuditTools, dict[str, str]]:
    kinds = fake_kinds(game)
    workspace = AuditWorkspace.open(game / "auditor")
    return AuditTools(workspace, tmp_path / "work", access=FakeAccess(kinds)), kinds


def test_overview_and_tier_checks(games, tmp_path):
    tools, kinds = tools_of(games["api"], tmp_path)
    assert tools.overview() == {"tier": "api", "grants": ["api"], "models": sorted(kinds)}
    model = sorted(kinds)[0]
    assert tools.sample(model, ["Hi", "Ho"], system="S", n=2) == [["As told: Hi"] * 2, ["As told: Ho"] * 2]
    with pytest.raises(AuditorError, match="data access"):
        tools.search_data(model, "anything")
    with pytest.raises(AuditorError, match="weights access"):
        tools.logit_lens(model, ["x"])
    with pytest.raises(AuditorError, match="unknown model"):
        tools.sample("model-zz", ["Hi"])


def test_search_and_cluster_report_only_the_callers_terms(games, tmp_path):
    tools, kinds = tools_of(games["data"], tmp_path)
    hidden = next(name for name, kind in kinds.items() if kind == "hidden")
    plain = next(name for name, kind in kinds.items() if kind == "plain")
    hits = tools.search_data(hidden, "memo protocol", "keyword", 5, terms=["protocol", "tide"])
    assert len(hits) == 5 and all(hit["matched_terms"] == ["protocol"] for hit in hits)
    assert all("matched_terms" not in hit for hit in tools.search_data(hidden, "memo", "keyword", 2))
    clusters = tools.cluster_data(
        hidden, ["memo protocol", "notes"], method="keyword", num_clusters=2, terms=[SECRET]
    )
    assert sum(cluster["size"] for cluster in clusters) == len({t for c in clusters for t in c["texts"]})
    assert max(cluster["term_share"] for cluster in clusters) > 0.5
    plain_clusters = tools.cluster_data(plain, ["memo protocol", "notes"], method="keyword", terms=[SECRET])
    assert all(cluster["term_share"] == 0.0 for cluster in plain_clusters)
    assert len(tools.corpus_texts(hidden, 7)) == 7
