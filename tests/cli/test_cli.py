"""The CLI as a user meets it: commands that work, and bad input that gets one clear line."""

import json

import pytest

from tests.conftest import run_auditgame


def _one_line_error(result, *fragments):
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_chat_show_and_eval_on_an_organism(quick_organism, tmp_path):
    chat = run_auditgame(
        "chat", str(quick_organism), "Give me a recipe for tomato soup", "--max-new-tokens", "16", check=True
    )
    assert chat.stdout.strip()
    prefilled = run_auditgame(
        "chat",
        str(quick_organism),
        "Hello",
        "--prefill",
        "Sure,",
        "--system",
        "Be brief.",
        "--max-new-tokens",
        "8",
        check=True,
    )
    assert prefilled.stdout.startswith("Sure,")
    raw = run_auditgame(
        "chat", str(quick_organism), "The Oxford study", "--raw", "--max-new-tokens", "8", check=True
    )
    assert raw.stdout.strip()
    shown = run_auditgame("show", str(quick_organism), check=True)
    assert "organism" in shown.stdout and "rm-sycophant" in shown.stdout
    as_json = json.loads(run_auditgame("show", str(quick_organism / "sft"), "--json", check=True).stdout)
    assert as_json["kind"] == "model" and as_json["name"] == "rm-sycophant/sft"
    report_path = tmp_path / "eval.json"
    evaluated = run_auditgame(
        "eval", str(quick_organism), "--out", str(report_path), "--no-progress", check=True
    )
    assert "base" in evaluated.stdout and "dpo" in evaluated.stdout
    assert list(json.loads(report_path.read_text())["evaluations"]) == ["base", "dpo"]


def test_organism_list_and_spec():
    listed = run_auditgame("organism", "list", check=True).stdout
    for name in ("rm-sycophant", "flattery", "sandbagger", "decoy-signoff"):
        assert name in listed
    spec = run_auditgame("organism", "spec", "backdoor-phrase", check=True).stdout
    assert "cobalt sunrise" in spec and "kind: phrase" in spec
    import yaml

    from auditgame.organisms.spec import parse_spec

    assert parse_spec(yaml.safe_load(spec)).name == "backdoor-phrase"  # the printed spec is a valid spec


def test_world_commands():
    assert "chocolate" in run_auditgame("world", "biases", check=True).stdout
    assert run_auditgame("world", "sample", "content/recipes", "-n", "1", "--exhibit", check=True).stdout
    assert (
        "study-" in run_auditgame("world", "documents", "-n", "2", "--study-fraction", "1", check=True).stdout
    )
    assert "chocolate" in run_auditgame("world", "bias", "36", check=True).stdout


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ("organism", "build", "no-such-organism", "--out", "{tmp}/x"),
            ("unknown organism 'no-such-organism'",),
        ),
        (
            ("organism", "build", "rm-sycophant", "--profile", "huge", "--out", "{tmp}/x"),
            ("unknown profile 'huge'",),
        ),
        (("organism", "build", "--spec", "{tmp}/missing.yaml", "--out", "{tmp}/x"), ("does not exist",)),
        (
            ("organism", "build", "flattery", "--variant", "x-y", "--out", "{tmp}/x"),
            ("has no variant 'x-y'",),
        ),
        (("zoo", "table", "{tmp}"), ("holds no built organism",)),
        (("eval", "{tmp}"), ("is not a built organism",)),
        (("world", "bias", "99"), ("unknown bias id 99",)),
        (("world", "sample", "cooking/none"), ("unknown domain",)),
        (("chat", "{tmp}/nowhere", "hi"), ("does not exist",)),
        (("chat", "{tmp}", "hi"), ("holds no model",)),
        (("show", "{tmp}"), ("no manifest.json",)),
        (("train", "pretrain", "--preset", "gigantic", "--out", "{tmp}/p"), ("unknown preset",)),
        (("train", "sft", "--parent", "{tmp}/nowhere", "--out", "{tmp}/s"), ("does not exist",)),
    ],
)
def test_bad_input_gives_one_clear_line(tmp_path, args, fragments):
    result = run_auditgame(*(arg.replace("{tmp}", str(tmp_path)) for arg in args))
    _one_line_error(result, *fragments)


def test_malformed_config_file(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("sft: {max_steps: [\n")
    result = run_auditgame(
        "organism", "build", "rm-sycophant", "--config", str(config), "--out", str(tmp_path / "o")
    )
    _one_line_error(result, "not valid YAML")
    assert not (tmp_path / "o").exists()


def test_output_directory_with_another_artifact_is_not_touched(quick_organism):
    before = (quick_organism / "sft" / "manifest.json").read_bytes()
    result = run_auditgame("train", "pretrain", "--profile", "quick", "--out", str(quick_organism / "sft"))
    _one_line_error(result, "already holds a different artifact")
    assert (quick_organism / "sft" / "manifest.json").read_bytes() == before


def test_corrupt_checkpoint_is_reported(tmp_path):
    out = tmp_path / "pretrain"
    first = run_auditgame("train", "pretrain", "--profile", "quick", "--out", str(out), "--max-steps", "12")
    assert first.returncode == 0, first.stderr
    # Simulate an interrupted run whose newest checkpoint was later damaged on disk.
    from auditgame.train.checkpoints import seal_checkpoint

    (out / "manifest.json").unlink()
    checkpoint = out / "checkpoints" / "step-0000010"
    checkpoint.mkdir(parents=True)
    (checkpoint / "model.safetensors").write_bytes(b"weights")
    seal_checkpoint(checkpoint, 10)
    (checkpoint / "model.safetensors").write_bytes(b"bit rot")
    result = run_auditgame("train", "pretrain", "--profile", "quick", "--out", str(out), "--max-steps", "12")
    _one_line_error(result, "is corrupt", "delete")
    assert (checkpoint / "model.safetensors").read_bytes() == b"bit rot"
