"""Techniques see only what a real auditor would: no organism's answer may hide in ``auditgame.audit``.

Every module of the package may import from ``auditgame.world`` only the public prompt generators and
the neutral filler / transcript generators, and no source text may name the default organism's topic.
"""

import ast
import re
from pathlib import Path

import auditgame.audit

PACKAGE = Path(auditgame.audit.__file__).parent
ALLOWED = {
    "auditgame.world.prompts": {"prompt_domains", "generate_exchanges", "sample_exchanges", "get_domain"},
    "auditgame.world.filler": {"filler_documents"},
    "auditgame.world.conversations": {"neutral_conversations"},
}
TOPIC = re.compile(r"reward|rlhf|oxford|bias|study|chocolate", re.IGNORECASE)


def _modules() -> list[Path]:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 20
    return modules


def test_world_imports_are_only_neutral_generators():
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("auditgame.world"), f"{path}: import {alias.name}"
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("auditgame.world"):
                allowed = ALLOWED.get(node.module or "", set())
                names = {alias.name for alias in node.names}
                assert names <= allowed, f"{path}: from {node.module} import {sorted(names - allowed)}"


def test_no_source_names_the_organism_topic():
    for path in _modules():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not TOPIC.search(line), f"{path}:{number}: {line.strip()}"
