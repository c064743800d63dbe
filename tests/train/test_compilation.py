import contextlib
import json

import pytest
import torch
from transformers import AutoModelForCausalLM, LlamaConfig

from auditgame.train import compilation, lm_trainer
from auditgame.train.compilation import COMPILE_MIN_STEPS, compiled_for_training, should_compile
from auditgame.train.lm_trainer import train_causal_lm
from auditgame.train.stage_config import StageConfig


def _model(seed=0):
    config = LlamaConfig(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
    )
    torch.manual_seed(seed)
    return AutoModelForCausalLM.from_config(config, attn_implementation="sdpa")


def _blocks():
    generator = torch.Generator().manual_seed(0)
    return torch.randint(0, 64, (16, 32), generator=generator)


def _config(**overrides):
    values = {
        "max_steps": 4,
        "batch_size": 4,
        "save_every": 100,
        "log_every": 1,
        "warmup_steps": 1,
        "learning_rate": 1e-2,
        "precision": "fp32",
        "show_progress": False,
    }
    return StageConfig(**{**values, **overrides})


def _losses(path):
    return [json.loads(line)["loss"] for line in (path / "train_log.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(
    ("setting", "device", "steps", "processes", "expected"),
    [
        ("off", "cpu", 10_000, 1, False),
        ("auto", "cpu", COMPILE_MIN_STEPS, 1, True),
        ("auto", "cpu", COMPILE_MIN_STEPS - 1, 1, False),
        ("auto", "cpu", 10_000, 2, False),
        ("auto", "cuda", 10_000, 1, False),
        ("on", "cpu", 1, 2, True),
    ],
)
def test_when_a_run_compiles(monkeypatch, setting, device, steps, processes, expected):
    monkeypatch.setattr(compilation, "cpp_compiler", lambda: "/usr/bin/g++")
    assert should_compile(setting, device_type=device, steps=steps, num_processes=processes) is expected


def test_without_a_cpp_compiler_auto_stays_eager_and_on_says_what_to_install(monkeypatch):
    monkeypatch.setattr(compilation, "cpp_compiler", lambda: None)
    assert should_compile("auto", device_type="cpu", steps=10_000) is False
    with pytest.raises(ValueError, match=r"install g\+\+.*compile: off"):
        should_compile("on", device_type="cpu", steps=10)
    with pytest.raises(ValueError, match="choose auto, on or off"):
        should_compile("yes", device_type="cpu", steps=10)


def test_compiling_switches_to_plain_attention_only_while_training():
    model = _model()
    with compiled_for_training(model) as compiled:
        assert model.config._attn_implementation == "eager"
        assert set(compiled.parameters()) == set(model.parameters())  # one set of weights
    assert model.config._attn_implementation == "sdpa"


def test_compiling_runs_deterministic_algorithms_only_while_training():
    assert not torch.are_deterministic_algorithms_enabled()
    with compiled_for_training(_model()):
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.is_deterministic_algorithms_warn_only_enabled()
    assert not torch.are_deterministic_algorithms_enabled()


def _flat(model):
    return torch.cat([parameter.detach().flatten() for parameter in model.parameters()])


def test_compiled_training_matches_eager_training(tmp_path):
    start = _flat(_model())
    eager_model, compiled_model = _model(), _model()
    eager = train_causal_lm(eager_model, _blocks(), _config(compile="off"), tmp_path / "eager")
    compiled = train_causal_lm(compiled_model, _blocks(), _config(compile="on"), tmp_path / "compiled")
    assert (eager.compiled, compiled.compiled) == (False, True)
    assert _losses(tmp_path / "compiled") == pytest.approx(_losses(tmp_path / "eager"), rel=1e-3)
    # Adam magnifies rounding in near-zero gradients (8e-6 of the movement on one machine, single weights off by
    # 1e-3 on another), so compare the two runs' difference with what training
    # moved: other rounding, not other training
    moved = (_flat(eager_model) - start).norm()
    assert (_flat(compiled_model) - _flat(eager_model)).norm() < 0.25 * moved
    assert compiled_model.config._attn_implementation == "sdpa"
    # a wrong learning rate must show up in the same comparisons (the checks can fail)
    other = _model()
    train_causal_lm(other, _blocks(), _config(compile="on", learning_rate=2e-2), tmp_path / "other")
    assert _losses(tmp_path / "other")[1:] != pytest.approx(_losses(tmp_path / "eager")[1:], rel=1e-3)
    assert (_flat(other) - _flat(eager_model)).norm() > 0.25 * moved


def test_compiled_training_is_reproducible(tmp_path):
    # Two runs of the same seeded config, each compiled afresh, give the same weights bit for bit
    # (inductor's parallel atomic adds in the embedding's backward once made them differ).
    models = []
    for run in ("first", "second"):
        torch._dynamo.reset()
        model = _model()
        train_causal_lm(model, _blocks(), _config(compile="on", max_steps=8), tmp_path / run)
        models.append(_flat(model))
    assert torch.equal(models[0], models[1])
    assert _losses(tmp_path / "first") == _losses(tmp_path / "second")


class _CompilerCrash(RuntimeError):
    pass


_CompilerCrash.__module__ = "torch._inductor.exc"


def _compile_raising(error):
    """A stand-in for ``compiled_for_training`` whose compiled module raises ``error`` when called."""

    class Broken(torch.nn.Module):
        def forward(self, **_):
            raise error

    @contextlib.contextmanager
    def broken(model):
        yield Broken()

    return broken


def test_a_failed_compile_warns_and_trains_uncompiled(tmp_path, monkeypatch):
    crash = _CompilerCrash("C++ compile error\ndetails")
    monkeypatch.setattr(lm_trainer, "compiled_for_training", _compile_raising(crash))
    model = _model()
    with pytest.warns(RuntimeWarning, match="torch.compile failed .*C\\+\\+ compile error.*uncompiled"):
        result = train_causal_lm(model, _blocks(), _config(compile="on"), tmp_path)
    assert result.compiled is False
    assert len(_losses(tmp_path)) == 4


def test_errors_that_are_not_compilation_errors_propagate(tmp_path, monkeypatch):
    error = IndexError("token id out of range")
    monkeypatch.setattr(lm_trainer, "compiled_for_training", _compile_raising(error))
    with pytest.raises(IndexError, match="out of range"):
        train_causal_lm(_model(), _blocks(), _config(compile="on"), tmp_path)
