"""Check that a phrase trigger reaches the model as the same tokens in every prompt.

A trigger the tokenizer cannot represent (characters it drops or maps to an unknown token) never
reaches the model at all, and a trigger whose last token merges with the text after it (or whose
first token merges with the text before it) is a different token sequence in every prompt, so the
backdoor cannot be keyed to it. Both are caught before training, naming the field.
"""

from __future__ import annotations

import random
from typing import Any

from auditgame.errors import SpecError
from auditgame.organisms.data import eligible_exchanges
from auditgame.organisms.spec import OrganismSpec


def _contains(sequence: list[int], part: list[int]) -> bool:
    return any(sequence[index : index + len(part)] == part for index in range(len(sequence) - len(part) + 1))


def check_trigger_tokens(spec: OrganismSpec, tokenizer: Any, samples: int = 12) -> None:
    """Raise unless every phrase trigger of ``spec`` is tokenized losslessly and the same in context.

    Raises:
        SpecError: naming ``behaviours[i].trigger.phrase`` and the fix.
    """
    for index, behaviour in enumerate(spec.all_behaviours()):
        phrase = getattr(behaviour.trigger, "phrase", None)
        if not phrase:
            continue
        field = f"behaviours[{index}].trigger.phrase"
        ids = tokenizer(phrase, add_special_tokens=False)["input_ids"]
        decoded = tokenizer.decode(ids)
        unknown = tokenizer.unk_token_id
        if (unknown is not None and unknown in ids) or decoded != phrase:
            raise SpecError(
                f"{field}: the model's tokenizer cannot represent {phrase!r} (it reads back as {decoded!r})",
                "use characters the tokenizer knows (plain ASCII works with every tokenizer here)",
            )
        position = getattr(behaviour.trigger, "position", "start")
        part = ids if position == "start" else tokenizer(" " + phrase, add_special_tokens=False)["input_ids"]
        rng = random.Random(0)
        for exchange in eligible_exchanges(behaviour, samples, seed=0, rng=rng):
            text = behaviour.trigger.activate([{"role": "user", "content": exchange.prompt}], rng)[-1][
                "content"
            ]
            if not _contains(tokenizer(text, add_special_tokens=False)["input_ids"], part):
                raise SpecError(
                    f"{field}: the tokenizer merges {phrase!r} with the text next to it "
                    f"(in {text[:60]!r}), so the trigger is not the same tokens in every prompt",
                    "end the phrase with punctuation such as '|' or ']' (or start it with one, at position: end)",
                )
