"""Running TRL trainers as stages: the kept training log."""

from __future__ import annotations


def test_trl_log_history_becomes_a_train_log(tmp_path):
    """The TRL stages keep their per-step losses in the same format as pretraining."""
    import json

    from auditgame.train.trl_runner import write_train_log

    history = [
        {"loss": 2.5, "grad_norm": 1.0, "learning_rate": 1e-3, "step": 10, "epoch": 0.1},
        {"loss": 1.25, "step": 20},
        {"train_loss": 1.8, "train_runtime": 3.0, "step": 20},
    ]
    write_train_log(tmp_path / "train_log.jsonl", history)
    lines = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    assert lines == [
        {"step": 10, "loss": 2.5, "learning_rate": 1e-3, "grad_norm": 1.0},
        {"step": 20, "loss": 1.25},
    ]
