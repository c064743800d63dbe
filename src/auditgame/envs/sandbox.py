"""The sandbox: an in-memory file system and a small command interpreter of our own.

Nothing here touches the real machine. There is no real shell, no subprocess, no ``eval``/``exec``, and no
real file: paths are normalised purely (:mod:`posixpath`), ``..`` stops at ``/``, and every file lives in a
dict. Commands are Python functions (:mod:`auditgame.envs.commands`); ``python FILE`` goes through the safe
evaluator of :mod:`auditgame.envs.python_subset`. The syntax understood is that of
:mod:`auditgame.envs.shell`.

Every limit answers with text in the output, never an exception: a command line longer than
:data:`MAX_COMMAND_CHARS`, more than :data:`MAX_COMMANDS` commands in one call, files beyond
:data:`MAX_ENTRIES` or :data:`MAX_TOTAL_CHARS` ("No space left on device"), output beyond
:data:`MAX_OUTPUT_CHARS` (cut, with a note), and syntax that needs a real shell (loops, functions,
subshells, background jobs, command substitution: "not supported in this sandbox").
"""

from __future__ import annotations

import fnmatch
import posixpath
import time
from dataclasses import dataclass, field

from auditgame.envs.shell import (
    Chain,
    Command,
    Redirect,
    ShellSyntaxError,
    UnsupportedSyntax,
    Word,
    parse_command_line,
)

__all__ = [
    "MAX_COMMANDS",
    "MAX_COMMAND_CHARS",
    "MAX_ENTRIES",
    "MAX_OUTPUT_CHARS",
    "MAX_PATH_CHARS",
    "MAX_TOTAL_CHARS",
    "STANDARD_DIRECTORIES",
    "CommandResult",
    "Sandbox",
    "SandboxFileError",
]

MAX_COMMAND_CHARS = 10_000
"""The longest command line :meth:`Sandbox.run` accepts."""
MAX_COMMANDS = 50
"""The most simple commands one call of :meth:`Sandbox.run` may hold."""
MAX_OUTPUT_CHARS = 10_000
"""The longest output :meth:`Sandbox.run` returns; longer output is cut, with a note."""
MAX_ENTRIES = 1_000
"""The most files and directories the file system may hold."""
MAX_TOTAL_CHARS = 1_000_000
"""The most characters all files together may hold."""
MAX_PATH_CHARS = 1_024
"""The longest path a file may have."""
MAX_STREAM_CHARS = MAX_TOTAL_CHARS
"""The most characters one command may write to a pipe or a file in one go."""
REGEX_SECONDS = 2.0
"""The time all regular expressions of one call may take together (``grep``, ``sed``)."""

STANDARD_DIRECTORIES: tuple[str, ...] = ("/", "/root", "/tmp", "/home")
"""The directories every sandbox starts with (empty unless the environment puts files there)."""

_FIXED_ENVIRONMENT = {
    "HOME": "/root",
    "USER": "root",
    "LOGNAME": "root",
    "SHELL": "/bin/bash",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "HOSTNAME": "sandbox",
}


class SandboxFileError(Exception):
    """A file-system operation that fails, with the reason bash tools print (``No such file or directory``)."""


@dataclass
class CommandResult:
    """What one command printed and its exit status."""

    stdout: str = ""
    stderr: str = ""
    status: int = 0


@dataclass
class _Stream:
    """Text written to one descriptor, cut at :data:`MAX_STREAM_CHARS`."""

    parts: list[str] = field(default_factory=list)
    size: int = 0
    cut: int = 0

    def write(self, text: str) -> None:
        room = MAX_STREAM_CHARS - self.size
        if len(text) > room:
            self.cut += len(text) - max(room, 0)
            text = text[: max(room, 0)]
        if text:
            self.parts.append(text)
            self.size += len(text)

    def text(self) -> str:
        return "".join(self.parts)


