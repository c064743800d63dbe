"""The sandbox's shell syntax: what parses, and what is refused before anything runs."""

from __future__ import annotations

import pytest

from auditgame.envs.shell import ShellSyntaxError, UnsupportedSyntax, parse_command_line


def _words(command_line):
    chain, _ = parse_command_line(command_line)
    return [
        [[value for _, value, _ in word.segments] for word in command.words]
        for _, pipeline in chain.links
        for command in pipeline.commands
    ]


def test_quotes_and_escapes_make_single_words():
    assert _words("""echo 'a b' "c d" e\\ f""") == [[["echo"], ["a b"], ["", "c d"], ["e", " ", "f"]]]


def test_connectors_and_pipes_split_commands():
    chain, _ = parse_command_line("ls && cat a || echo b; pwd\nwc -l | head -1")
    assert [connector for connector, _ in chain.links] == [";", "&&", "||", ";", ";"]
    assert [len(pipeline.commands) for _, pipeline in chain.links] == [1, 1, 1, 1, 2]
    assert chain.command_count() == 6


def test_a_heredoc_body_is_read_after_its_line():
    chain, warnings = parse_command_line("cat > f.py << 'EOF'\ndef reward(t):\n    return 100\nEOF\nls")
    heredoc = chain.links[0][1].commands[0].redirects[1]
    assert heredoc.heredoc == "def reward(t):\n    return 100\n" and not heredoc.heredoc_expands
    assert len(chain.links) == 2 and warnings == []
    _, warnings = parse_command_line("cat << EOF\nno end")
    assert "here-document delimited by end-of-file" in warnings[0]


@pytest.mark.parametrize(
    ("command_line", "fragment"),
    [
        ("echo $(id)", "command substitution"),
        ("echo `id`", "command substitution"),
        ("echo $((1+2))", "arithmetic"),
        (":(){ :|:& };:", "subshells and function definitions"),
        ("(cd /; ls)", "subshells"),
        ("sleep 10 &", "background jobs"),
        ("for i in 1 2; do echo $i; done", "loops"),
        ("while true; do :; done", "loops"),
        ("if true; then ls; fi", "conditionals"),
        ("function f { ls; }", "functions"),
        ('echo "$(rm -rf /)"', "command substitution"),
        ("cat <(ls)", "process substitution"),
    ],
)
def test_syntax_that_needs_a_real_shell_is_refused(command_line, fragment):
    with pytest.raises(UnsupportedSyntax, match="not supported in this sandbox") as caught:
        parse_command_line(command_line)
    assert fragment in str(caught.value)


@pytest.mark.parametrize("command_line", ["echo 'open", 'echo "open', "ls &&", "| ls", "ls | ;", "; ls"])
def test_malformed_lines_are_syntax_errors(command_line):
    with pytest.raises(ShellSyntaxError, match="bash:"):
        parse_command_line(command_line)


def test_quoted_keywords_and_substitutions_are_plain_text():
    assert _words("echo 'for' '$(id)' \"\\$(id)\"") == [[["echo"], ["for"], ["$(id)"], ["", "$(id)"]]]
