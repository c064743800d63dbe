"""The shell syntax the sandbox understands: a command line parsed into chains of pipelines of commands.

A small, pure subset of bash: words with single quotes, double quotes, backslashes and ``$'…'``; ``$NAME``
and ``${NAME}`` variables (expanded when the command runs); ``~``; globs (``*``, ``?``, ``[…]``, expanded
against the sandbox's files); pipes ``|``; ``&&``, ``||``, ``;`` and newlines; redirections ``> >> < 2>
2>> &> 2>&1 >&2`` and ``<<< word``; here-documents (``<< EOF``, ``<< 'EOF'``, ``<<- EOF``).

Everything that would need a real shell is refused while parsing, before anything runs: command
substitution (``$(…)``, backticks), arithmetic (``$((…))``), subshells and functions (``(`` ``)``),
background jobs (``&``), and the keywords of loops and conditionals. :class:`UnsupportedSyntax` carries the
message the sandbox prints; :class:`ShellSyntaxError` is a malformed line (an unmatched quote).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "Chain",
    "Command",
    "Pipeline",
    "Redirect",
    "ShellSyntaxError",
    "UnsupportedSyntax",
    "Word",
    "parse_command_line",
]

_KEYWORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "function",
     "select", "{", "}", "[[", "]]", "coproc", "time"}
)  # fmt: skip
_OPERATOR_CHARS = frozenset("|&;<>()\n")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=")
_ANSI_C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "v": "\v",
                   "\\": "\\", "'": "'", '"': '"', "0": "\0"}  # fmt: skip


class ShellSyntaxError(Exception):
    """A malformed command line; ``str()`` is bash's message."""


class UnsupportedSyntax(Exception):
    """Syntax that needs a real shell, refused before anything runs; ``str()`` is the message printed."""


@dataclass
class Word:
    """One shell word as written: literal text and variables, each remembered as quoted or not."""

    segments: list[tuple[str, str, bool]] = field(default_factory=list)
    """``(kind, value, quoted)`` with kind ``text`` or ``var`` (a variable's name)."""

    def add_text(self, text: str, quoted: bool) -> None:
        """Append literal text."""
        if text:
            self.segments.append(("text", text, quoted))

    def literal(self) -> str | None:
        """The word's text if it holds no variable, else ``None``."""
        if any(kind == "var" for kind, _, _ in self.segments):
            return None
        return "".join(value for _, value, _ in self.segments)

    @property
    def fully_unquoted(self) -> bool:
        """Whether no part of the word was quoted (so it may be a keyword or an assignment)."""
        return all(not quoted for _, _, quoted in self.segments)


@dataclass
class Redirect:
    """A redirection of file descriptor ``fd``: to or from a file, a duplicate, or a here-document."""

    fd: int
    operator: str
    """One of ``>``, ``>>``, ``<``, ``<<`` (here-document), ``<<<`` (here-string), ``>&`` (duplicate)."""
    target: Word | None = None
    """The file (``>``, ``>>``, ``<``) or the here-string."""
    duplicate: int | None = None
    """For ``>&``: the descriptor copied (``2>&1`` copies 1 onto 2)."""
    heredoc: str | None = None
    """For ``<<``: the document's text."""
    heredoc_expands: bool = False
    """Whether the here-document's delimiter was unquoted (so ``$NAME`` in it expands)."""


@dataclass
class Command:
    """A simple command: its words (the first is the program), leading assignments and redirections."""

    words: list[Word] = field(default_factory=list)
    assignments: list[tuple[str, Word]] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Pipeline:
    """Commands joined by ``|``: each one's output is the next one's input."""

    commands: list[Command] = field(default_factory=list)


@dataclass
class Chain:
    """Pipelines joined by ``&&``, ``||`` and ``;``: ``links[i]`` is ``(connector, pipeline)``."""

    links: list[tuple[str, Pipeline]] = field(default_factory=list)

    def command_count(self) -> int:
        """How many simple commands the chain holds."""
        return sum(len(pipeline.commands) for _, pipeline in self.links)


@dataclass
class _Operator:
    text: str


@dataclass
class _PendingHeredoc:
    redirect: Redirect
    delimiter: str
    strip_tabs: bool


