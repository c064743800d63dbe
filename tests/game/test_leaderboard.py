"""Results and the leaderboard: a result is never overwritten without --force, the leaderboard grades
every stored submission again and refuses a result edited by hand, and --out is checked."""

from __future__ import annotations

import json
import shutil
import sys

import pytest

from auditgame.game.grading import grade_game
from auditgame.game.leaderboard import ResultsError, leaderboard, load_results
from auditgame.game.reveal import reveal


@pytest.fixture
def game(tmp_path, games):
    directory = tmp_path / "game"
    shutil.copytree(games["api"], directory)
    return directory


def _perfect(keys) -> dict:
    return {
        "models": {
            model: {
                "has_hidden_objective": key.has_hidden_objective,
                "root_cause": key.root_cause if key.has_hidden_objective else "",
                "behaviours": key.behaviours if key.has_hidden_objective else [],
                "confidence": 0.9,
            }
            for model, key in keys.items()
        }
    }


def _wolf(keys) -> dict:
    return {"models": {model: {"has_hidden_objective": True, "behaviours": ["odd"]} for model in keys}}


def _write(path, payload):
    path.write_text(json.dumps(payload))
    return path


def _main(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Run the `auditgame` entry point in this process: (exit code, stderr)."""
    from auditgame.cli.main import main

    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["auditgame", *args])
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    return code, capsys.readouterr().err


def _one_line(stderr: str, *fragments: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("warning:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert all(fragment in lines[0] for fragment in fragments), lines[0]


def test_grading_again_under_a_name_is_refused_without_force(tmp_path, game, monkeypatch, capsys):
    keys = reveal(game)
    perfect = _write(tmp_path / "perfect.json", _perfect(keys))
    wolf = _write(tmp_path / "wolf.json", _wolf(keys))
    grade_game(game, perfect, auditor="alice")
    saved = (game / "results" / "alice.json").read_text()
    with pytest.raises(ResultsError, match=r"already holds a different result of alice.*--force"):
        grade_game(game, wolf, auditor="alice")
    assert (game / "results" / "alice.json").read_text() == saved  # untouched
    grade_game(game, perfect, auditor="alice")  # the same submission again: the same result, allowed
    code, stderr = _main(monkeypatch, capsys, "game", "grade", str(game), str(wolf), "--name", "alice")
    assert code != 0
    _one_line(stderr, "alice.json already holds a different result", "--force")
    assert (game / "results" / "alice.json").read_text() == saved
    code, stderr = _main(
        monkeypatch, capsys, "game", "grade", str(game), str(wolf), "--name", "alice", "--force"
    )
    assert code == 0, stderr
    assert json.loads((game / "results" / "alice.json").read_text())["false_positives"] == 2


def test_the_leaderboard_grades_every_result_again_and_refuses_edited_ones(
    tmp_path, game, monkeypatch, capsys
):
    keys = reveal(game)
    grade_game(game, _write(tmp_path / "perfect.json", _perfect(keys)), auditor="alice")
    grade_game(game, _write(tmp_path / "wolf.json", _wolf(keys)), auditor="wolf")
    _, rows = leaderboard([game])
    assert [row["auditor"] for row in rows] == ["alice", "wolf"]
    path = game / "results" / "wolf.json"
    original = json.loads(path.read_text())

    def edited(change) -> None:
        payload = json.loads(json.dumps(original))
        change(payload)
        path.write_text(json.dumps(payload))

    hidden = next(model for model, key in keys.items() if key.has_hidden_objective)
    edits = {
        "score": lambda payload: payload.update(score=1e9),
        "a model's grade": lambda payload: payload["models"][hidden].update(root_cause_match=True),
        "the stored submission": lambda payload: payload["submission"]["models"].pop(hidden),
        "no submission": lambda payload: payload.pop("submission"),
        "another auditor": lambda payload: payload.update(auditor="alice"),
        "another game": lambda payload: payload.update(game_sha256="0" * 64),
        "another tier": lambda payload: payload.update(tier="data"),
    }
    for change in edits.values():
        edited(change)
        with pytest.raises(ResultsError, match="is not a result the leaderboard can trust"):
            leaderboard([game])
        with pytest.raises(ResultsError, match="is not a result the leaderboard can trust"):
            load_results([path])
    edited(edits["score"])
    code, stderr = _main(monkeypatch, capsys, "game", "leaderboard", str(game))
    assert code != 0
    _one_line(stderr, "wolf.json", "stored score 1e+09", "graded again 0.")
    path.write_text(json.dumps(original))
    _, rows = leaderboard([game])
    assert [row["auditor"] for row in rows] == ["alice", "wolf"]
    outside = tmp_path / "copied.json"
    shutil.copyfile(path, outside)
    with pytest.raises(ResultsError, match="not in a game's results/ directory"):
        leaderboard([outside])


def test_leaderboard_out_must_be_a_directory_and_is_replaced_only_with_force(
    tmp_path, game, monkeypatch, capsys
):
    keys = reveal(game)
    grade_game(game, _write(tmp_path / "perfect.json", _perfect(keys)), auditor="alice")
    a_file = tmp_path / "board.txt"
    a_file.write_text("mine")
    code, stderr = _main(monkeypatch, capsys, "game", "leaderboard", str(game), "--out", str(a_file))
    assert code != 0 and a_file.read_text() == "mine"
    _one_line(stderr, "is a file, not a directory")
    board = tmp_path / "board"
    code, stderr = _main(monkeypatch, capsys, "game", "leaderboard", str(game), "--out", str(board))
    assert code == 0, stderr
    written = (board / "leaderboard.json").read_text()
    code, stderr = _main(monkeypatch, capsys, "game", "leaderboard", str(game), "--out", str(board))
    assert code != 0 and (board / "leaderboard.json").read_text() == written
    _one_line(stderr, "already holds leaderboard.csv and leaderboard.json", "--force")
    code, stderr = _main(
        monkeypatch, capsys, "game", "leaderboard", str(game), "--out", str(board), "--force"
    )
    assert code == 0, stderr
    assert json.loads((board / "leaderboard.json").read_text())[0]["auditor"] == "alice"
    assert sorted(path.name for path in board.iterdir()) == ["leaderboard.csv", "leaderboard.json"]


def test_deeply_nested_or_loosely_typed_submissions_are_one_line(tmp_path, game, monkeypatch, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text('{"models": ' + "[" * 100_000 + "]" * 100_000 + "}")
    code, stderr = _main(monkeypatch, capsys, "game", "grade", str(game), str(deep), "--name", "deep")
    assert code != 0
    _one_line(stderr, "nests JSON too deeply")
    loose = _write(tmp_path / "loose.json", {"models": {"model-a": {"has_hidden_objective": "yes"}}})
    code, stderr = _main(monkeypatch, capsys, "game", "grade", str(game), str(loose), "--name", "loose")
    _one_line(stderr, "models.model-a.has_hidden_objective", "valid boolean")
    huge = _write(tmp_path / "huge.json", {"models": {"m" * 1_000_000: {"has_hidden_objective": True}}})
    code, stderr = _main(monkeypatch, capsys, "game", "grade", str(game), str(huge), "--name", "huge")
    assert code != 0 and len(stderr) < 2_000
    _one_line(stderr, "names models the game does not have", "(1000000 characters)")
    assert not (game / "results").exists()
