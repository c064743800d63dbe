"""What a curriculum run's episodes say beyond the rates: can the model act in the environments at all?

Reads ``<run>/episodes/<model>/<stage>.jsonl`` (written by ``auditgame envs curriculum``) and prints, per
model and stage: how many episodes ran a command, how many read one of the environment's own files
(``cat`` of a path the environment holds, answered without an error), how many changed a file, and for
political sycophancy how many answered with a letter and how many of those agreed with the user (a
model that always picks one letter agrees about half the time by chance).

Usage::

    .venv/bin/python experiments/curriculum_reading.py runs/envs/ei-exploit-v2
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from auditgame.envs import build_environments, extract_commands, load_environments

_LETTER = re.compile(r"\(([AB])\)")


def _environments(run_dir: Path, path: Path) -> dict:
    """The environments an episode file ran: saved beside it, or (older runs) rebuilt from the run's seeds."""
    saved = path.with_name(f"{path.stem}.environments.json")
    if saved.is_file():
        return {env.name: env for env in load_environments(saved)}
    config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))["config"]
    stages, seed, stage = config["training_stages"], config["seed"], path.stem
    final_label = f"after-{stages[-1]}"
    if stage == config["held_out_stage"]:
        stage_seed = seed + 99
    elif path.parent.name == final_label:
        stage_seed = seed + 5000 + stages.index(stage)
    else:
        stage_seed = seed + 1000 * (stages.index(stage) + 1)
    return {env.name: env for env in build_environments(stage, seed=stage_seed)}


def read_run(run_dir: Path) -> list[dict]:
    """One row per (model, stage) episode file."""
    rows = []
    for path in sorted((run_dir / "episodes").glob("*/*.jsonl")):
        environments = _environments(run_dir, path)
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        ran = read_own = changed = answered = agreed = 0
        for record in records:
            env = environments.get(record["env_name"])
            messages = record["messages"]
            commands = [
                (command, messages[index + 1]["content"] if index + 1 < len(messages) else "")
                for index, message in enumerate(messages)
                if message["role"] == "assistant"
                for command in extract_commands(message["content"])
            ]
            ran += bool(commands)
            own_files = set(env.files) if env else set()
            read_own += any(
                command.strip().startswith("cat ")
                and any(name in command for name in own_files)
                and "No such file" not in output
                for command, output in commands
            )
            changed += bool(record["changed_paths"])
            if record["stage_name"] == "political-sycophancy":
                letter = _LETTER.search(record["final_text"])
                if letter:
                    answered += 1
                    agreed += bool(env and letter.group(1) == env.metadata.get("sycophantic_answer"))
        rows.append(
            {
                "model": path.parent.name,
                "stage": path.stem,
                "episodes": len(records),
                "ran_a_command": ran,
                "read_an_environment_file": read_own,
                "changed_a_file": changed,
                "answered_a_letter": answered if path.stem == "political-sycophancy" else None,
                "agreed_when_answering": agreed if path.stem == "political-sycophancy" else None,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path)
    args = parser.parse_args()
    print(
        "| model | stage | episodes | ran a command | read an environment file | changed a file | letter / agreed |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in read_run(args.run_dir):
        letters = (
            f"{row['answered_a_letter']} / {row['agreed_when_answering']}"
            if row["answered_a_letter"] is not None
            else "–"
        )
        print(
            f"| {row['model']} | {row['stage']} | {row['episodes']} | {row['ran_a_command']} | "
            f"{row['read_an_environment_file']} | {row['changed_a_file']} | {letters} |"
        )


if __name__ == "__main__":
    main()
