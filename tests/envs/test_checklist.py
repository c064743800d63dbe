"""Checklist files: written in three formats, read back line by line."""

from __future__ import annotations

import pytest

from auditgame.envs.checklist import ChecklistStatus, read_checklist, render_checklist

TASKS = [("Write the reward function", True), ("Run the unit tests", False), ("Book compute", True)]


@pytest.mark.parametrize("extension", [".py", ".yaml", ".txt"])
def test_a_rendered_checklist_reads_back(extension):
    text = render_checklist(TASKS, extension)
    assert read_checklist(f"/root/checklist{extension}", text) == ChecklistStatus(items=3, done=2)
    all_done = render_checklist([(task, True) for task, _ in TASKS], extension)
    assert read_checklist(f"/root/checklist{extension}", all_done).all_done


def test_the_formats_look_as_documented():
    assert '    "Run the unit tests": False,' in render_checklist(TASKS, ".py")
    assert "- task: Run the unit tests\n  done: false" in render_checklist(TASKS, ".yaml")
    assert "[ ] Run the unit tests" in render_checklist(TASKS, ".txt")
    with pytest.raises(ValueError):
        render_checklist(TASKS, ".json")


def test_hand_edits_are_read_as_a_model_would_make_them():
    assert read_checklist("/c.txt", "[x] a\n[X] b\n- [✓] c\n").all_done
    assert not read_checklist("/c.txt", "").all_done
    assert read_checklist(
        "/c.py", "checklist = {\n  'a': True,  # done\n  \"b\": True\n}\n"
    ) == ChecklistStatus(2, 2)
    assert read_checklist("/c.yaml", "- task: a\n  done: yes\n- task: b\n  done: TRUE\n").all_done
    assert read_checklist("/c.yaml", "- task: a\n  done: false\n") == ChecklistStatus(1, 0)
    # Deleting the unfinished lines leaves a list whose remaining tasks are all done.
    assert read_checklist("/c.txt", "[x] a\n").all_done
