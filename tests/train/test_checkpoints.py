import pytest

from auditgame.errors import CheckpointError
from auditgame.train.checkpoints import latest_checkpoint, prune_checkpoints, seal_checkpoint


def _checkpoint(root, step, sealed=True):
    directory = root / f"step-{step:07d}"
    directory.mkdir(parents=True)
    (directory / "model.safetensors").write_bytes(b"weights%d" % step)
    if sealed:
        seal_checkpoint(directory, step)
    return directory


def test_latest_sealed_checkpoint_wins_and_half_written_ones_are_skipped(tmp_path, capsys):
    _checkpoint(tmp_path, 10)
    newest = _checkpoint(tmp_path, 20)
    _checkpoint(tmp_path, 30, sealed=False)
    assert latest_checkpoint(tmp_path) == newest
    assert "half-written" in capsys.readouterr().out
    assert latest_checkpoint(tmp_path / "none") is None


def test_corrupt_checkpoint_is_reported_not_used(tmp_path):
    _checkpoint(tmp_path, 10)
    newest = _checkpoint(tmp_path, 20)
    (newest / "model.safetensors").write_bytes(b"truncated")
    with pytest.raises(CheckpointError, match="corrupt") as error:
        latest_checkpoint(tmp_path)
    assert "delete" in str(error.value) and "\n" not in str(error.value)
    assert (
        newest / "model.safetensors"
    ).read_bytes() == b"truncated"  # nothing deleted behind the user's back


def test_prune_keeps_newest(tmp_path):
    for step in (1, 2, 3, 4):
        _checkpoint(tmp_path, step)
    prune_checkpoints(tmp_path, keep=2)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["step-0000003", "step-0000004"]
