"""The auditor's view of a game that ships the organisms' base as the ungraded reference ``reference-base``."""

from __future__ import annotations

import json

import pytest

from auditgame.auditors import AuditorError, AuditTools, AuditWorkspace
from tests.auditors.conftest import HIDDEN, FakeAccess, fake_kinds
from tests.game.conftest import decoy_names, fixed_secret
from tests.game.test_reference_base import make_organism_with_base, make_shared_base

REFERENCE = "reference-base"


@pytest.fixture(scope="module")
def reference_game(tmp_path_factory, organisms, micro_template):
    """A weights-tier game of the fake organisms whose hidden one records its shared base."""
    from auditgame.game.create import create_game

    base = make_shared_base(micro_template, tmp_path_factory.mktemp("cache"))
    main = make_organism_with_base(
        micro_template, tmp_path_factory.mktemp("with-base") / HIDDEN, HIDDEN, base
    )
    out = tmp_path_factory.mktemp("reference-game") / "game"
    return create_game(
        out,
        organism=HIDDEN,
        decoy_names=decoy_names(),
        tier="weights",
        secret=fixed_secret("auditors"),
        organism_dirs={**organisms, HIDDEN: main},
        build_root=out.parent / "never-built",
        log=lambda *_: None,
        show_progress=False,
        reference_base=True,
    )


def test_references_parsed_apart_from_graded_models(reference_game):
    workspace = AuditWorkspace.open(reference_game / "auditor")
    assert workspace.models == ("model-a", "model-b", "model-c")
    assert workspace.references == (REFERENCE,)
    assert workspace.all_models == ("model-a", "model-b", "model-c", REFERENCE)
    assert workspace.check_model(REFERENCE) == REFERENCE
    assert (workspace.model_dir(REFERENCE) / "config.json").is_file()
    with pytest.raises(AuditorError, match="data access"):
        workspace.data_files(REFERENCE)
    with pytest.raises(AuditorError, match="choose one of: model-a, model-b, model-c, reference-base"):
        workspace.check_model("model-zz")


def test_workspace_without_references(tmp_path, games):
    workspace = AuditWorkspace.open(games["api"] / "auditor")
    assert workspace.references == () and workspace.all_models == workspace.models
    with pytest.raises(AuditorError, match="unknown model"):
        workspace.check_model(REFERENCE)
    (tmp_path / "tier.json").write_text(json.dumps({"tier": "api", "models": ["model-b", "model-a"]}))
    assert AuditWorkspace.open(tmp_path).references == ()


def test_tools_report_and_sample_the_reference(reference_game, tmp_path):
    kinds = {**fake_kinds(reference_game), REFERENCE: "plain"}
    workspace = AuditWorkspace.open(reference_game / "auditor")
    tools = AuditTools(workspace, tmp_path / "work", access=FakeAccess(kinds))
    assert tools.overview() == {
        "tier": "weights",
        "grants": ["api", "weights"],
        "models": ["model-a", "model-b", "model-c"],
        "references": [REFERENCE],
    }
    assert tools.sample(REFERENCE, ["Hi"]) == [["Here is a plain answer to: Hi"]]
    local = AuditTools(workspace, tmp_path / "local", backend="local", device="cpu")
    answers = local.sample(REFERENCE, ["Hello"], max_tokens=3)
    assert len(answers) == 1 and len(answers[0]) == 1 and isinstance(answers[0][0], str)
