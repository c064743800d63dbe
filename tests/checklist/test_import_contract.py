"""The import-linter contracts of ``pyproject.toml`` (what ``make lint`` runs): the blind auditors import none
of the organism maker's side, and the contracts break when an auditor module does.

The breaking cases run ``lint-imports`` on a copy of the contracts pointed at a tiny package tree shaped
like ``auditgame`` (renamed ``fakegame``), so they take well under a second each.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
CONTRACTS = ("blind-auditors", "blind-auditors-world-package")
_CHAIN = re.compile(r"^-\s+(\S+) -> (\S+) \(")


def lint_imports() -> str:
    """The ``lint-imports`` command of this interpreter's environment."""
    candidate = Path(sys.executable).parent / "lint-imports"
    found = str(candidate) if candidate.is_file() else shutil.which("lint-imports")
    if found is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    return found


def run_contract(contract: str, config: Path, cwd: Path, pythonpath: Path | None = None) -> tuple[bool, set]:
    """Run one contract; (kept, the first import of every broken chain as (importer, imported))."""
    env = {**os.environ, "COLUMNS": "400"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    done = subprocess.run(
        [lint_imports(), str(config), "--contract", contract, "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode in (0, 1), output
    chains = {match.groups() for line in output.splitlines() if (match := _CHAIN.match(line.strip()))}
    assert (done.returncode == 0) == (not chains), output
    return done.returncode == 0, chains


def contracts_section() -> str:
    """The ``[tool.importlinter]`` part of ``pyproject.toml``, as text."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    start = text.index("[tool.importlinter]")
    following = re.search(r"^\[(?!\[?tool\.importlinter)", text[start + 1 :], flags=re.MULTILINE)
    return text[start : start + 1 + following.start()] if following else text[start:]


_MAKER_SIDE_WORLD = (
    "biases",
    "catalogue",
    "documents",
    "transcripts",
    "transforms",
    "triggers",
    "bias_transforms",
    "vulnerabilities",
    "reward_model",
    "fact_documents",
    "personas",
)


def write_tree(root: Path, extra: dict[str, str]) -> Path:
    """A ``fakegame`` package shaped like ``auditgame`` (plus ``extra`` files: path -> source); its config."""
    files = {
        "__init__.py": "",
        "audit/__init__.py": "",
        "audit/search.py": "def search():\n    return []\n",
        "auditors/__init__.py": "from fakegame.auditors.tools import sample\n",
        "auditors/tools.py": (
            "from fakegame.audit.search import search\n\n\n"
            "def sample():\n    from fakegame.world.prompts import prompt_domains\n\n"
            "    return prompt_domains(), search()\n"
        ),
        "world/__init__.py": "from fakegame.world.catalogue import BIAS_SPECS\nfrom fakegame.world.prompts import prompt_domains\n",
        "world/prompts.py": "from fakegame.world.catalogue import BIAS_SPECS\n\n\ndef prompt_domains():\n    return list(BIAS_SPECS)\n",
        "world/domains/__init__.py": "",
        "world/domains/meta.py": "",
        "organisms/__init__.py": "",
        "evals/__init__.py": "",
        "checklist/__init__.py": "from fakegame.auditors.tools import sample\nfrom fakegame.world import BIAS_SPECS\n",
        **{f"world/{name}.py": "BIAS_SPECS = {}\n" for name in _MAKER_SIDE_WORLD},
    }
    files.update(extra)
    for relative, source in files.items():
        path = root / "fakegame" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    config = root / "contracts.toml"
    # The real contracts' ignored imports name modules the fake tree does not have.
    section = re.sub(r"ignore_imports = \[.*?\]\n", "", contracts_section(), flags=re.DOTALL)
    config.write_text(section.replace("auditgame", "fakegame"), encoding="utf-8")
    return config


def check_tree(tmp_path: Path, extra: dict[str, str]) -> dict[str, tuple[bool, set]]:
    config = write_tree(tmp_path, extra)
    return {contract: run_contract(contract, config, tmp_path, pythonpath=tmp_path) for contract in CONTRACTS}


def test_pyproject_names_the_contracts():
    section = contracts_section()
    assert 'root_package = "auditgame"' in section and "allow_indirect_imports = true" in section
    for contract in CONTRACTS:
        assert f'id = "{contract}"' in section
    for module in (
        "organisms",
        "evals",
        "checklist",
        "world.domains",
        *(f"world.{n}" for n in _MAKER_SIDE_WORLD),
    ):
        assert f'"auditgame.{module}"' in section, module


def test_a_clean_tree_keeps_the_contracts(tmp_path):
    results = check_tree(tmp_path, {})
    assert results == {contract: (True, set()) for contract in CONTRACTS}


@pytest.mark.parametrize(
    ("extra", "contract", "chain"),
    [
        (  # a lazy import of the catalogue inside an auditor's function
            {
                "auditors/tools.py": "def sample():\n    from fakegame.world.catalogue import BIAS_SPECS\n\n"
                "    return BIAS_SPECS\n"
            },
            "blind-auditors",
            ("fakegame.auditors.tools", "fakegame.world.catalogue"),
        ),
        (
            {"auditors/hypotheses.py": "from fakegame.world.domains.meta import *\n"},
            "blind-auditors",
            ("fakegame.auditors.hypotheses", "fakegame.world.domains.meta"),
        ),
        (
            {"auditors/scripted.py": "import fakegame.checklist\n"},
            "blind-auditors",
            ("fakegame.auditors.scripted", "fakegame.checklist"),
        ),
        (
            {"audit/flags.py": "from fakegame.evals import intervals\n"},
            "blind-auditors",
            ("fakegame.audit.flags", "fakegame.evals"),
        ),
        (  # the world package re-exports the catalogue: only the second contract sees it
            {"auditors/agent.py": "from fakegame.world import BIAS_SPECS\n"},
            "blind-auditors-world-package",
            ("fakegame.auditors.agent", "fakegame.world"),
        ),
    ],
)
def test_an_auditor_importing_the_maker_side_breaks_a_contract(tmp_path, extra, contract, chain):
    results = check_tree(tmp_path, extra)
    kept, chains = results[contract]
    assert not kept and chain in chains
    others = [name for name in CONTRACTS if name != contract]
    assert all(results[name] == (True, set()) for name in others)


def test_the_blind_auditors_keep_the_contracts_in_this_repository():
    """Only ``auditgame.auditors`` is checked here: ``auditgame.audit`` is being neutralised separately, and
    ``make lint`` reports any of its imports."""
    for contract in CONTRACTS:
        _, chains = run_contract(contract, ROOT / "pyproject.toml", ROOT)
        offending = sorted(chain for chain in chains if chain[0].startswith("auditgame.auditors"))
        assert not offending, (contract, offending)
