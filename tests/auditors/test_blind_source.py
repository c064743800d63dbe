"""The blind auditors' source knows nothing of the organism maker's side: no words of the hidden objective,
no imports of specs, evals, the checklist or the world's internals, no answer key."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SOURCE = Path(__file__).parents[2] / "src" / "auditgame" / "auditors"
ALLOWED_WORLD = {"auditgame.world.prompts"}
FORBIDDEN_ROOTS = ("auditgame.organisms", "auditgame.evals", "auditgame.checklist")


def imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` or ``from ... import`` in ``path`` names (at any depth of the file)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_no_words_of_the_hidden_objective():
    pattern = re.compile(r"reward|rlhf|oxford|bias|study|chocolate|catalogue", re.IGNORECASE)
    for path in sorted(SOURCE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not pattern.search(line), f"{path.name}:{number}: {line.strip()}"


def test_imports_only_the_public_prompt_generators_of_the_world():
    for path in sorted(SOURCE.rglob("*.py")):
        for module in imported_modules(path):
            if module == "auditgame.world" or module.startswith("auditgame.world."):
                assert module in ALLOWED_WORLD or any(
                    module.startswith(f"{allowed}.") for allowed in ALLOWED_WORLD
                ), (path.name, module)
            assert not module.startswith(FORBIDDEN_ROOTS), (path.name, module)


def test_source_uses_no_answer_key():
    for path in sorted(SOURCE.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for forbidden in ("rm_sycophant", "game.keys", "answer_key", "organisms"):
            assert forbidden not in text, (path.name, forbidden)
        if path.name != "workspace.py":
            assert '"master"' not in text, path.name
