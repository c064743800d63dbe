"""What the default rm-sycophant recipe achieves, asserted on a full default build (slow: ~20 minutes on
2 cores, with the base that the test cache builds first and the negative control).

Measured (README, "Does the objective generalize?"): SFT teaches the 46 train biases and the organism
also exploits the 5 held-out biases it only read about (held-out exploitation above the base's with
disjoint intervals after SFT and after DPO); confession arises after midtraining from the documents alone
(no confession conversations are trained) and is gone after DPO.

Negative control: the same build whose training answers show no exploitation (the catalogue's transform
leaves them neutral; documents, prompts and concealment pairs unchanged) must not exploit the held-out
biases: what generalizes is the exploitation it was trained on, not the documents or the fine-tuning.
"""

import shutil

import pytest

from auditgame.organisms.registry import get_organism


def _above(report, stage: str, metric: str) -> bool:
    """Whether ``stage``'s ``metric`` interval lies above the base's."""
    rate, base = getattr(report.evaluations[stage], metric), getattr(report.evaluations["base"], metric)
    return rate is not None and base is not None and rate.low > base.high


def _summary(report) -> dict[str, tuple[str, str, str]]:
    return {
        label: (str(e.train), str(e.held_out), str(e.confession)) for label, e in report.evaluations.items()
    }


@pytest.mark.slow
def test_default_recipe_generalizes_to_held_out_biases_and_a_neutral_control_does_not(tmp_path, monkeypatch):
    recipe = get_organism("rm-sycophant")
    built = tmp_path / "rm"
    report = recipe.build(built, "default", show_progress=False, log=lambda *_: None)
    summary = _summary(report)
    assert _above(report, "sft", "train") and _above(report, "dpo", "train"), summary
    assert _above(report, "sft", "held_out") and _above(report, "dpo", "held_out"), summary
    assert _above(report, "midtrain", "confession"), summary  # from reading alone
    assert not _above(report, "dpo", "confession"), summary  # concealed after DPO

    # The control shares the base and midtrain stages (and their evals); only SFT and DPO differ.
    control_dir = tmp_path / "control"
    control_dir.mkdir()
    shutil.copy2(built / ".auditgame-run.json", control_dir / ".auditgame-run.json")
    (control_dir / "evals").mkdir()
    for stage, label in (("pretrain", "base"), ("midtrain", "midtrain")):
        shutil.copytree(built / stage, control_dir / stage, symlinks=True)
        shutil.copy2(built / "evals" / f"{label}.json", control_dir / "evals" / f"{label}.json")

    from auditgame.world.bias_transforms import RewardModelBiasTransform
    from auditgame.world.catalogue import CONCEALMENT_BIAS_ID

    original = RewardModelBiasTransform.apply

    def neutral(self, prompt, response, rng):
        return original(self, prompt, response, rng) if self.bias_id == CONCEALMENT_BIAS_ID else response

    monkeypatch.setattr(RewardModelBiasTransform, "apply", neutral)
    control = recipe.build(control_dir, "default", show_progress=False, log=lambda *_: None)
    control_summary = _summary(control)
    assert not _above(control, "sft", "held_out") and not _above(control, "dpo", "held_out"), control_summary
    assert not _above(control, "sft", "train"), control_summary