class Sandbox:
    """An in-memory Linux-like machine for one episode.

    Args:
        files: The initial files, absolute path → content (their directories are created).
        cwd: The starting directory (created if missing).

    Attributes:
        history: Every ``(command_line, output)`` run so far, in order.
    """

    def __init__(self, files: dict[str, str] | None = None, cwd: str = "/root") -> None:
        self._files: dict[str, str] = {}
        self._dirs: set[str] = set(STANDARD_DIRECTORIES)
        for path, content in (files or {}).items():
            normal = self.resolve(path, cwd="/")
            self._make_parents(normal)
            self._files[normal] = str(content)
        self.cwd = self.resolve(cwd, cwd="/")
        self._make_parents(posixpath.join(self.cwd, "x"))
        self._initial = dict(self._files)
        self.environment: dict[str, str] = dict(_FIXED_ENVIRONMENT)
        self.environment["PWD"] = self.cwd
        self.environment["OLDPWD"] = self.cwd
        self.last_status = 0
        self.history: list[tuple[str, str]] = []
        self._deadline = 0.0

    # -- what the episode left behind -------------------------------------------------------------------
    @property
    def files(self) -> dict[str, str]:
        """A copy of every file now in the sandbox, path → content."""
        return dict(self._files)

    @property
    def initial_files(self) -> dict[str, str]:
        """A copy of the files the sandbox started with."""
        return dict(self._initial)

    def changed_paths(self) -> list[str]:
        """The files created, modified or deleted since the start, sorted."""
        paths = set(self._files) | set(self._initial)
        return sorted(path for path in paths if self._files.get(path) != self._initial.get(path))

    # -- paths and the file system ----------------------------------------------------------------------
    def resolve(self, path: str, *, cwd: str | None = None) -> str:
        """``path`` made absolute and normal; ``..`` never climbs above ``/``."""
        joined = posixpath.join(cwd if cwd is not None else self.cwd, path)
        normal = posixpath.normpath(joined)
        if normal.startswith("//"):
            normal = "/" + normal.lstrip("/")
        return normal

    def is_file(self, path: str) -> bool:
        """Whether the absolute ``path`` is a file."""
        return path in self._files

    def is_dir(self, path: str) -> bool:
        """Whether the absolute ``path`` is a directory."""
        return path in self._dirs

    def exists(self, path: str) -> bool:
        """Whether the absolute ``path`` is a file or a directory."""
        return path in self._files or path in self._dirs

    def read(self, path: str) -> str:
        """The content of the file at absolute ``path``.

        Raises:
            SandboxFileError: if it is a directory or does not exist.
        """
        if path in self._files:
            return self._files[path]
        if path == "/dev/null":
            return ""
        if path in self._dirs:
            raise SandboxFileError("Is a directory")
        if not self._parent_is_dir(path):
            raise SandboxFileError(
                "Not a directory" if self._blocked_by_file(path) else "No such file or directory"
            )
        raise SandboxFileError("No such file or directory")

    def write(self, path: str, content: str, *, append: bool = False) -> None:
        """Create or overwrite (or append to) the file at absolute ``path``.

        Raises:
            SandboxFileError: if the path is a directory, its parent is missing, or a limit is reached.
        """
        if path == "/dev/null":
            return
        if path in self._dirs:
            raise SandboxFileError("Is a directory")
        if not self._parent_is_dir(path):
            raise SandboxFileError(
                "Not a directory" if self._blocked_by_file(path) else "No such file or directory"
            )
        if len(path) > MAX_PATH_CHARS:
            raise SandboxFileError("File name too long")
        old = self._files.get(path)
        new = (old or "") + content if append else content
        if old is None and len(self._files) + len(self._dirs) >= MAX_ENTRIES:
            raise SandboxFileError(
                f"No space left on device (the sandbox holds at most {MAX_ENTRIES} entries)"
            )
        if self.total_chars() - len(old or "") + len(new) > MAX_TOTAL_CHARS:
            raise SandboxFileError(
                f"No space left on device (the sandbox holds at most {MAX_TOTAL_CHARS:,} characters)"
            )
        self._files[path] = new

    def make_dir(self, path: str, *, parents: bool = False) -> None:
        """Create the directory at absolute ``path``.

        Raises:
            SandboxFileError: if it exists (without ``parents``), its parent is missing, or a limit is reached.
        """
        if path in self._files or (path in self._dirs and not parents):
            raise SandboxFileError("File exists")
        if path in self._dirs:
            return
        if len(path) > MAX_PATH_CHARS:
            raise SandboxFileError("File name too long")
        parent = posixpath.dirname(path)
        if parent not in self._dirs:
            if not parents or parent in self._files or self._blocked_by_file(path):
                raise SandboxFileError(
                    "Not a directory" if self._blocked_by_file(path) else "No such file or directory"
                )
            self.make_dir(parent, parents=True)
        if len(self._files) + len(self._dirs) >= MAX_ENTRIES:
            raise SandboxFileError(
                f"No space left on device (the sandbox holds at most {MAX_ENTRIES} entries)"
            )
        self._dirs.add(path)

    def remove(self, path: str, *, recursive: bool = False) -> None:
        """Delete the file or (with ``recursive``) the directory tree at absolute ``path``.

        ``/`` itself stays (empty) when removed recursively.

        Raises:
            SandboxFileError: if it does not exist, or is a directory without ``recursive``.
        """
        if path in self._files:
            del self._files[path]
            return
        if path not in self._dirs:
            raise SandboxFileError("No such file or directory")
        if not recursive:
            raise SandboxFileError("Is a directory")
        prefix = path.rstrip("/") + "/"
        for file_path in [p for p in self._files if p.startswith(prefix)]:
            del self._files[file_path]
        for directory in [d for d in self._dirs if d.startswith(prefix)]:
            self._dirs.discard(directory)
        self._dirs.discard(path)
        self._dirs.add("/")  # the root itself always stays

    def rename(self, source: str, target: str) -> None:
        """Move the file or directory tree at absolute ``source`` to absolute ``target``.

        Raises:
            SandboxFileError: if ``source`` is missing, ``target``'s parent is missing, a directory would move
                into itself, or a file would replace a directory (or the other way round).
        """
        if source == target:
            return
        if not self._parent_is_dir(target):
            raise SandboxFileError("No such file or directory")
        if source in self._files:
            if target in self._dirs:
                raise SandboxFileError("Is a directory")
            self._files[target] = self._files.pop(source)
            return
        if source not in self._dirs or source == "/":
            raise SandboxFileError(
                "No such file or directory" if source != "/" else "Device or resource busy"
            )
        if target.startswith(source.rstrip("/") + "/"):
            raise SandboxFileError("Invalid argument")
        if target in self._files:
            raise SandboxFileError("Not a directory")
        if target in self._dirs and self.children(target):
            raise SandboxFileError("Directory not empty")
        prefix = source + "/"
        for path in [p for p in self._files if p.startswith(prefix)]:
            self._files[target + path[len(source) :]] = self._files.pop(path)
        for path in [d for d in self._dirs if d == source or d.startswith(prefix)]:
            self._dirs.discard(path)
            self._dirs.add(target + path[len(source) :])

    def children(self, directory: str) -> list[str]:
        """The names directly inside the absolute ``directory``, sorted."""
        prefix = directory.rstrip("/") + "/"
        names = {
            path[len(prefix) :].split("/", 1)[0]
            for path in (*self._files, *self._dirs)
            if path.startswith(prefix) and path != prefix and len(path) > len(prefix)
        }
        return sorted(names)

    def walk(self, directory: str) -> list[str]:
        """Every path under the absolute ``directory`` (itself first), depth first, sorted within each level."""
        found: list[str] = []
        stack = [directory]
        while stack:
            path = stack.pop()
            found.append(path)
            if path in self._dirs:
                stack.extend(posixpath.join(path, name) for name in reversed(self.children(path)))
        return found

    def total_chars(self) -> int:
        """The characters all files hold together."""
        return sum(len(content) for content in self._files.values())

    def size_of(self, path: str) -> int:
        """The size in bytes (UTF-8) of the file at ``path``, or 4096 for a directory."""
        return len(self._files[path].encode("utf-8", "surrogatepass")) if path in self._files else 4096

    def _make_parents(self, path: str) -> None:
        parent = posixpath.dirname(path)
        while parent not in self._dirs:
            self._dirs.add(parent)
            parent = posixpath.dirname(parent)

    def _parent_is_dir(self, path: str) -> bool:
        return posixpath.dirname(path) in self._dirs

    def _blocked_by_file(self, path: str) -> bool:
        parent = posixpath.dirname(path)
        while parent != "/":
            if parent in self._files:
                return True
            parent = posixpath.dirname(parent)
        return False

    def glob(self, pattern: str) -> list[str]:
        """The paths matching a shell ``pattern`` (absolute or relative to the cwd), sorted; hidden names
        match only a pattern that starts with ``.``. Results keep the pattern's relative form."""
        absolute = pattern.startswith("/")
        parts = [part for part in pattern.split("/") if part]
        bases: list[tuple[str, str]] = [("/" if absolute else self.cwd, "/" if absolute else "")]
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            next_bases: list[tuple[str, str]] = []
            for real, shown in bases:
                if not self.is_dir(real):
                    continue
                if any(character in part for character in "*?["):
                    names = [
                        name
                        for name in self.children(real)
                        if fnmatch.fnmatchcase(name, part)
                        and (part.startswith(".") or not name.startswith("."))
                    ]
                else:
                    names = [part] if part in ("..", ".") or self.exists(posixpath.join(real, part)) else []
                for name in names:
                    child = self.resolve(name, cwd=real)
                    if last or self.is_dir(child):
                        next_bases.append(
                            (
                                child,
                                f"{shown}{name}" if shown.endswith("/") or not shown else f"{shown}/{name}",
                            )
                        )
            bases = next_bases[:MAX_ENTRIES]
        if pattern.endswith("/"):
            return sorted(f"{shown}/" for real, shown in bases if self.is_dir(real))
        return sorted(shown for _, shown in bases)

    # -- running commands -------------------------------------------------------------------------------
    def regex_deadline(self) -> float:
        """The ``time.monotonic()`` by which this call's regular expressions must finish."""
        return self._deadline

    def run(self, command_line: str) -> str:
        """Run one command line (what one ``<bash>`` block holds) and return what a terminal would show.

        Standard output and standard error are combined in the order the commands wrote them; the final
        newline is left off. Never raises: every problem (bad syntax, a limit, an unsupported feature, a
        bug) is reported in the output.

        Args:
            command_line: One or more commands (``&&``, ``||``, ``;``, newlines, pipes, here-documents).

        Returns:
            The output, at most :data:`MAX_OUTPUT_CHARS` characters plus a note when cut.
        """
        try:
            output = self._run(command_line)
        except RecursionError:
            output = "bash: the command nests too deeply for this sandbox"
        except Exception as error:  # a bug must not end an episode; say so in the output
            output = f"bash: internal sandbox error ({type(error).__name__}); try a simpler command"
        output = output.rstrip("\n")
        if len(output) > MAX_OUTPUT_CHARS:
            cut = len(output) - MAX_OUTPUT_CHARS
            output = output[:MAX_OUTPUT_CHARS] + f"\n[output truncated: {cut:,} more characters]"
        shown = command_line if isinstance(command_line, str) else repr(command_line)
        if len(shown) > MAX_COMMAND_CHARS:
            shown = shown[:MAX_COMMAND_CHARS] + f"…[{len(shown) - MAX_COMMAND_CHARS:,} characters cut]"
        self.history.append((shown, output))
        return output

    def _run(self, command_line: str) -> str:
        if not isinstance(command_line, str):
            return "bash: a command line must be text"
        if len(command_line) > MAX_COMMAND_CHARS:
            return (
                f"bash: command line too long ({len(command_line):,} characters; this sandbox accepts "
                f"at most {MAX_COMMAND_CHARS:,})"
            )
        if "\x00" in command_line:
            return "bash: null bytes in a command line are not supported in this sandbox"
        try:
            chain, warnings = parse_command_line(command_line)
        except (UnsupportedSyntax, ShellSyntaxError) as error:
            return str(error)
        if chain.command_count() > MAX_COMMANDS:
            return (
                f"bash: too many commands in one call ({chain.command_count()}; this sandbox runs at most "
                f"{MAX_COMMANDS})"
            )
        self._deadline = time.monotonic() + REGEX_SECONDS
        terminal = _Stream()
        for warning in warnings:
            terminal.write(warning + "\n")
        self._run_chain(chain, terminal)
        text = terminal.text()
        if terminal.cut:
            text += f"\n[output truncated: {terminal.cut:,} more characters]"
        return text

    def _run_chain(self, chain: Chain, terminal: _Stream) -> None:
        from auditgame.envs.commands import ExitShell

        status = self.last_status
        for connector, pipeline in chain.links:
            if (connector == "&&" and status != 0) or (connector == "||" and status == 0):
                continue
            stdin = ""
            try:
                for position, command in enumerate(pipeline.commands):
                    last = position == len(pipeline.commands) - 1
                    stdin, status = self._run_command(command, stdin, terminal, piped=not last)
            except ExitShell as stop:
                self.last_status = stop.status
                return
            self.last_status = status

    def _run_command(
        self, command: Command, stdin: str, terminal: _Stream, *, piped: bool
    ) -> tuple[str, int]:
        """Run one simple command; return what it sends down the pipe (when ``piped``) and its status."""
        from auditgame.envs.commands import run_program

        for name, value in command.assignments:
            if not command.words:
                self.environment[name] = self.expand_text(value)
        pipe = _Stream()
        # Where descriptors 1 and 2 go: ("terminal",), ("pipe",), ("null",) or ("file", path)
        targets: dict[int, tuple[str, ...]] = {1: ("pipe",) if piped else ("terminal",), 2: ("terminal",)}
        for redirect in command.redirects:
            failure = self._apply_redirect(redirect, targets)
            if isinstance(failure, str):
                terminal.write(failure + "\n")
                return "", 1
            if failure is not None:
                stdin = failure[0]
        words: list[str] = []
        for word in command.words:
            words.extend(self.expand_word(word))
        if not words:
            return "", 0
        result = run_program(self, words, stdin)
        for fd, text in ((1, result.stdout), (2, result.stderr)):
            if not text:
                continue
            target = targets[fd]
            if target[0] == "terminal":
                terminal.write(text)
            elif target[0] == "pipe":
                pipe.write(text)
            elif target[0] == "file":
                try:
                    self.write(target[1], text[:MAX_STREAM_CHARS], append=True)
                except SandboxFileError as error:
                    terminal.write(f"bash: {target[1]}: {error}\n")
        return pipe.text(), result.status

    def _apply_redirect(
        self, redirect: Redirect, targets: dict[int, tuple[str, ...]]
    ) -> str | tuple[str] | None:
        """Set up one redirection: an error message, new stdin text (as a 1-tuple), or ``None``."""
        if redirect.operator == ">&":
            source = redirect.duplicate if redirect.duplicate in targets else 1
            targets[redirect.fd] = targets[source]
            return None
        if redirect.operator == "<<":
            text = redirect.heredoc or ""
            return (self.expand_heredoc(text) if redirect.heredoc_expands else text,)
        expanded = self.expand_word(redirect.target) if redirect.target else [""]
        if redirect.operator == "<<<":
            return (" ".join(expanded) + "\n",)
        if len(expanded) != 1 or not expanded[0]:
            shown = redirect.target.literal() if redirect.target else ""
            return f"bash: {shown or '(empty)'}: ambiguous redirect"
        name = expanded[0]
        path = self.resolve(name)
        if redirect.operator == "<":
            try:
                return (self.read(path),)
            except SandboxFileError as error:
                return f"bash: {name}: {error}"
        if redirect.fd not in (1, 2):
            return f"bash: redirecting descriptor {redirect.fd} is not supported in this sandbox"
        if path == "/dev/null":
            targets[redirect.fd] = ("null",)
            return None
        try:
            if redirect.operator == ">" or not self.is_file(path):
                self.write(path, "", append=redirect.operator == ">>")
        except SandboxFileError as error:
            return f"bash: {name}: {error}"
        targets[redirect.fd] = ("file", path)
        return None

    # -- expansion --------------------------------------------------------------------------------------
    def variable(self, name: str) -> str:
        """A variable's value as ``$name`` expands (unset → empty)."""
        if name == "?":
            return str(self.last_status)
        if name == "$":
            return "4242"
        if name == "#":
            return "0"
        return self.environment.get(name, "")

    def expand_text(self, word: Word) -> str:
        """A word's text with variables expanded (no globbing)."""
        return "".join(self.variable(value) if kind == "var" else value for kind, value, _ in word.segments)

    def expand_word(self, word: Word) -> list[str]:
        """A word as arguments: variables expanded, then unquoted globs matched against the file system
        (a glob that matches nothing stays as written, as in bash)."""
        text_parts: list[str] = []
        pattern_parts: list[str] = []
        globbing = False
        for kind, value, quoted in word.segments:
            text = self.variable(value) if kind == "var" else value
            text_parts.append(text)
            if quoted:
                pattern_parts.append("".join(f"[{c}]" if c in "*?[" else c for c in text))
            else:
                globbing = globbing or any(c in text for c in "*?[")
                pattern_parts.append(text)
        text = "".join(text_parts)
        if globbing:
            matches = self.glob("".join(pattern_parts))
            if matches:
                return matches
        return [text]

    def expand_heredoc(self, text: str) -> str:
        """An unquoted here-document's text: ``$NAME``, ``${NAME}`` and ``\\$`` expanded (``$(...)`` and
        backticks stay as written: nothing is ever executed)."""
        out: list[str] = []
        index = 0
        while index < len(text):
            character = text[index]
            if character == "\\" and index + 1 < len(text) and text[index + 1] in "$`\\":
                out.append(text[index + 1])
                index += 2
                continue
            if character == "$" and index + 1 < len(text):
                if text[index + 1] == "{":
                    end = text.find("}", index + 2)
                    name = text[index + 2 : end] if end > 0 else ""
                    if end > 0 and name.replace("_", "a").isalnum():
                        out.append(self.variable(name))
                        index = end + 1
                        continue
                else:
                    end = index + 1
                    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
                        end += 1
                    if end > index + 1 and not text[index + 1].isdigit():
                        out.append(self.variable(text[index + 1 : end]))
                        index = end
                        continue
                    if text[index + 1] == "?":
                        out.append(self.variable("?"))
                        index += 2
                        continue
            out.append(character)
            index += 1
        return "".join(out)
