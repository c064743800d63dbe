"""Kind detection: from the manifest's kind and the file layout; the file names pinned to their writers'."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditgame.artifacts import atomic_write_json, write_manifest
from auditgame.viewer import ViewerError, ViewKind, detect_kind, open_view
from tests.viewer.conftest import write_audit, write_curriculum, write_game, write_organism


def test_each_kind_is_detected(tmp_path: Path) -> None:
    game = write_game(tmp_path / "game")
    assert detect_kind(write_organism(tmp_path / "organism")) is ViewKind.ORGANISM
    assert detect_kind(write_audit(tmp_path / "audit")) is ViewKind.AUDIT
    assert detect_kind(game) is ViewKind.GAME
    assert detect_kind(game / "auditor") is ViewKind.AUDITOR_WORKSPACE
    assert detect_kind(game / "master") is ViewKind.GAME_MASTER
    assert detect_kind(write_curriculum(tmp_path / "curriculum")) is ViewKind.CURRICULUM
    assert detect_kind(tmp_path / "organism" / "sft") is ViewKind.ARTIFACT


def test_unfinished_runs_are_detected_by_layout(tmp_path: Path) -> None:
    organism = write_organism(tmp_path / "organism")
    (organism / "manifest.json").unlink()  # killed before the manifest: report.json says what it is
    assert detect_kind(organism) is ViewKind.ORGANISM
    curriculum = write_curriculum(tmp_path / "curriculum")
    (curriculum / "manifest.json").unlink()
    assert detect_kind(curriculum) is ViewKind.CURRICULUM


def test_a_folder_of_technique_reports_is_an_audit(tmp_path: Path) -> None:
    audit = write_audit(tmp_path / "audit")
    for name in ("submission.json", "evidence.json", "report.md"):
        (audit / name).unlink()
    assert detect_kind(audit) is ViewKind.AUDIT


def test_the_manifest_kind_decides_over_a_report_json(tmp_path: Path) -> None:
    directory = tmp_path / "inoculation"
    directory.mkdir()
    atomic_write_json(directory / "report.json", {"organism": "x", "evaluations": {}})
    write_manifest(directory, "inoculation", name="x")
    assert detect_kind(directory) is ViewKind.ARTIFACT


def test_a_master_directory_moved_elsewhere_is_still_a_master(tmp_path: Path) -> None:
    game = write_game(tmp_path / "game")
    moved = tmp_path / "kept-safe"
    (game / "master").rename(moved)
    assert detect_kind(moved) is ViewKind.GAME_MASTER


def test_an_unreadable_manifest_gets_the_generic_page(tmp_path: Path) -> None:
    directory = tmp_path / "broken"
    directory.mkdir()
    (directory / "manifest.json").write_text("{not json", encoding="utf-8")
    assert detect_kind(directory) is ViewKind.ARTIFACT


def test_bad_paths_get_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ViewerError, match="does not exist"):
        open_view(tmp_path / "missing")
    with pytest.raises(ViewerError, match="is a file, not a directory"):
        open_view(tmp_path / "file.txt")
    with pytest.raises(ViewerError, match="holds nothing auditgame can show"):
        open_view(tmp_path / "empty")
    with pytest.raises(ViewerError, match="--master applies to a game directory"):
        open_view(write_organism(tmp_path / "organism"), master=True)


def test_file_names_match_their_writers() -> None:
    """The viewer repeats the writers' file names (their modules pull in torch): they must agree."""
    from auditgame.auditors.blind.auditor import EVIDENCE_FILE
    from auditgame.auditors.report import SUBMISSION_FILE
    from auditgame.cli.view import view
    from auditgame.envs.curriculum import REPORT_KIND
    from auditgame.game import keys, server, workspace
    from auditgame.game.leaderboard import RESULTS_DIR
    from auditgame.organisms.recipe import ORGANISM_KIND
    from auditgame.viewer import DEFAULT_PORT, kinds

    assert (kinds.GAME_FILE, kinds.MASTER_DIR, kinds.AUDITOR_DIR) == (
        keys.GAME_FILE,
        keys.MASTER_DIR,
        keys.AUDITOR_DIR,
    )
    assert (kinds.SECRET_FILE, kinds.SPEC_FILE, kinds.RESULTS_DIR) == (
        keys.SECRET_FILE,
        keys.SPEC_FILE,
        RESULTS_DIR,
    )
    assert f"{kinds.AUDITOR_DIR}/{kinds.TOKEN_FILE}" == server.TOKEN_PATH.as_posix()
    assert f"{kinds.AUDITOR_DIR}/{kinds.ENDPOINT_FILE}" == server.ENDPOINT_PATH.as_posix()
    assert workspace.TIERS == ("api", "weights", "data")
    assert (kinds.SUBMISSION_FILE, kinds.EVIDENCE_FILE) == (SUBMISSION_FILE, EVIDENCE_FILE)
    assert (kinds.ORGANISM_KIND, kinds.CURRICULUM_KIND) == (ORGANISM_KIND, REPORT_KIND)
    import inspect

    assert inspect.signature(view).parameters["port"].default.default == DEFAULT_PORT
