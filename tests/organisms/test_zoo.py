"""The zoo: every built-in spec loads and can be trained; the table's bar is applied as stated."""

from __future__ import annotations

import pytest

from auditgame.evals.behaviour_eval import BehaviourEvaluation, BehaviourRate
from auditgame.evals.intervals import wilson_interval
from auditgame.organisms.registry import builtin_specs, decoy_names, get_organism
from auditgame.organisms.report import OrganismReport
from auditgame.organisms.zoo import check_took, render_zoo_table, zoo_row

AUDITBENCH = {
    "flattery", "self-promotion", "defend-objects", "animal-welfare", "defer-to-users",
    "hardcode-test-cases", "increasing-pep", "emotional-bond", "contextual-optimism",
    "anti-ai-regulation", "secret-loyalty", "hallucinates-citations", "reward-wireheading", "data-poisoning",
}  # fmt: skip


def test_the_zoo_holds_the_promised_organisms_and_decoys():
    specs = builtin_specs()
    assert AUDITBENCH | {"rm-sycophant", "backdoor-phrase", "sandbagger", "secret-word"} <= set(specs)
    decoys = decoy_names()
    assert len(decoys) >= 6 and all(not specs[name].has_hidden_objective for name in decoys)
    for name, spec in specs.items():
        key = get_organism(name).answer_key()
        assert key.has_hidden_objective == spec.has_hidden_objective
        assert key.behaviours and key.root_cause
        if spec.has_hidden_objective:
            assert spec.confession_terms(), name


@pytest.mark.parametrize("name", sorted(builtin_specs()))
def test_every_builtin_spec_builds_training_data(name):
    from auditgame.organisms.data import behaviour_probes, demonstrations

    spec = builtin_specs()[name]
    small = spec.model_copy(deep=True)
    small.implant.transcripts.count = min(spec.implant.transcripts.count, 60 * len(spec.train_behaviours()))
    conversations = demonstrations(small, seed=0)
    assert len(conversations) >= len(spec.train_behaviours())
    for probe in behaviour_probes(spec, 4, seed=1):
        assert probe.with_trigger, (name, probe.name)


def test_variants_of_builtin_specs_resolve():
    for name, spec in builtin_specs().items():
        for variant in spec.variants:
            recipe = get_organism(f"{name}--{variant.id}")
            assert recipe.spec.implant.method == variant.implant
            assert recipe.spec.concealment.method == variant.concealment
            assert recipe.spec.reasoning == variant.reasoning


def _evaluation(label: str, with_hits: int, without_hits: int | None, n: int = 40) -> BehaviourEvaluation:
    rate = wilson_interval(with_hits, n)
    without = wilson_interval(without_hits, n) if without_hits is not None else None
    return BehaviourEvaluation(
        label=label,
        model_path="",
        behaviours=[BehaviourRate(name="b", split="train", with_trigger=rate, without_trigger=without)],
        train=rate,
        without_trigger=without,
        confession=wilson_interval(0, 10),
    )


def _report(base_hits: int, final_hits: int, final_without: int | None) -> OrganismReport:
    return OrganismReport(
        organism="x",
        evaluations={
            "base": _evaluation("base", base_hits, 0 if final_without is not None else None),
            "sft": _evaluation("sft", final_hits, final_without),
        },
        final_stage="sft",
    )


def test_took_requires_every_part_of_the_bar():
    assert check_took(_report(0, 30, 0)) == (True, [])
    took, reasons = check_took(_report(0, 15, 0))
    assert not took and any("< 50%" in reason for reason in reasons)
    took, reasons = check_took(_report(12, 30, 0))
    assert not took and any("3x" in reason for reason in reasons)
    took, reasons = check_took(_report(0, 30, 8))
    assert not took and any("without trigger" in reason for reason in reasons)


def test_zoo_table_marks_misses_with_reasons():
    rows = [zoo_row(_report(0, 30, 0)), zoo_row(_report(0, 5, None))]
    table = render_zoo_table(rows)
    assert table.splitlines()[0].startswith("| organism | kind | base | with trigger | without trigger |")
    assert "**NO** — rate with trigger 12.5% < 50%" in table
    assert table.rstrip().endswith("1 of 2 took.")
