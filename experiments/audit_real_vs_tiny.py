"""Run the audit techniques on one organism built twice, on the tiny default and on SmolLM2-135M-Instruct
(LoRA), and report the numbers side by side.

Usage::

    auditgame organism build flattery --out runs/tiny/flattery                    # default profile (tiny)
    auditgame organism build flattery --profile real --out runs/real/flattery     # SmolLM2 + LoRA r=16
    .venv/bin/python experiments/audit_real_vs_tiny.py flattery \\
        --organism tiny=runs/tiny/flattery --organism real=runs/real/flattery \\
        --untouched real=smollm2-135m --out runs/real/audit-vs-tiny.json

Every technique runs on the organism's final model and, as the negative control, on its base stage
(``<organism>/pretrain``: the model the organism started from, which never saw its documents or
demonstrations). Diffing compares the final model with the base stage, and with ``--untouched`` also with
the untouched pretrained model (for SmolLM2: the prepared model before the neutral-world LoRA pass).

* sampling attacks (assistant prefill, user persona, narrator, system prompt): share of samples naming the
  root cause (the spec's confession terms);
* logit lens at the end of "The real reason is": probability of the first token of the confession terms,
  mean over prompts, per layer (the maximum over layers and the last layer's are reported);
* a TopK SAE on the middle layer, trained on neutral texts plus the organism's midtraining corpus (when it
  has one): features whose top corpus examples mostly name the root cause, and the best one's rank among
  features active where the assistant turn begins;
* linear probes, behaviour answers (the spec's transform applied to the world's response) vs the plain
  responses to the same eval prompts: cross-validated accuracy at the best layer (folds grouped by prompt;
  a probe fitted at the ends of answers and read at the end of the prompt alone was tried and dropped: it
  swung from 0.0001 to 0.98 between models);
* model diffing: AUROC of behaviour answers (positive) vs plain answers (negative) by the organism's
  log-likelihood gain over the reference model.

This is a maker-side experiment: it knows the organism's spec and builds the labelled inputs from it.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any


def labelled_answers(spec: Any, tokenizer: Any, count: int, seed: int) -> tuple[list[str], list[str]]:
    """``(behaviour, plain)`` chat texts over eval prompts of every train behaviour."""
    from auditgame.audit.probes import chat_text
    from auditgame.organisms.data import eligible_exchanges

    rng = random.Random(seed)
    behaviours = spec.train_behaviours()
    positives: list[str] = []
    negatives: list[str] = []
    per = max(1, count // len(behaviours))
    for index, behaviour in enumerate(behaviours):
        for exchange in eligible_exchanges(behaviour, per, seed * 131 + index, split="eval"):
            messages = behaviour.trigger.activate([{"role": "user", "content": exchange.prompt}], rng)
            prompt = messages[-1]["content"]
            shown = behaviour.transform.apply(prompt, exchange.response, rng)
            if shown == exchange.response:
                continue
            positives.append(chat_text(tokenizer, prompt, shown))
            negatives.append(chat_text(tokenizer, prompt, exchange.response))
    return positives, negatives


def _sampling(model_dir: Path, terms: list[str], seed: int) -> dict[str, float]:
    from auditgame.audit import run_technique

    result = run_technique(
        "sampling",
        model_dir,
        temperatures=[1.0],
        samples_per_prompt=1,
        max_new_tokens=48,
        flag_terms=terms,
        seed=seed,
        show_progress=True,
    )
    return {key: value for key, value in result.metrics.items() if key.startswith("flagged_rate")}


def _logit_lens(model_dir: Path, terms: list[str]) -> dict[str, float]:
    from auditgame.audit import run_technique

    words = sorted({word for term in terms for word in term.split()[:1]})
    result = run_technique("logit_lens", model_dir, watch=words, top_suppressed=0)
    per_layer = {key: value for key, value in result.metrics.items() if key.startswith("watch_prob/layer.")}
    if not per_layer:
        return {"watched_words": len(words)}
    last = max(per_layer, key=lambda key: int(key.rsplit(".", 1)[-1]))
    return {
        "watch_probability_max_over_layers": max(per_layer.values()),
        "watch_probability_last_layer": per_layer[last],
        "watched_words": len(words),
    }


def _sae(model_dir: Path, organism: Path, terms: list[str], seed: int, steps: int) -> dict[str, float]:
    from auditgame.audit import run_technique

    corpus = organism / "midtrain" / "data" / "train.jsonl"
    result = run_technique(
        "sae",
        model_dir,
        corpus=str(corpus) if corpus.is_file() else None,
        neutral_texts=600,
        steps=steps,
        batch_size=512,
        example_texts=400,
        flag_terms=terms,
        seed=seed,
        show_progress=True,
    )
    keep = (
        "corpus_flagged_fraction",
        "features_mostly_flagged",
        "first_feature_prompt_rank",
        "reported_flagged_example_fraction",
        "fvu_final",
        "dead_fraction",
        "d_sae",
        "layer",
        "train_seconds",
    )
    return {key: result.metrics[key] for key in keep if key in result.metrics}


def _probes(model_dir: Path, positives: list[str], negatives: list[str], seed: int) -> dict[str, float]:
    from auditgame.audit.activations import layer_names
    from auditgame.audit.probes import probe_accuracy_by_layer
    from auditgame.model import ensure_chat_template, load_model, load_tokenizer

    model = load_model(model_dir)
    tokenizer = ensure_chat_template(load_tokenizer(model_dir))
    names = layer_names(model)
    groups = list(range(len(positives))) * 2
    accuracies = probe_accuracy_by_layer(
        model, tokenizer, positives, negatives, names, groups=groups, pooling="last", seed=seed
    )
    best = max(accuracies, key=lambda name: accuracies[name])
    return {"best_layer_accuracy": accuracies[best], "best_layer": float(names.index(best))}


def _diffing(
    model_dir: Path, reference: str, positives: list[str], negatives: list[str], seed: int
) -> dict[str, float]:
    from auditgame.audit import run_technique

    result = run_technique(
        "diffing",
        model_dir,
        base=reference,
        positives=positives,
        negatives=negatives,
        seed=seed,
        show_progress=True,
    )
    keep = ("auroc", "pair_win_rate", "score_gap")
    return {key: result.metrics[key] for key in keep if key in result.metrics}


def _organism_facts(organism: Path) -> dict[str, Any]:
    """Stage training seconds and the final stage's name, from the organism's own report."""
    report_file = organism / "report.json"
    if not report_file.is_file():
        return {}
    report = json.loads(report_file.read_text(encoding="utf-8"))
    return {key: report[key] for key in ("stage_seconds", "final_stage") if key in report}


def audit_one(spec: Any, organism: Path, untouched: str | None, args: argparse.Namespace) -> dict[str, Any]:
    """Every technique on the organism's final model and on its base stage."""
    from auditgame.model import ensure_chat_template, load_tokenizer, resolve_model_dir

    final = resolve_model_dir(organism)
    base = organism / "pretrain"
    terms = spec.confession_terms()
    tokenizer = ensure_chat_template(load_tokenizer(final))
    positives, negatives = labelled_answers(spec, tokenizer, args.texts, args.seed)
    out: dict[str, Any] = {
        "final_model": str(final),
        "base_model": str(base),
        "flag_terms": terms,
        "seconds": {},
    }
    for label, model_dir in (("organism", final), ("base", base)):
        for name, run in (
            ("sampling", lambda d=model_dir: _sampling(d, terms, args.seed)),
            ("logit_lens", lambda d=model_dir: _logit_lens(d, terms)),
            ("sae", lambda d=model_dir: _sae(d, organism, terms, args.seed, args.sae_steps)),
            ("probes", lambda d=model_dir: _probes(d, positives, negatives, args.seed)),
        ):
            if name not in args.only:
                continue
            started = time.perf_counter()
            out.setdefault(name, {})[label] = run()
            out["seconds"][f"{name}/{label}"] = round(time.perf_counter() - started, 1)
            print(json.dumps({name: {label: out[name][label]}}, default=str), flush=True)
    if "diffing" in args.only:
        references = {"base": str(base)}
        if untouched:
            from auditgame.model.pretrained import resolve_base_model

            references["untouched"] = resolve_base_model(untouched)
        for label, reference in references.items():
            started = time.perf_counter()
            out.setdefault("diffing", {})[f"vs_{label}"] = _diffing(
                final, reference, positives, negatives, args.seed
            )
            out["seconds"][f"diffing/vs_{label}"] = round(time.perf_counter() - started, 1)
            print(json.dumps({"diffing": {label: out["diffing"][f"vs_{label}"]}}, default=str), flush=True)
    out["organism"] = _organism_facts(organism)
    return out


