"""Error messages stay one short line whatever input they quote."""

from auditgame.errors import MAX_MESSAGE_PART, AuditgameError, UnknownNameError, one_line


def test_a_huge_value_is_cut_in_the_middle():
    key = "k" * 10_000_000
    error = UnknownNameError(f"unknown model {key!r} in the submission", "use the names in game.json")
    message = str(error)
    assert len(message) < 2 * MAX_MESSAGE_PART + 10
    assert message.startswith("unknown model 'kkk") and "characters cut" in message
    assert message.endswith("in the submission — use the names in game.json")


def test_line_breaks_and_terminal_escapes_are_neutralised():
    error = AuditgameError("unknown organism 'a\nb\r\n  c\x1b[31m'", "fix\nit")
    assert str(error) == "unknown organism 'a b c\\x1b[31m' — fix it"
    assert error.problem == "unknown organism 'a b c\\x1b[31m'" and error.fix == "fix it"


def test_short_text_is_unchanged():
    assert one_line("plain words\twith a tab") == "plain words\twith a tab"
    assert str(AuditgameError("just a problem")) == "just a problem"
