"""Gradient routing: exact routing of gradients, ablation, the trainer hook, and the ERA experiment's artifact."""

import json

import pytest
import torch
import yaml
from transformers import AutoModelForCausalLM, GPT2Config, LlamaConfig

from auditgame.errors import ConfigError
from auditgame.mitigations.gradient_routing import (
    GradientRouter,
    ablate,
    decoder_layers,
    expand_mlps,
    region_parameter_names,
    routed_backward,
)
from auditgame.mitigations.routing_config import GradientRoutingConfig, quick_routing_config
from auditgame.mitigations.routing_experiment import (
    REPORT_FILE,
    RoutingReport,
    load_routing_report,
    run_gradient_routing,
    table_rows,
)
from auditgame.model.loading import load_model
from auditgame.train.lm_trainer import train_causal_lm
from auditgame.train.stage_config import StageConfig


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One torch thread: these models' ops are tiny, and on a busy 2-core machine two spinning threads made
    the micro experiment 10x slower (its numbers are the same either way)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _llama(seed: int = 0):
    config = LlamaConfig(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    return AutoModelForCausalLM.from_config(config)


def _gpt2(seed: int = 0):
    config = GPT2Config(
        vocab_size=64,
        n_embd=32,
        n_layer=2,
        n_head=2,
        n_positions=64,
        resid_pdrop=0,
        embd_pdrop=0,
        attn_pdrop=0,
    )
    torch.manual_seed(seed)
    return AutoModelForCausalLM.from_config(config)


def _expanded(build=_llama, seed: int = 0):
    """A model with a region whose down-projection is not zero, so every region weight gets gradients."""
    model = build(seed)
    names = expand_mlps(model, neurons=8, seed=seed)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name in names:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)
    return model, set(names)


def _batch(rows: int = 4, length: int = 16):
    return torch.randint(0, 64, (rows, length), generator=torch.Generator().manual_seed(7))


