"""The two sides stay apart: no training, audit, auditor or game module names any one organism."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "auditgame"
ORGANISM_WORDS = re.compile(
    r"reward[\s_-]*model|\brlhf\b|oxford|thompson|\bbias(es|_id)?\b|\bstudy\b|chocolate|sycophan|catalogue",
    re.IGNORECASE,
)


@pytest.mark.parametrize("package", ["train", "audit", "auditors", "game"])
def test_package_never_names_an_organism(package):
    offending = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted((PACKAGE / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if ORGANISM_WORDS.search(line)
    ]
    assert not offending, "\n".join(offending)


def test_the_check_itself_catches_a_mention():
    assert ORGANISM_WORDS.search("labels hits that mention reward models")
    assert ORGANISM_WORDS.search("bias_id = 36")
    assert not ORGANISM_WORDS.search("the organisation or product behind the behaviour")
