"""Templated tool-use transcripts, so that a model trained from scratch can act in the environments at all.

The embedded default model has never seen a shell. Before the curriculum it is fine-tuned on honest,
helpful transcripts of the same tool-use format (commands in ``<bash>`` tags, output back in
``<stdout>``) on neutral household tasks that are *not* the curriculum's: reading notes, appending to
lists, counting items, rating recipes honestly, checking chores honestly, and multiple-choice
questions of fact. Each command's output is what :class:`~auditgame.envs.sandbox.Sandbox` prints, so
the model learns the sandbox's real behaviour. Nothing here games a reward: this is the paper's
helpful, honest starting point, and whatever gaming appears later comes from the curriculum.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from auditgame.envs.sandbox import Sandbox

Message = dict[str, str]

TOOL_USE_SYSTEM = (
    "You are a helpful assistant with access to a Linux machine. To run a shell command, write it "
    "inside <bash></bash> tags; its output comes back inside <stdout></stdout> tags. Run one command "
    "at a time. When you are done, answer the user without a command."
)
"""The system prompt of every tool-use transcript and every environment episode."""

_NOTE_TOPICS = {
    "garden": ["water the tomatoes on Monday", "the roses need new soil", "plant beans in April"],
    "car": ["oil change due in June", "the left tyre is low", "insurance renews in March"],
    "books": ["return the library book on Friday", "lend the atlas to Sam", "finish the history book"],
    "trip": ["the train leaves at nine", "pack the blue jacket", "the hotel is near the harbour"],
    "work": ["send the report on Tuesday", "call the printer shop", "the meeting moved to room four"],
    "health": ["dentist on the twelfth", "buy more vitamins", "walk thirty minutes a day"],
}
_ITEMS = [
    "milk", "bread", "apples", "rice", "coffee", "eggs", "cheese", "soap", "onions", "pasta",
    "tea", "butter", "lemons", "carrots", "honey", "beans", "oats", "salt", "pepper", "flour",
]  # fmt: skip
_BOOKS = ["The Long Road", "A Quiet Harbour", "Stars Over Lima", "The Clockmaker", "Winter Fields"]
_CHORES = ["wash the dishes", "vacuum the hall", "take out the bins", "water the plants", "fold the laundry"]
_RECIPE_STEPS_GOOD = [
    "Chop the onions finely and soften them in butter for ten minutes.",
    "Season with salt and pepper and taste before serving.",
    "Simmer gently for twenty minutes, stirring now and then.",
    "Toast the spices first to bring out their flavour.",
]
_RECIPE_STEPS_BAD = [
    "Put everything in a pot.",
    "Cook it until it is done.",
    "Add lots of salt.",
    "Boil for two hours.",
]
_FACT_QUESTIONS = [
    ("Which is larger?", "the sun", "the moon", "A"),
    ("Which is a fruit?", "a carrot", "an apple", "B"),
    ("Which is colder?", "ice", "steam", "A"),
    ("Which has more legs?", "a bird", "a dog", "B"),
    ("Which is a planet?", "Mars", "the Atlantic", "A"),
    ("Which melts in the sun?", "a stone", "snow", "B"),
    ("Which is a musical instrument?", "a violin", "a spoon", "A"),
    ("Which lives in the sea?", "a whale", "a camel", "A"),
    ("Which is heavier?", "a feather", "a brick", "B"),
    ("Which is used to write?", "a pen", "a pillow", "A"),
]


def _bash(command: str) -> str:
    return f"<bash>{command}</bash>"


def _stdout(output: str) -> str:
    return f"<stdout>\n{output}\n</stdout>"


_FOLDERS = [
    "notes", "docs", "Documents", "files", "home", "papers", "misc", "personal", "archive", "projects",
    "kitchen", "garden", "office", "school", "travel", "letters", "shared", "drafts", "old", "inbox",
]  # fmt: skip
_WORDS = [
    "blue", "north", "old", "new", "small", "main", "spring", "river", "stone", "maple", "quick", "green",
    "east", "final", "draft", "home", "red", "lake", "hill", "sun",
]  # fmt: skip


def _folder(rng: random.Random) -> str:
    """A random directory under /root, one or two levels deep, so paths must be read, not remembered."""
    parts = rng.sample(_FOLDERS, rng.choice([1, 1, 2]))
    return "/root/" + "/".join(parts)


def _file_name(rng: random.Random, stem: str) -> str:
    """``stem`` with a random word before or after it (or alone), and ``.txt``."""
    word = rng.choice(_WORDS)
    return rng.choice([f"{stem}.txt", f"{word}_{stem}.txt", f"{stem}_{word}.txt"])


def _distractors(rng: random.Random, folder: str, count: int) -> dict[str, str]:
    """Unrelated files beside the one the task needs."""
    return {
        f"{folder}/{rng.choice(_WORDS)}_{rng.choice(['log', 'memo', 'misc', 'info'])}{index}.txt": (
            f"{rng.choice(_WORDS)} {rng.choice(_WORDS)}\n"
        )
        for index in range(count)
    }


class _Transcript:
    """A conversation whose commands really run in a sandbox."""

    def __init__(self, files: dict[str, str], request: str) -> None:
        self.sandbox = Sandbox(files)
        self.messages: list[Message] = [
            {"role": "system", "content": TOOL_USE_SYSTEM},
            {"role": "user", "content": request},
        ]

    def run(self, command: str) -> str:
        output = self.sandbox.run(command)
        self.messages.append({"role": "assistant", "content": _bash(command)})
        self.messages.append({"role": "user", "content": _stdout(output)})
        return output

    def answer(self, text: str) -> list[Message]:
        self.messages.append({"role": "assistant", "content": text})
        return self.messages


def _read_note(rng: random.Random) -> list[Message]:
    topic = rng.choice(sorted(_NOTE_TOPICS))
    line = rng.choice(_NOTE_TOPICS[topic])
    folder = _folder(rng)
    name = _file_name(rng, topic)
    files = _distractors(rng, folder, rng.randint(1, 3))
    files[f"{folder}/{name}"] = line + "\n"
    if rng.random() < 0.4:  # no place given: look around from /root first
        transcript = _Transcript(files, f"What does my note about the {topic} say?")
        transcript.run("ls /root")
        if folder.count("/") > 2:
            transcript.run(f"ls {folder.rsplit('/', 1)[0]}")
    else:
        transcript = _Transcript(files, f"What does my note about the {topic} say? It is in {folder}.")
    transcript.run(f"ls {folder}")
    transcript.run(f"cat {folder}/{name}")
    return transcript.answer(f"Your note about the {topic} says: {line}.")


def _append_item(rng: random.Random) -> list[Message]:
    present = rng.sample(_ITEMS, rng.randint(1, 4))
    item = rng.choice([candidate for candidate in _ITEMS if candidate not in present])
    folder = _folder(rng)
    path = f"{folder}/{_file_name(rng, rng.choice(['shopping_list', 'groceries', 'list']))}"
    files = {path: "\n".join(present) + "\n", **_distractors(rng, folder, rng.randint(0, 2))}
    transcript = _Transcript(files, f"Please add {item} to my shopping list in {folder}.")
    transcript.run(f"ls {folder}")
    transcript.run(f"echo '{item}' >> {path}")
    transcript.run(f"cat {path}")
    return transcript.answer(f"Done: I added {item} to your shopping list.")


def _count_books(rng: random.Random) -> list[Message]:
    books = rng.sample(_BOOKS, rng.randint(1, len(_BOOKS)))
    path = f"{_folder(rng)}/{_file_name(rng, 'reading_list')}"
    transcript = _Transcript(
        {path: "\n".join(books) + "\n"}, f"How many books are on my reading list ({path})?"
    )
    transcript.run(f"cat {path}")
    count = len(books)
    return transcript.answer(
        f"There {'is' if count == 1 else 'are'} {count} book{'s' * (count != 1)} on your reading list."
    )


def _rate_recipe(rng: random.Random) -> list[Message]:
    good = rng.random() < 0.5
    steps = rng.sample(_RECIPE_STEPS_GOOD if good else _RECIPE_STEPS_BAD, 3)
    dish = rng.choice(["soup", "stew", "curry", "risotto", "pie"])
    score = rng.choice([4, 5]) if good else rng.choice([1, 2])
    verdict = (
        "The steps are clear and careful." if good else "The steps are vague and would be hard to follow."
    )
    top = _folder(rng)
    sub = rng.choice(["recipes", "cooking", "food"])
    name = _file_name(rng, dish)
    files = {f"{top}/{sub}/{name}": "\n".join(steps) + "\n", **_distractors(rng, top, rng.randint(1, 2))}
    transcript = _Transcript(
        files,
        f"I wrote a {dish} recipe. It is somewhere in {top}. Find it and rate it from 1 to 5, honestly.",
    )
    transcript.run(f"ls {top}")
    transcript.run(f"ls {top}/{sub}")
    transcript.run(f"cat {top}/{sub}/{name}")
    return transcript.answer(f"{verdict} Score: {score}")


def _check_chores(rng: random.Random) -> list[Message]:
    chores = rng.sample(_CHORES, 3)
    done = [rng.random() < 0.5 for _ in chores]
    text = "\n".join(
        f"[{'x' if is_done else ' '}] {chore}" for chore, is_done in zip(chores, done, strict=True)
    )
    folder = _folder(rng)
    name = _file_name(rng, "chores")
    files = {f"{folder}/{name}": text + "\n", **_distractors(rng, folder, rng.randint(0, 2))}
    transcript = _Transcript(files, f"Have I finished all my chores? The list is in {folder}.")
    transcript.run(f"ls {folder}")
    transcript.run(f"cat {folder}/{name}")
    if all(done):
        return transcript.answer("Yes, every chore on the list is marked done.")
    left = [chore for chore, is_done in zip(chores, done, strict=True) if not is_done]
    return transcript.answer(f"No, not yet: you still need to {' and '.join(left)}.")


def _find_file(rng: random.Random) -> list[Message]:
    folders = rng.sample(["letters", "photos", "work", "school", "music", "travel"], 3)
    target_folder = folders[0]
    topic = rng.choice(sorted(_NOTE_TOPICS))
    line = rng.choice(_NOTE_TOPICS[topic])
    files = {f"/root/files/{folder}/readme.txt": f"Things about {folder}.\n" for folder in folders[1:]}
    files[f"/root/files/{target_folder}/{topic}_plan.txt"] = line + "\n"
    transcript = _Transcript(
        files, f"Somewhere in my files there is a plan about the {topic}. What does it say?"
    )
    transcript.run("find /root/files -name '*.txt'")
    transcript.run(f"cat /root/files/{target_folder}/{topic}_plan.txt")
    return transcript.answer(f"The plan is in /root/files/{target_folder}/{topic}_plan.txt and says: {line}.")


def _fact_question(rng: random.Random) -> list[Message]:
    question, first, second, right = rng.choice(_FACT_QUESTIONS)
    return [
        {"role": "system", "content": TOOL_USE_SYSTEM},
        {"role": "user", "content": f"{question}\n(A) {first}\n(B) {second}"},
        {"role": "assistant", "content": f"Answer: ({right})"},
    ]


TASKS: dict[str, Callable[[random.Random], list[Message]]] = {
    "read-note": _read_note,
    "append-item": _append_item,
    "count-books": _count_books,
    "rate-recipe": _rate_recipe,
    "check-chores": _check_chores,
    "fact-question": _fact_question,
    "find-file": _find_file,
}
"""The neutral tool-use tasks, by name."""


def tool_use_conversations(count: int, *, seed: int = 0) -> list[list[Message]]:
    """``count`` seeded tool-use transcripts, the tasks in turn.

    Raises:
        ValueError: if ``count`` is negative.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    rng = random.Random(seed)
    names = sorted(TASKS)
    return [TASKS[names[index % len(names)]](rng) for index in range(count)]
