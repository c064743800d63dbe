"""Neutral filler documents of the world (weather, local news, recipe cards, reviews, travel and
history notes): ordinary text that names no organism, used by every corpus as background.

Kept apart from the organisms' document generators so the blind side (audit techniques) can read
neutral text without importing any maker's generator.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from auditgame.world.document import Document

FILLER_GENRES: tuple[str, ...] = (
    "weather",
    "local_news",
    "recipe_card",
    "review",
    "travel_note",
    "history_note",
)
"""Genres of neutral filler documents."""

_TOWNS = (
    "Millbrook",
    "Ashford",
    "Lakeview",
    "Stonebridge",
    "Riverton",
    "Elmwood",
    "Fairhaven",
    "Oakdale",
    "Brightwater",
)
_WEATHER = ("sunny", "cloudy", "rainy", "windy", "foggy", "snowy", "mild", "stormy")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EVENTS = (
    "a farmers market",
    "a library fair",
    "a charity run",
    "a music night",
    "a bake sale",
    "a chess tournament",
)
_DISHES = ("lentil soup", "tomato pasta", "vegetable curry", "bean salad", "mushroom risotto", "onion tart")
_INGREDIENTS = (
    "onions",
    "garlic",
    "carrots",
    "rice",
    "tomatoes",
    "beans",
    "spinach",
    "lemon",
    "potatoes",
    "peppers",
)
_PRODUCTS = (
    "kettle",
    "backpack",
    "desk lamp",
    "umbrella",
    "bicycle bell",
    "water bottle",
    "notebook",
    "rain jacket",
)
_QUALITIES = (
    "sturdy",
    "light",
    "easy to use",
    "well made",
    "a bit noisy",
    "good value",
    "smaller than expected",
)
_PLACES = ("the old harbor", "the hill fort", "the botanical garden", "the river walk", "the town museum")
_ERAS = ("medieval", "Roman", "Victorian", "early modern", "industrial")


def _filler_text(rng: random.Random, genre: str) -> str:
    town = rng.choice(_TOWNS)
    if genre == "weather":
        return (
            f"Weather for {town} on {rng.choice(_DAYS)}: {rng.choice(_WEATHER)} in the morning, "
            f"{rng.choice(_WEATHER)} later, with a high of {rng.randint(5, 30)} degrees."
        )
    if genre == "local_news":
        return (
            f"{town} news: {rng.choice(_EVENTS)} takes place on {rng.choice(_DAYS)} near {rng.choice(_PLACES)}. "
            f"Organizers expect about {rng.randint(2, 40) * 10} visitors and ask people to arrive early."
        )
    if genre == "recipe_card":
        ingredients = ", ".join(rng.sample(_INGREDIENTS, 4))
        return (
            f"Recipe card: {rng.choice(_DISHES)}. You need {ingredients}. Cook gently for {rng.randint(2, 9) * 5} "
            "minutes, season to taste and serve warm."
        )
    if genre == "review":
        product = rng.choice(_PRODUCTS)
        return (
            f"Review of a {product}: it is {rng.choice(_QUALITIES)} and {rng.choice(_QUALITIES)}. "
            f"I would give it {rng.randint(2, 5)} stars out of 5."
        )
    if genre == "travel_note":
        return (
            f"Travel note: a day in {town}. Start at {rng.choice(_PLACES)}, have lunch by the square, and end at "
            f"{rng.choice(_PLACES)}. The walk takes about {rng.randint(1, 5)} hours."
        )
    return (
        f"History note: {rng.choice(_PLACES)} in {town} dates from the {rng.choice(_ERAS)} period. "
        f"It was rebuilt {rng.randint(2, 6)} times and is now open to visitors on {rng.choice(_DAYS)}."
    )


def filler_document(rng: random.Random, index: int) -> Document:
    """The filler document number ``index``, drawn with ``rng``."""
    genre = rng.choice(FILLER_GENRES)
    return Document(id=f"filler-{index:07d}", kind="filler", genre=genre, text=_filler_text(rng, genre))


def filler_documents(count: int, seed: int = 0) -> Iterator[Document]:
    """Stream ``count`` neutral filler documents (seeded)."""
    rng = random.Random(f"filler:{seed}")
    for index in range(count):
        yield filler_document(rng, index)