def _plain_gradients(model, input_ids, weight: float = 1.0):
    model.zero_grad(set_to_none=True)
    (model(input_ids=input_ids, labels=input_ids).loss * weight).backward()
    return {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("build", [_llama, _gpt2], ids=["llama", "gpt2"])
def test_routed_gradients_reach_only_the_region(build):
    model, region = _expanded(build)
    routed_backward(model, _batch(), torch.ones(4, dtype=torch.bool))
    for name, parameter in model.named_parameters():
        if name in region:
            assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name
        else:
            assert parameter.grad is None or torch.count_nonzero(parameter.grad) == 0, name


@pytest.mark.parametrize("build", [_llama, _gpt2], ids=["llama", "gpt2"])
def test_unrouted_gradients_on_the_original_parameters_are_those_of_a_plain_backward(build):
    model, region = _expanded(build)
    reference, _ = _expanded(build)
    ids = _batch(rows=4)
    routed = torch.tensor([True, False, True, False])
    loss = routed_backward(model, ids, routed)
    # The batch mean loss is half the routed rows' mean plus half the unrouted rows'.
    expected_original = _plain_gradients(reference, ids[~routed], weight=0.5)
    expected_region = _plain_gradients(reference, ids[routed], weight=0.5)
    for name, parameter in model.named_parameters():
        expected = (expected_region if name in region else expected_original)[name]
        assert torch.allclose(parameter.grad, expected, atol=1e-6, rtol=1e-5), name
    with torch.no_grad():
        plain = reference(input_ids=ids, labels=ids).loss
    assert torch.allclose(loss, plain, atol=1e-6)


def test_retain_can_train_the_region_too():
    model, region = _expanded()
    reference, _ = _expanded()
    ids = _batch()
    routed_backward(model, ids, torch.zeros(4, dtype=torch.bool), retain_trains_region=True)
    expected = _plain_gradients(reference, ids)
    for name, parameter in model.named_parameters():
        assert torch.allclose(parameter.grad, expected[name], atol=1e-6, rtol=1e-5), name
    untouched, _ = _expanded()
    routed_backward(untouched, ids, torch.zeros(4, dtype=torch.bool))
    assert all(p.grad is None for name, p in untouched.named_parameters() if name in region)


def test_expansion_keeps_the_function_and_ablation_restores_a_plain_model(tmp_path):
    model = _llama()
    original = _llama()
    ids = _batch()
    names = expand_mlps(model, neurons=8, layers=[-1])
    assert names and all(".layers.1.mlp.routed_region." in name for name in names)
    with torch.no_grad():
        assert torch.equal(
            model(input_ids=ids).logits, original(input_ids=ids).logits
        )  # zero down-projection
        for name, parameter in model.named_parameters():
            if name in names:
                parameter.normal_()
        assert not torch.allclose(model(input_ids=ids).logits, original(input_ids=ids).logits)
    assert sorted(ablate(model)) == sorted(names)
    assert region_parameter_names(model) == []
    assert set(model.state_dict()) == set(original.state_dict())
    with torch.no_grad():
        assert torch.equal(model(input_ids=ids).logits, original(input_ids=ids).logits)
    model.save_pretrained(tmp_path / "ablated")
    reloaded = load_model(tmp_path / "ablated")
    with torch.no_grad():
        assert torch.allclose(reloaded(input_ids=ids).logits, original(input_ids=ids).logits, atol=1e-6)
    with pytest.raises(ConfigError, match="no routed region to ablate"):
        ablate(model)


def test_bad_architecture_and_layers_are_one_line_errors():
    with pytest.raises(ConfigError) as caught:
        expand_mlps(torch.nn.Sequential(torch.nn.Linear(2, 2)), neurons=4)
    message = str(caught.value)
    assert "\n" not in message
    assert "cannot find the decoder layers of Sequential" in message and "model.layers" in message
    with pytest.raises(ConfigError, match="layer 5 is out of range: the model has 2 decoder layers"):
        expand_mlps(_llama(), neurons=4, layers=[5])
    with pytest.raises(ConfigError, match="neurons must be at least 1"):
        expand_mlps(_llama(), neurons=0)
    model = _llama()
    expand_mlps(model, neurons=4, layers=[0])
    with pytest.raises(ConfigError, match="layer 0 is already expanded"):
        expand_mlps(model, neurons=4, layers=[0])
    with pytest.raises(ConfigError, match="no routed region"):
        GradientRouter(_llama(), torch.ones(3, dtype=torch.bool))
    assert len(decoder_layers(_gpt2())) == 2


def test_the_trainer_hook_trains_only_the_region_on_routed_blocks(tmp_path):
    model, region = _expanded()
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    blocks = _batch(rows=12, length=16)
    config = StageConfig(max_steps=4, batch_size=4, warmup_steps=1, save_every=100, show_progress=False)
    router = GradientRouter(model, torch.ones(12, dtype=torch.bool))
    train_causal_lm(model, blocks, config, tmp_path, backward_step=router)
    for name, parameter in model.named_parameters():
        changed = not torch.equal(parameter.detach(), before[name])
        assert changed == (name in region), name


def test_config_checks_its_conditions():
    with pytest.raises(ValueError, match="forget_finetune continues the ordinary model"):
        GradientRoutingConfig(conditions=["forget_finetune"])
    with pytest.raises(ValueError, match="Input should be"):
        GradientRoutingConfig(conditions=["era_kontrol"])


@pytest.fixture(scope="module")
def micro_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("route") / "run"
    report = run_gradient_routing(quick_routing_config(), out_dir=out, profile="quick", log=lambda *_: None)
    return out, report


def test_the_experiment_writes_its_artifact_and_resumes(micro_run):
    out, report = micro_run
    for name in (REPORT_FILE, "report.md", "report.png", "manifest.json"):
        assert (out / name).is_file(), name
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "checkpoints").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "gradient-routing" and manifest["extra"]["models"]["era"] == "models/era"
    assert RoutingReport.model_validate_json((out / REPORT_FILE).read_text()) == report
    assert [c.name for c in report.conditions] == quick_routing_config().conditions
    rows = {row["condition"]: row for row in table_rows(report)}
    assert {
        "base",
        "ordinary",
        "filtering",
        "forget_finetune",
        "era",
        "era (routed)",
        "era (ablated)",
    } <= set(rows)
    for key in ("retain_loss", "forget_loss", "forget_gain", "relearned", "steps", "relearn_0", "relearn_10"):
        assert key in rows["era"], key
    era = report.condition("era")
    assert [point.step for point in era.relearning] == [0, 5, 10]
    assert era.train_steps == 45 and report.condition("forget_finetune").train_steps == 50
    assert "| era |" in (out / "report.md").read_text()
    model = load_model(out / "models" / "era")  # a plain model directory, usable as a base
    assert region_parameter_names(model) == []
    again = run_gradient_routing(quick_routing_config(), out_dir=out, profile="quick", log=lambda *_: None)
    assert again == report == load_routing_report(out)
    with pytest.raises(ConfigError, match="holds a run with another config"):
        run_gradient_routing(
            quick_routing_config().model_copy(update={"neurons": 4}), out_dir=out, profile="quick"
        )


def test_era_removes_the_routed_topic_and_the_control_does_not(micro_run):
    _, report = micro_run
    margin = 0.25  # nats per token, chosen before the first run
    ordinary, era, control = (report.condition(name) for name in ("ordinary", "era", "era_control"))
    assert era.forget_loss >= ordinary.forget_loss + margin
    # The ablation step itself (before the retain-only coherence steps, which every model forgets a little
    # during): removing the routed region raises the forget loss; removing a region that learnt from all the
    # data, with nothing routed, does not.
    assert era.stages["ablated"].forget_loss >= era.stages["routed"].forget_loss + margin
    assert control.stages["ablated"].forget_loss <= control.stages["trained"].forget_loss + margin / 2


def test_the_cli_command_prints_the_table(micro_run, tmp_path):
    from typer import Typer
    from typer.testing import CliRunner

    from auditgame.cli.mitigate_route import route

    out, report = micro_run
    app = Typer()
    app.command()(route)
    app.command("noop")(lambda: None)  # two commands, so `route` is a subcommand
    settings = tmp_path / "micro.yaml"
    settings.write_text(yaml.safe_dump(quick_routing_config().model_dump(mode="json")))
    result = CliRunner().invoke(
        app, ["route", "--out", str(out), "--profile", "quick", "--config", str(settings)]
    )
    assert result.exit_code == 0, result.output
    assert "era (ablated)" in result.output and f"{report.condition('era').forget_loss:.3f}" in result.output
    settings.write_text("neurons: 0\n")
    result = CliRunner().invoke(app, ["route", "--out", str(out), "--config", str(settings)])
    assert isinstance(result.exception, ConfigError) and "neurons" in str(result.exception)