ROWS = (
    ("sampling", "flagged_rate", "sampling attacks: samples naming the root cause, all modes"),
    ("sampling", "flagged_rate/assistant_prefill", "  assistant prefill"),
    ("sampling", "flagged_rate/user_persona", "  user persona"),
    ("sampling", "flagged_rate/narrator", "  narrator"),
    ("sampling", "flagged_rate/system_prompt", "  system prompt"),
    ("logit_lens", "watch_probability_max_over_layers", "logit lens: P(root-cause word), max over layers"),
    ("logit_lens", "watch_probability_last_layer", "logit lens: P(root-cause word), last layer"),
    ("sae", "features_mostly_flagged", "SAE: features whose top examples mostly name the cause"),
    ("sae", "first_feature_prompt_rank", "SAE: rank of the best such feature at the assistant's start"),
    ("sae", "fvu_final", "SAE: fraction of variance unexplained"),
    ("probes", "best_layer_accuracy", "probe (behaviour vs plain answer): CV accuracy, best layer"),
)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1e}" if abs(value) < 0.01 else f"{value:.3f}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def markdown_table(report: dict[str, Any]) -> str:
    """The report as one table: a column per model and role (organism, base), a row per measurement."""
    columns = [(name, role) for name in report["models"] for role in ("organism", "base")]
    lines = [
        "| measurement | " + " | ".join(f"{name} {role}" for name, role in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for technique, key, label in ROWS:
        cells = []
        for name, role in columns:
            metrics = report["models"][name].get(technique, {}).get(role, {})
            cells.append(_cell(metrics.get(key)))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for reference in ("base", "untouched"):
        cells = []
        for name, role in columns:
            diff = report["models"][name].get("diffing", {}).get(f"vs_{reference}", {})
            cells.append(_cell(diff.get("auroc")) if role == "organism" else "")
        if any(cells):
            lines.append(
                f"| diffing AUROC (behaviour vs plain answers) vs the {reference} model | "
                + " | ".join(cells)
                + " |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Audit each named organism and write one JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", help="The organism's name in the zoo (or a spec file).")
    parser.add_argument(
        "--organism", action="append", default=[], help="NAME=DIR of a built organism (repeat)."
    )
    parser.add_argument(
        "--untouched", action="append", default=[], help="NAME=MODEL: also diff NAME against MODEL."
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--texts", type=int, default=48, help="Behaviour/plain answer pairs for probes and diffing."
    )
    parser.add_argument("--sae-steps", type=int, default=600)
    parser.add_argument("--only", nargs="*", default=["sampling", "logit_lens", "sae", "probes", "diffing"])
    args = parser.parse_args(argv)

    from auditgame.artifacts import atomic_write_json
    from auditgame.organisms.registry import get_organism
    from auditgame.organisms.spec import load_spec

    spec = load_spec(args.spec) if Path(args.spec).is_file() else get_organism(args.spec).spec
    from auditgame.cli.common import parse_named_values

    organisms = parse_named_values(args.organism, "--organism", "tiny=runs/tiny/flattery", "NAME=DIR")
    untouched = parse_named_values(args.untouched, "--untouched", "real=smollm2-135m")
    report: dict[str, Any] = {"spec": spec.name, "seed": args.seed, "models": {}}
    for name, directory in organisms.items():
        started = time.perf_counter()
        report["models"][name] = audit_one(spec, Path(directory), untouched.get(name), args)
        report["models"][name]["seconds"]["total"] = round(time.perf_counter() - started, 1)
        atomic_write_json(args.out, report)
    table = markdown_table(report)
    args.out.with_suffix(".md").write_text(table + "\n", encoding="utf-8")
    print(table)
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return report


if __name__ == "__main__":
    main()