class _Lexer:
    """Splits a command line into words and operators, reading here-documents at the ends of lines."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.tokens: list[Word | _Operator | Redirect] = []
        self.pending: list[_PendingHeredoc] = []
        self.warnings: list[str] = []

    def run(self) -> list[Word | _Operator | Redirect]:
        text = self.text
        while self.position < len(text):
            character = text[self.position]
            if character in " \t\r":
                self.position += 1
            elif character == "\\" and text.startswith("\\\n", self.position):
                self.position += 2
            elif character == "\n":
                self.tokens.append(_Operator("\n"))
                self.position += 1
                self.read_heredocs()
            elif character == "#":
                end = text.find("\n", self.position)
                self.position = len(text) if end < 0 else end
            elif self.try_redirect():
                continue
            elif character in _OPERATOR_CHARS:
                self.operator()
            else:
                self.tokens.append(self.word())
        if self.pending:
            for heredoc in self.pending:
                heredoc.redirect.heredoc = ""
                self.warnings.append(
                    f"bash: warning: here-document delimited by end-of-file (wanted `{heredoc.delimiter}')"
                )
            self.pending = []
        return self.tokens

    def operator(self) -> None:
        text, position = self.text, self.position
        two = text[position : position + 2]
        if two in ("&&", "||"):
            self.tokens.append(_Operator(two))
            self.position += 2
            return
        character = text[position]
        if character == ";":
            if two == ";;":
                raise UnsupportedSyntax("bash: 'case' statements are not supported in this sandbox")
            self.tokens.append(_Operator(";"))
        elif character == "|":
            self.tokens.append(_Operator("|"))
        elif character == "&":
            raise UnsupportedSyntax("bash: background jobs (&) are not supported in this sandbox")
        elif character in "()":
            raise UnsupportedSyntax(
                "bash: subshells and function definitions ( ... ) are not supported in this sandbox"
            )
        else:  # a lone < or > that try_redirect did not take: cannot happen, kept for safety
            raise ShellSyntaxError(f"bash: syntax error near unexpected token `{character}'")
        self.position += 1

    def try_redirect(self) -> bool:
        """Read a redirection operator (with an optional leading descriptor number) and its target."""
        text = self.text
        match = re.compile(r"(\d*)(&>>|&>|>>|>&|>\||<<<|<<-|<<|<&|>|<)").match(text, self.position)
        if match is None:
            return False
        number, operator = match.group(1), match.group(2)
        if number and len(number) > 2:
            return False
        previous = text[self.position - 1] if self.position > 0 else " "
        if number and previous not in " \t\n;|&":
            return False  # e.g. `abc2>x`: the digits belong to the word
        self.position = match.end()
        if operator in ("&>", "&>>"):
            target = self.next_word(operator)
            append = operator == "&>>"
            self.tokens.append(Redirect(1, ">>" if append else ">", target))
            self.tokens.append(Redirect(2, ">&", duplicate=1))
            return True
        if operator in (">&", "<&"):
            fd = int(number) if number else (1 if operator == ">&" else 0)
            duplicate = re.compile(r"[ \t]*(\d+|-)").match(text, self.position)
            if duplicate is None:
                if operator == ">&" and not number:  # `>& file` is `&> file`
                    target = self.next_word(operator)
                    self.tokens.append(Redirect(1, ">", target))
                    self.tokens.append(Redirect(2, ">&", duplicate=1))
                    return True
                raise ShellSyntaxError(f"bash: syntax error near `{operator}'")
            self.position = duplicate.end()
            if duplicate.group(1) == "-":
                raise UnsupportedSyntax(
                    "bash: closing file descriptors (>&-) is not supported in this sandbox"
                )
            self.tokens.append(Redirect(fd, ">&", duplicate=int(duplicate.group(1))))
            return True
        if operator in ("<<", "<<-"):
            delimiter_word = self.next_word(operator)
            delimiter = "".join(value for _, value, _ in delimiter_word.segments)
            redirect = Redirect(int(number) if number else 0, "<<")
            redirect.heredoc_expands = delimiter_word.fully_unquoted
            self.pending.append(_PendingHeredoc(redirect, delimiter, operator == "<<-"))
            self.tokens.append(redirect)
            return True
        fd = int(number) if number else (0 if operator.startswith("<") else 1)
        target = self.next_word(operator)
        symbol = {">|": ">", "<<<": "<<<"}.get(operator, operator)
        self.tokens.append(Redirect(fd, symbol, target))
        return True

    def next_word(self, operator: str) -> Word:
        while self.position < len(self.text) and self.text[self.position] in " \t":
            self.position += 1
        if self.text.startswith("(", self.position):
            raise UnsupportedSyntax(
                f"bash: process substitution {operator}(...) is not supported in this sandbox"
            )
        if self.position >= len(self.text) or self.text[self.position] in _OPERATOR_CHARS:
            token = "newline" if self.position >= len(self.text) else self.text[self.position]
            raise ShellSyntaxError(f"bash: syntax error near unexpected token `{token}' (after `{operator}')")
        return self.word()

    def word(self) -> Word:
        text = self.text
        word = Word()
        start = self.position
        literal: list[str] = []

        def flush(quoted: bool = False) -> None:
            if literal:
                word.add_text("".join(literal), quoted)
                literal.clear()

        while self.position < len(text):
            character = text[self.position]
            if character in " \t\r" or character in _OPERATOR_CHARS:
                break
            if character == "'":
                flush()
                end = text.find("'", self.position + 1)
                if end < 0:
                    raise ShellSyntaxError("bash: unexpected EOF while looking for matching `''")
                word.add_text(text[self.position + 1 : end], True)
                if end == self.position + 1:
                    word.segments.append(("text", "", True))
                self.position = end + 1
            elif character == '"':
                flush()
                self.double_quoted(word)
            elif character == "\\":
                if self.position + 1 < len(text):
                    flush()
                    word.add_text(text[self.position + 1], True)
                    self.position += 2
                else:
                    self.position += 1
            elif character == "`":
                raise UnsupportedSyntax("bash: command substitution (`...`) is not supported in this sandbox")
            elif character == "$":
                flush()
                self.dollar(word, quoted=False)
            elif character == "~" and self.position == start:
                following = text[self.position + 1 : self.position + 2]
                if following in ("", "/") or following in " \t" or following in _OPERATOR_CHARS:
                    word.segments.append(("var", "HOME", False))
                else:
                    literal.append(character)
                self.position += 1
            else:
                literal.append(character)
                self.position += 1
        flush()
        return word

    def double_quoted(self, word: Word) -> None:
        text = self.text
        self.position += 1
        literal: list[str] = []
        closed = False
        word.segments.append(("text", "", True))
        while self.position < len(text):
            character = text[self.position]
            if character == '"':
                closed = True
                self.position += 1
                break
            if character == "\\" and self.position + 1 < len(text) and text[self.position + 1] in '$`"\\\n':
                if text[self.position + 1] != "\n":
                    literal.append(text[self.position + 1])
                self.position += 2
            elif character == "`":
                raise UnsupportedSyntax("bash: command substitution (`...`) is not supported in this sandbox")
            elif character == "$":
                word.add_text("".join(literal), True)
                literal.clear()
                self.dollar(word, quoted=True)
            else:
                literal.append(character)
                self.position += 1
        if not closed:
            raise ShellSyntaxError("bash: unexpected EOF while looking for matching `\"'")
        word.add_text("".join(literal), True)

    def dollar(self, word: Word, *, quoted: bool) -> None:
        text = self.text
        following = text[self.position + 1 : self.position + 2]
        if following == "(":
            what = (
                "arithmetic $((...))"
                if text.startswith("$((", self.position)
                else "command substitution $(...)"
            )
            raise UnsupportedSyntax(f"bash: {what} is not supported in this sandbox")
        if following == "{":
            end = text.find("}", self.position + 2)
            if end < 0:
                raise ShellSyntaxError("bash: unexpected EOF while looking for matching `}'")
            name = text[self.position + 2 : end]
            if not (_NAME.fullmatch(name) or name in ("?", "$", "#") or name.isdigit()):
                raise UnsupportedSyntax(
                    f"bash: the expansion ${{{name[:40]}}} is not supported in this sandbox"
                )
            word.segments.append(("var", name, quoted))
            self.position = end + 1
            return
        if following == "'" and not quoted:
            self.ansi_c_string(word)
            return
        match = _NAME.match(text, self.position + 1)
        if match:
            word.segments.append(("var", match.group(), quoted))
            self.position = match.end()
        elif following and (following in "?$#!" or following.isdigit()):
            word.segments.append(("var", following, quoted))
            self.position += 2
        else:
            word.add_text("$", quoted)
            self.position += 1

    def ansi_c_string(self, word: Word) -> None:
        text = self.text
        self.position += 2
        out: list[str] = []
        while self.position < len(text):
            character = text[self.position]
            if character == "'":
                self.position += 1
                word.add_text("".join(out), True)
                return
            if character == "\\" and self.position + 1 < len(text):
                escaped = text[self.position + 1]
                out.append(_ANSI_C_ESCAPES.get(escaped, "\\" + escaped))
                self.position += 2
            else:
                out.append(character)
                self.position += 1
        raise ShellSyntaxError("bash: unexpected EOF while looking for matching `''")

    def read_heredocs(self) -> None:
        """Read the bodies of the here-documents opened on the line just ended."""
        text = self.text
        for heredoc in self.pending:
            lines: list[str] = []
            found = False
            while self.position < len(text):
                end = text.find("\n", self.position)
                line = text[self.position :] if end < 0 else text[self.position : end]
                self.position = len(text) if end < 0 else end + 1
                compared = line.lstrip("\t") if heredoc.strip_tabs else line
                if compared.rstrip("\r") == heredoc.delimiter:
                    found = True
                    break
                lines.append(compared)
            if not found:
                self.warnings.append(
                    f"bash: warning: here-document delimited by end-of-file (wanted `{heredoc.delimiter}')"
                )
            heredoc.redirect.heredoc = "".join(line + "\n" for line in lines)
        self.pending = []


def parse_command_line(text: str) -> tuple[Chain, list[str]]:
    """Parse one command line (possibly many lines) into a chain of pipelines.

    Args:
        text: What the model wrote inside one ``<bash>`` block.

    Returns:
        The chain, and warnings bash would print (an unterminated here-document).

    Raises:
        UnsupportedSyntax: for syntax that needs a real shell (command substitution, subshells,
            functions, background jobs, loops, conditionals).
        ShellSyntaxError: for a malformed line (an unmatched quote, a dangling ``&&``).
    """
    lexer = _Lexer(text)
    tokens = lexer.run()
    chain = Chain()
    pipeline = Pipeline()
    command = Command()
    connector = ";"
    pipe_pending = connector_pending = False  # a `|`, `&&` or `||` still waiting for its command

    for token in tokens:
        if isinstance(token, _Operator):
            operator = token.text
            has_command = bool(command.words or command.assignments or command.redirects)
            shown = "newline" if operator == "\n" else operator
            if operator == "\n" and not has_command and (pipe_pending or connector_pending):
                continue  # `ls |` then a newline: the pipeline goes on on the next line
            if operator in (";", "\n"):
                if has_command:
                    pipeline.commands.append(command)
                    command = Command()
                elif pipe_pending or connector_pending or operator == ";":
                    raise ShellSyntaxError(f"bash: syntax error near unexpected token `{shown}'")
                if pipeline.commands:
                    chain.links.append((connector, pipeline))
                    pipeline = Pipeline()
                connector = ";"
                pipe_pending = connector_pending = False
                continue
            if not has_command:
                raise ShellSyntaxError(f"bash: syntax error near unexpected token `{shown}'")
            pipeline.commands.append(command)
            command = Command()
            if operator == "|":
                pipe_pending = True
                continue
            chain.links.append((connector, pipeline))
            pipeline = Pipeline()
            connector = operator
            connector_pending, pipe_pending = True, False
            continue
        pipe_pending = connector_pending = False
        if isinstance(token, Redirect):
            command.redirects.append(token)
            continue
        literal = token.literal()
        if (
            not command.words
            and token.fully_unquoted
            and literal is not None
            and (literal in _KEYWORDS or literal == "!")
        ):
            raise UnsupportedSyntax(
                f"bash: loops, conditionals and functions ('{literal}') are not supported in this sandbox; "
                "run one command at a time"
            )
        first = token.segments[0] if token.segments else None
        if not command.words and first is not None and first[0] == "text" and not first[2]:
            assignment = _ASSIGNMENT.match(first[1])
            if assignment:
                value = Word([("text", first[1][assignment.end() :], False), *token.segments[1:]])
                command.assignments.append((assignment.group(1), value))
                continue
        command.words.append(token)
    if pipe_pending or connector_pending:
        raise ShellSyntaxError("bash: syntax error: unexpected end of file")
    if command.words or command.assignments or command.redirects:
        pipeline.commands.append(command)
    if pipeline.commands:
        chain.links.append((connector, pipeline))
    return chain, lexer.warnings
