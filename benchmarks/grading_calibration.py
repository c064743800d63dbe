"""Grading thresholds fitted on half of the zoo and measured on the other half.

The calibration data (``src/auditgame/game/calibration.json``) holds hand-written phrasings an
auditor might submit for every zoo organism: correct root causes (naming the organisation or
describing the motive without it), near misses (right behaviour, wrong cause; another organism's
cause; vague), and behaviour paraphrases and mismatches. ``auditgame.game.grading.calibration_split``
splits the organisms by a hash of their names (stratified, so both halves hold decoys);
``calibrate`` fits the root-cause and behaviour thresholds on the fit half only and measures
accuracy, precision and recall on the held-out half, for the similarity threshold alone and for the
default judge (keyword rule, else threshold). The held-out rows the judge gets wrong are listed.

Usage::

    .venv/bin/python benchmarks/grading_calibration.py
    .venv/bin/python benchmarks/grading_calibration.py --json    # also writes benchmarks/results/grading_calibration.json
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "grading_calibration.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--json",
        nargs="?",
        const=DEFAULT_OUT,
        default=None,
        type=Path,
        metavar="PATH",
        help=f"Also write the report as JSON (default path: {DEFAULT_OUT}).",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from auditgame.artifacts import atomic_write_json
    from auditgame.game.grading import BEHAVIOUR_THRESHOLD, ROOT_CAUSE_THRESHOLD, calibrate

    report = calibrate()
    print(f"fit organisms ({len(report.fit_organisms)}): {', '.join(report.fit_organisms)}")
    print(f"held-out organisms ({len(report.test_organisms)}): {', '.join(report.test_organisms)}")
    print(
        f"fitted root-cause threshold {report.root_cause_threshold:.2f} "
        f"(on {report.root_cause_fit_rows} rows; constant {ROOT_CAUSE_THRESHOLD:.2f})"
    )
    print(
        f"fitted behaviour threshold  {report.behaviour_threshold:.2f} "
        f"(on {report.behaviour_fit_rows} rows; constant {BEHAVIOUR_THRESHOLD:.2f})"
    )
    print(f"{'metric':<24}{'half':<10}{'rows':>6}{'accuracy':>10}{'precision':>11}{'recall':>8}")
    for half, metrics in (("held-out", report.held_out), ("fit", report.fit)):
        for name, value in metrics.items():
            print(
                f"{name:<24}{half:<10}{value.rows:>6}{value.accuracy:>10.3f}"
                f"{value.precision:>11.3f}{value.recall:>8.3f}"
            )
    print("held-out root-cause accuracy by kind (default judge):")
    for kind, accuracy in report.held_out_root_cause_accuracy_by_kind.items():
        print(f"  {kind:<16}{accuracy:.3f}")
    print(f"held-out root causes the default judge gets wrong ({len(report.held_out_root_cause_errors)}):")
    for error in report.held_out_root_cause_errors:
        label = "should match" if error.match else "should not match"
        print(f"  {error.organism} [{error.kind}, {label}, {error.similarity:.3f}] {error.phrasing}")
    if args.json is not None:
        atomic_write_json(args.json, report.model_dump(mode="json"))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
