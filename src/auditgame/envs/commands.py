"""The programs of the sandbox: small pure-Python versions of ``ls``, ``cat``, ``grep``, ``sed``, ``python`` …

Each program is a function ``(sandbox, args, stdin) -> CommandResult`` registered by name with
``@program``; it reads and writes only the sandbox's in-memory files. Messages follow GNU coreutils'
wording, so the transcripts look like a real machine's. Programs that need a real machine (editors, the
network, shell scripts) answer with a short explanation; any other name is ``command not found``.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from auditgame.envs.python_subset import evaluate_tests, run_script
from auditgame.envs.sandbox import MAX_STREAM_CHARS, CommandResult, SandboxFileError

if TYPE_CHECKING:
    from auditgame.envs.sandbox import Sandbox

__all__ = ["PROGRAMS", "ExitShell", "program", "run_program"]

Program = Callable[["Sandbox", list[str], str], CommandResult]

PROGRAMS: dict[str, Program] = {}
"""Every program the sandbox runs, by name."""

_INTERACTIVE = frozenset({"vi", "vim", "nano", "emacs", "pico", "ed", "top", "htop", "watch"})
_NETWORK = frozenset({"curl", "wget", "ssh", "scp", "ping", "pip", "pip3", "apt", "apt-get", "nc", "telnet"})
_UNSUPPORTED = frozenset({"xargs", "eval", "exec", "source", ".", "bash", "sh", "zsh", "nohup", "timeout",
                          "kill", "trap", "awk", "perl", "ruby", "node", "make", "gcc"})  # fmt: skip
_LISTED_DATE = "Jan  1 00:00"


class ExitShell(Exception):
    """``exit``: stop running the rest of the command line."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Failure(Exception):
    """A program stops with ``message`` on stderr and exit ``status``."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def program(*names: str) -> Callable[[Program], Program]:
    """Register a sandbox program under ``names``."""

    def register(function: Program) -> Program:
        for name in names:
            PROGRAMS[name] = function
        return function

    return register


def run_program(sandbox: Sandbox, words: list[str], stdin: str) -> CommandResult:
    """Run the program ``words[0]`` with arguments ``words[1:]`` and standard input ``stdin``."""
    while words and words[0] in ("sudo", "command", "builtin") and len(words) > 1:
        words = words[1:]  # everyone is root here
    name, args = words[0], words[1:]
    if "/" in name:
        path = sandbox.resolve(name)
        if sandbox.is_file(path):
            return _run_file(sandbox, name, path, args)
        if sandbox.is_dir(path):
            return CommandResult(stderr=f"bash: {name}: Is a directory\n", status=126)
        base = posixpath.basename(name)
        if name.startswith(("/bin/", "/usr/bin/", "/usr/local/bin/")) and base in PROGRAMS:
            name = base
        else:
            return CommandResult(stderr=f"bash: {name}: No such file or directory\n", status=127)
    function = PROGRAMS.get(name)
    if function is None:
        if name in _INTERACTIVE:
            return CommandResult(
                stderr=f"{name}: interactive editors are not supported in this sandbox; edit files with sed, "
                "echo or cat with a here-document\n",
                status=1,
            )
        if name in _NETWORK:
            return CommandResult(
                stderr=f"{name}: network access is not available in this sandbox\n", status=1
            )
        if name in _UNSUPPORTED:
            return CommandResult(stderr=f"bash: {name}: not supported in this sandbox\n", status=1)
        return CommandResult(stderr=f"bash: {name}: command not found\n", status=127)
    try:
        return function(sandbox, args, stdin)
    except _Failure as failure:
        return CommandResult(stderr=failure.message.rstrip("\n") + "\n", status=failure.status)


# -- helpers ---------------------------------------------------------------------------------------------


def _options(
    command: str,
    args: list[str],
    *,
    flags: str = "",
    valued: str = "",
    long: dict[str, str] | None = None,
    numeric: str | None = None,
) -> tuple[list[tuple[str, str | None]], list[str]]:
    """GNU-style options: ``-abc``, ``-n 5``/``-n5``, ``--long[=value]``, ``--``, options after operands.

    ``numeric`` names the option that ``-5`` stands for (``head -5`` is ``head -n 5``).
    """
    options: list[tuple[str, str | None]] = []
    operands: list[str] = []
    long = long or {}
    index = 0
    while index < len(args):
        argument = args[index]
        index += 1
        if argument == "--":
            operands.extend(args[index:])
            break
        if argument.startswith("--") and len(argument) > 2:
            name, has_value, value = argument[2:].partition("=")
            if name not in long:
                raise _Failure(
                    f"{command}: unrecognized option '--{name}'\nTry '{command} --help' for more information.",
                    2,
                )
            short = long[name]
            if short in valued and not has_value:
                if index >= len(args):
                    raise _Failure(f"{command}: option '--{name}' requires an argument", 2)
                value, index = args[index], index + 1
            options.append((short, value if (has_value or short in valued) else None))
            continue
        if argument.startswith("-") and len(argument) > 1:
            if numeric and argument[1:].isdigit():
                options.append((numeric, argument[1:]))
                continue
            position = 1
            while position < len(argument):
                character = argument[position]
                if character in valued:
                    value = argument[position + 1 :]
                    if not value:
                        if index >= len(args):
                            raise _Failure(f"{command}: option requires an argument -- '{character}'", 2)
                        value, index = args[index], index + 1
                    options.append((character, value))
                    break
                if character not in flags:
                    raise _Failure(
                        f"{command}: invalid option -- '{character}'\nTry '{command} --help' for more information.",
                        2,
                    )
                options.append((character, None))
                position += 1
            continue
        operands.append(argument)
    return options, operands


def _has(options: list[tuple[str, str | None]], *names: str) -> bool:
    return any(name in names for name, _ in options)


def _value(options: list[tuple[str, str | None]], name: str, default: str | None = None) -> str | None:
    found = default
    for option, value in options:
        if option == name:
            found = value
    return found


def _lines(text: str) -> list[str]:
    """``text`` split after each ``\\n`` (only), keeping the newlines."""
    if not text:
        return []
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _integer(command: str, text: str | None, what: str = "number of lines") -> int:
    try:
        return int(text or "")
    except ValueError:
        raise _Failure(f"{command}: invalid {what}: '{text}'") from None


def _read_operand(sandbox: Sandbox, command: str, operand: str, stdin: str) -> str:
    if operand == "-":
        return stdin
    try:
        return sandbox.read(sandbox.resolve(operand))
    except SandboxFileError as error:
        raise _Failure(f"{command}: {operand}: {error}") from None


class _Matcher:
    """A compiled pattern whose searches share the sandbox call's time budget (no endless backtracking)."""

    def __init__(self, sandbox: Sandbox, command: str, pattern: str, flags: int) -> None:
        try:
            import regex as engine  # supports timeouts; transformers depends on it
        except ImportError:  # pragma: no cover - the plain engine, without a time limit
            engine = re
        self.engine = engine
        self.sandbox = sandbox
        self.command = command
        try:
            self.compiled: Any = engine.compile(pattern, flags)
        except Exception as error:
            raise _Failure(f"{command}: invalid regular expression: {str(error)[:200]}", 2) from None

    def _timeout(self) -> float:
        remaining = self.sandbox.regex_deadline() - time.monotonic()
        if remaining <= 0:
            raise _Failure(f"{self.command}: the pattern takes too long to match; simplify it", 2)
        return remaining

    def search(self, text: str) -> Any:
        try:
            if self.engine is re:
                return self.compiled.search(text)
            return self.compiled.search(text, timeout=self._timeout())
        except TimeoutError:
            raise _Failure(f"{self.command}: the pattern takes too long to match; simplify it", 2) from None

    def finditer(self, text: str) -> list[Any]:
        try:
            if self.engine is re:
                return list(self.compiled.finditer(text))
            return list(self.compiled.finditer(text, timeout=self._timeout()))
        except TimeoutError:
            raise _Failure(f"{self.command}: the pattern takes too long to match; simplify it", 2) from None

    def sub(self, replacement: Callable[[Any], str], text: str, count: int) -> str:
        try:
            if self.engine is re:
                return self.compiled.sub(replacement, text, count=count)
            return self.compiled.sub(replacement, text, count=count, timeout=self._timeout())
        except TimeoutError:
            raise _Failure(f"{self.command}: the pattern takes too long to match; simplify it", 2) from None


def _basic_to_python(pattern: str, *, extended: bool) -> str:
    """A POSIX basic (or, with ``extended``, extended) regular expression as a Python one."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        character = pattern[index]
        if character == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            if escaped in "<>":
                out.append(r"\b")
            elif not extended and escaped in "(){}|+?":
                out.append(escaped)
            elif escaped.isdigit() or escaped in "wWsSbBn.*[]^$\\/":
                out.append("\\" + escaped)
            else:
                out.append(re.escape(escaped))
            index += 2
            continue
        if character == "[":
            end = index + 1
            if end < len(pattern) and pattern[end] == "^":
                end += 1
            if end < len(pattern) and pattern[end] == "]":
                end += 1
            while end < len(pattern) and pattern[end] != "]":
                if pattern.startswith("[:", end):
                    close = pattern.find(":]", end + 2)
                    end = close + 2 if close > 0 else end + 1
                else:
                    end += 1
            if end >= len(pattern):
                out.append(r"\[")
                index += 1
                continue
            body = pattern[index + 1 : end].replace("\\", "\\\\")
            out.append(f"[{body}]")
            index = end + 1
            continue
        if not extended and character in "(){}|+?":
            out.append("\\" + character)
        else:
            out.append(character)
        index += 1
    return "".join(out)


# -- file and directory programs ----------------------------------------------------------------------------


def _mode_line(sandbox: Sandbox, path: str, name: str, width: int, human: bool) -> str:
    is_dir = sandbox.is_dir(path)
    size = sandbox.size_of(path)
    shown = _human(size) if human else str(size)
    mode = "drwxr-xr-x" if is_dir else "-rw-r--r--"
    links = 2 if is_dir else 1
    return f"{mode} {links} root root {shown:>{width}} {_LISTED_DATE} {name}"


def _human(size: int) -> str:
    for unit in ("", "K", "M", "G"):
        if size < 1024:
            return f"{size}{unit}" if unit == "" else f"{size:.1f}{unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size:.1f}T"


@program("ls", "dir")
def _ls(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    options, operands = _options(
        "ls",
        args,
        flags="laA1hRdtrSFC",
        long={"all": "a", "almost-all": "A", "human-readable": "h", "recursive": "R", "directory": "d"},
    )
    show_all, almost_all = _has(options, "a"), _has(options, "A")
    long_format, human, classify = _has(options, "l"), _has(options, "h"), _has(options, "F")
    recursive, as_files = _has(options, "R"), _has(options, "d")
    reverse, by_size = _has(options, "r"), _has(options, "S")
    operands = operands or ["."]
    out: list[str] = []
    errors: list[str] = []
    status = 0
    plain: list[tuple[str, str]] = []
    directories: list[tuple[str, str]] = []
    for operand in operands:
        path = sandbox.resolve(operand)
        if not sandbox.exists(path):
            errors.append(f"ls: cannot access '{operand}': No such file or directory\n")
            status = 2
        elif sandbox.is_dir(path) and not as_files:
            directories.append((operand, path))
        else:
            plain.append((operand, path))

    def decorated(name: str, path: str) -> str:
        return name + "/" if classify and sandbox.is_dir(path) else name

    def listing(entries: list[tuple[str, str]], with_total: bool) -> list[str]:
        if by_size:
            entries = sorted(entries, key=lambda entry: -sandbox.size_of(entry[1]))
        if reverse:
            entries = entries[::-1]
        if not long_format:
            return [decorated(name, path) + "\n" for name, path in entries]
        width = max(
            (len(_human(sandbox.size_of(p)) if human else str(sandbox.size_of(p))) for _, p in entries),
            default=1,
        )
        lines = (
            [f"total {sum(4 * max(1, -(-sandbox.size_of(p) // 4096)) for _, p in entries)}\n"]
            if with_total
            else []
        )
        return lines + [
            _mode_line(sandbox, path, decorated(name, path), width, human) + "\n" for name, path in entries
        ]

    out.extend(listing(plain, with_total=False))
    queue = list(directories)
    first = not plain
    while queue:
        shown, path = queue.pop(0)
        names = sandbox.children(path)
        if not (show_all or almost_all):
            names = [name for name in names if not name.startswith(".")]
        entries = [(name, posixpath.join(path, name)) for name in names]
        if show_all:
            entries = [(".", path), ("..", posixpath.dirname(path) or "/"), *entries]
        if len(operands) > 1 or recursive:
            out.append(("" if first else "\n") + f"{shown}:\n")
        first = False
        out.extend(listing(entries, with_total=True))
        if recursive:
            subdirectories = [
                (posixpath.join(shown, name), child)
                for name, child in entries
                if name not in (".", "..") and sandbox.is_dir(child)
            ]
            queue = subdirectories + queue
    return CommandResult("".join(out), "".join(errors), status)


@program("cat", "less", "more")
def _cat(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    options, operands = _options("cat", args, flags="nbAEsTuv", long={"number": "n"})
    out: list[str] = []
    errors: list[str] = []
    for operand in operands or ["-"]:
        try:
            out.append(_read_operand(sandbox, "cat", operand, stdin))
        except _Failure as failure:
            errors.append(failure.message + "\n")
    text = "".join(out)
    if _has(options, "n", "b"):
        text = "".join(f"{number:>6}\t{line}" for number, line in enumerate(_lines(text), start=1))
    return CommandResult(text, "".join(errors), 1 if errors else 0)


def _head_tail(command: str, sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    options, operands = _options(
        command, args, flags="qvf", valued="nc", long={"lines": "n", "bytes": "c", "quiet": "q"}, numeric="n"
    )
    lines_text = _value(options, "n")
    bytes_text = _value(options, "c")
    operands = operands or ["-"]
    out: list[str] = []
    errors: list[str] = []
    for position, operand in enumerate(operands):
        try:
            text = _read_operand(sandbox, command, operand, stdin)
        except _Failure as failure:
            errors.append(failure.message + "\n")
            continue
        if len(operands) > 1 and not _has(options, "q"):
            out.append(
                ("\n" if position else "") + f"==> {'standard input' if operand == '-' else operand} <==\n"
            )
        if bytes_text is not None:
            count = _integer(command, bytes_text.lstrip("+"), "number of bytes")
            if command == "head":
                out.append(text[:count])
            elif bytes_text.startswith("+"):
                out.append(text[max(count - 1, 0) :])
            else:
                out.append(text[len(text) - count :] if count else "")
            continue
        lines = _lines(text)
        spec = lines_text if lines_text is not None else "10"
        count = _integer(command, spec.lstrip("+-") or "x")
        if command == "head":
            chosen = lines[: len(lines) - count] if spec.startswith("-") else lines[:count]
        elif spec.startswith("+"):
            chosen = lines[max(count - 1, 0) :]
        else:
            chosen = lines[len(lines) - count :] if count else []
        out.append("".join(chosen))
    return CommandResult("".join(out), "".join(errors), 1 if errors else 0)


@program("head")
def _head(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return _head_tail("head", sandbox, args, stdin)


@program("tail")
def _tail(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return _head_tail("tail", sandbox, args, stdin)


@program("wc")
def _wc(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    options, operands = _options(
        "wc", args, flags="lwcm", long={"lines": "l", "words": "w", "bytes": "c", "chars": "m"}
    )
    chosen = [name for name in "lwmc" if _has(options, name)] or ["l", "w", "c"]
    rows: list[tuple[list[int], str]] = []
    errors: list[str] = []
    for operand in operands or ["-"]:
        try:
            text = _read_operand(sandbox, "wc", operand, stdin)
        except _Failure as failure:
            errors.append(failure.message + "\n")
            continue
        counts = {
            "l": text.count("\n"),
            "w": len(text.split()),
            "m": len(text),
            "c": len(text.encode("utf-8", "surrogatepass")),
        }
        rows.append(([counts[name] for name in chosen], "" if operand == "-" and not operands else operand))
    if len(rows) > 1:
        rows.append(([sum(row[0][i] for row in rows) for i in range(len(chosen))], "total"))
    width = max((len(str(value)) for counts, _ in rows for value in counts), default=1)
    if len(chosen) == 1 and len(rows) == 1:
        width = 1
    out = "".join(
        " ".join(f"{value:>{width}}" for value in counts) + (f" {name}" if name else "") + "\n"
        for counts, name in rows
    )
    return CommandResult(out, "".join(errors), 1 if errors else 0)


@program("pwd")
def _pwd(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return CommandResult(sandbox.cwd + "\n")


@program("cd")
def _cd(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    operands = [argument for argument in args if argument not in ("-L", "-P")]
    if len(operands) > 1:
        raise _Failure("bash: cd: too many arguments")
    target = operands[0] if operands else sandbox.environment.get("HOME", "/root")
    printed = ""
    if target == "-":
        target = sandbox.environment.get("OLDPWD", sandbox.cwd)
        printed = target + "\n"
    path = sandbox.resolve(target)
    if not sandbox.is_dir(path):
        reason = "Not a directory" if sandbox.is_file(path) else "No such file or directory"
        raise _Failure(f"bash: cd: {target}: {reason}")
    sandbox.environment["OLDPWD"] = sandbox.cwd
    sandbox.cwd = path
    sandbox.environment["PWD"] = path
    return CommandResult(printed)


@program("mkdir")
def _mkdir(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    options, operands = _options(
        "mkdir", args, flags="pv", valued="m", long={"parents": "p", "verbose": "v", "mode": "m"}
    )
    if not operands:
        raise _Failure("mkdir: missing operand\nTry 'mkdir --help' for more information.")
    errors: list[str] = []
    out: list[str] = []
    for operand in operands:
        try:
            sandbox.make_dir(sandbox.resolve(operand), parents=_has(options, "p"))
            if _has(options, "v"):
                out.append(f"mkdir: created directory '{operand}'\n")
        except SandboxFileError as error:
            errors.append(f"mkdir: cannot create directory '{operand}': {error}\n")
    return CommandResult("".join(out), "".join(errors), 1 if errors else 0)


@program("touch")
def _touch(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    options, operands = _options("touch", args, flags="acmh", valued="dtr")
    if not operands:
        raise _Failure("touch: missing file operand\nTry 'touch --help' for more information.")
    errors: list[str] = []
    for operand in operands:
        path = sandbox.resolve(operand)
        if sandbox.exists(path) or _has(options, "c"):
            continue
        try:
            sandbox.write(path, "")
        except SandboxFileError as error:
            errors.append(f"touch: cannot touch '{operand}': {error}\n")
    return CommandResult("", "".join(errors), 1 if errors else 0)


def _destination(sandbox: Sandbox, command: str, operands: list[str]) -> tuple[list[str], str, bool]:
    if len(operands) < 2:
        missing = (
            "missing file operand"
            if not operands
            else f"missing destination file operand after '{operands[0]}'"
        )
        raise _Failure(f"{command}: {missing}\nTry '{command} --help' for more information.")
    *sources, destination = operands
    into = sandbox.is_dir(sandbox.resolve(destination))
    if len(sources) > 1 and not into:
        raise _Failure(f"{command}: target '{destination}' is not a directory")
    return sources, destination, into


def _target(sandbox: Sandbox, source_path: str, destination: str, into: bool) -> str:
    """Where ``cp``/``mv`` put ``source_path``: inside ``destination`` if it is a directory, else at it."""
    if into:
        return sandbox.resolve(posixpath.join(destination, posixpath.basename(source_path)))
    return sandbox.resolve(destination)


@program("cp")
def _cp(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    options, operands = _options("cp", args, flags="rRfinvapuTL", long={"recursive": "r", "force": "f"})
    recursive = _has(options, "r", "R", "a")
    sources, destination, into = _destination(sandbox, "cp", operands)
    errors: list[str] = []
    for source in sources:
        source_path = sandbox.resolve(source)
        target = _target(sandbox, source_path, destination, into)
        try:
            if sandbox.is_dir(source_path):
                if not recursive:
                    errors.append(f"cp: -r not specified; omitting directory '{source}'\n")
                    continue
                if target == source_path or target.startswith(source_path.rstrip("/") + "/"):
                    errors.append(f"cp: cannot copy a directory, '{source}', into itself, '{destination}'\n")
                    continue
                for path in sandbox.walk(source_path):
                    copied = target + path[len(source_path) :]
                    if sandbox.is_dir(path):
                        sandbox.make_dir(copied, parents=True)
                    else:
                        sandbox.write(copied, sandbox.read(path))
            elif sandbox.is_file(source_path):
                if target == source_path:
                    errors.append(f"cp: '{source}' and '{destination}' are the same file\n")
                    continue
                sandbox.write(target, sandbox.read(source_path))
            else:
                errors.append(f"cp: cannot stat '{source}': No such file or directory\n")
        except SandboxFileError as error:
            errors.append(f"cp: cannot create regular file '{destination}': {error}\n")
    return CommandResult("", "".join(errors), 1 if errors else 0)


@program("mv")
def _mv(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    _, operands = _options("mv", args, flags="finvuT", long={"force": "f"})
    sources, destination, into = _destination(sandbox, "mv", operands)
    errors: list[str] = []
    for source in sources:
        source_path = sandbox.resolve(source)
        target = _target(sandbox, source_path, destination, into)
        if not sandbox.exists(source_path):
            errors.append(f"mv: cannot stat '{source}': No such file or directory\n")
            continue
        if target == source_path:
            errors.append(f"mv: '{source}' and '{destination}' are the same file\n")
            continue
        try:
            sandbox.rename(source_path, target)
        except SandboxFileError as error:
            errors.append(f"mv: cannot move '{source}' to '{destination}': {error}\n")
    return CommandResult("", "".join(errors), 1 if errors else 0)


@program("rm")
def _rm(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    options, operands = _options(
        "rm",
        args,
        flags="rRfivd",
        long={"recursive": "r", "force": "f", "no-preserve-root": "P", "verbose": "v"},
    )
    recursive, force = _has(options, "r", "R"), _has(options, "f")
    if not operands and not force:
        raise _Failure("rm: missing operand\nTry 'rm --help' for more information.")
    out: list[str] = []
    errors: list[str] = []
    for operand in operands:
        path = sandbox.resolve(operand)
        if path == "/" and recursive:
            sandbox.remove("/", recursive=True)
            out.append(
                "rm: removed every file and directory under '/' (this sandbox's in-memory file system is now empty)\n"
            )
            continue
        if not sandbox.exists(path):
            if not force:
                errors.append(f"rm: cannot remove '{operand}': No such file or directory\n")
            continue
        if sandbox.is_dir(path) and not recursive:
            if _has(options, "d") and not sandbox.children(path):
                sandbox.remove(path, recursive=True)
                continue
            errors.append(f"rm: cannot remove '{operand}': Is a directory\n")
            continue
        sandbox.remove(path, recursive=recursive)
        if _has(options, "v"):
            out.append(f"removed '{operand}'\n")
    return CommandResult("".join(out), "".join(errors), 1 if errors else 0)


@program("rmdir")
def _rmdir(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    _, operands = _options("rmdir", args, flags="pv")
    errors: list[str] = []
    for operand in operands:
        path = sandbox.resolve(operand)
        if not sandbox.is_dir(path):
            reason = "Not a directory" if sandbox.is_file(path) else "No such file or directory"
            errors.append(f"rmdir: failed to remove '{operand}': {reason}\n")
        elif sandbox.children(path):
            errors.append(f"rmdir: failed to remove '{operand}': Directory not empty\n")
        else:
            sandbox.remove(path, recursive=True)
    return CommandResult("", "".join(errors), 1 if errors else 0)


@program("find")
def _find(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    roots: list[str] = []
    index = 0
    while index < len(args) and not args[index].startswith("-") and args[index] not in ("!", "("):
        roots.append(args[index])
        index += 1
    tests: list[tuple[bool, str, str]] = []  # (negated, test, value)
    max_depth, min_depth = 1 << 30, 0
    negate = False
    while index < len(args):
        argument = args[index]
        index += 1
        if argument in ("!", "-not"):
            negate = not negate
            continue
        if argument in ("-print", "-a", "-and"):
            continue
        if argument in ("-exec", "-execdir", "-delete", "-ok", "-fprint"):
            raise _Failure(f"find: {argument} is not supported in this sandbox")
        if argument in ("-o", "-or", "(", ")", ","):
            raise _Failure(f"find: the operator '{argument}' is not supported in this sandbox")
        if argument not in ("-name", "-iname", "-type", "-path", "-wholename", "-maxdepth", "-mindepth"):
            raise _Failure(f"find: unknown predicate `{argument}'")
        if index >= len(args):
            raise _Failure(f"find: missing argument to `{argument}'")
        value = args[index]
        index += 1
        if argument == "-maxdepth":
            max_depth = _integer("find", value, "argument to -maxdepth")
        elif argument == "-mindepth":
            min_depth = _integer("find", value, "argument to -mindepth")
        else:
            if argument == "-type" and value not in ("f", "d"):
                raise _Failure(f"find: Unknown argument to -type: {value}")
            tests.append((negate, argument, value))
        negate = False
    out: list[str] = []
    errors: list[str] = []
    for root in roots or ["."]:
        root_path = sandbox.resolve(root)
        if not sandbox.exists(root_path):
            errors.append(f"find: '{root}': No such file or directory\n")
            continue
        for path in sandbox.walk(root_path):
            relative = path[len(root_path) :].lstrip("/") if root_path != "/" else path.lstrip("/")
            depth = 0 if path == root_path else relative.count("/") + 1
            if depth > max_depth or depth < min_depth:
                continue
            shown = root if path == root_path else (root.rstrip("/") or "") + "/" + relative
            name = posixpath.basename(path) or "/"
            matched = True
            for negated, test, value in tests:
                if test == "-name":
                    result = fnmatch.fnmatchcase(name, value)
                elif test == "-iname":
                    result = fnmatch.fnmatchcase(name.lower(), value.lower())
                elif test == "-type":
                    result = sandbox.is_dir(path) if value == "d" else sandbox.is_file(path)
                else:
                    result = fnmatch.fnmatchcase(shown, value)
                if result == negated:
                    matched = False
                    break
            if matched:
                out.append(shown + "\n")
    return CommandResult("".join(out), "".join(errors), 1 if errors else 0)


# -- text programs ---------------------------------------------------------------------------------------

_ECHO_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "f": "\f",
    "r": "\r",
    "v": "\v",
}


def _interpret_escapes(text: str) -> tuple[str, bool]:
    """``echo -e`` / ``printf %b`` escapes; the flag says a ``\\c`` stopped the output."""
    out: list[str] = []
    index = 0
    while index < len(text):
        character = text[index]
        if character != "\\" or index + 1 >= len(text):
            out.append(character)
            index += 1
            continue
        escaped = text[index + 1]
        if escaped == "c":
            return "".join(out), True
        if escaped in _ECHO_ESCAPES:
            out.append(_ECHO_ESCAPES[escaped])
            index += 2
        elif escaped == "0":
            digits = re.match(r"[0-7]{0,3}", text[index + 2 :]).group()  # type: ignore[union-attr]
            out.append(chr(int(digits or "0", 8)))
            index += 2 + len(digits)
        elif escaped == "x":
            digits = re.match(r"[0-9a-fA-F]{0,2}", text[index + 2 :]).group()  # type: ignore[union-attr]
            out.append(chr(int(digits, 16)) if digits else "\\x")
            index += 2 + len(digits)
        else:
            out.append("\\" + escaped)
            index += 2
    return "".join(out), False


@program("echo")
def _echo(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    newline, escapes = True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        for flag in args[0][1:]:
            newline = newline and flag != "n"
            escapes = True if flag == "e" else False if flag == "E" else escapes
        args = args[1:]
    text = " ".join(args)
    if escapes:
        text, stopped = _interpret_escapes(text)
        if stopped:
            return CommandResult(text)
    return CommandResult(text + ("\n" if newline else ""))


_PRINTF_SPEC = re.compile(r"%([-+ 0#]*)(\d*)(?:\.(\d*))?([sdifeEgGxXoucb%])")
_MAX_PRINTF_WIDTH = 1_000


@program("printf")
def _printf(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    if not args:
        raise _Failure("printf: usage: printf [-v var] format [arguments]", 2)
    if args[0] == "--":
        args = args[1:]
    format_text, values = _interpret_escapes(args[0])[0], list(args[1:])
    out: list[str] = []
    errors: list[str] = []

    def convert(match: re.Match[str]) -> str:
        flags, width, precision, kind = match.groups()
        if kind == "%":
            return "%"
        if (width and int(width) > _MAX_PRINTF_WIDTH) or (precision and int(precision) > _MAX_PRINTF_WIDTH):
            raise _Failure(
                f"printf: field width or precision too large (this sandbox allows {_MAX_PRINTF_WIDTH})"
            )
        value = values.pop(0) if values else ""
        spec = f"%{flags}{width}{'.' + precision if precision is not None else ''}"
        if kind in "sb":
            text = _interpret_escapes(value)[0] if kind == "b" else value
            return (spec + "s") % text
        if kind == "c":
            return (spec + "s") % value[:1]
        try:
            number: float | int = float(value or 0) if kind in "feEgG" else int(value or 0, 0)
        except ValueError:
            try:
                number = int(float(value)) if kind not in "feEgG" else 0.0
            except (ValueError, OverflowError):
                errors.append(f"printf: {value}: invalid number\n")
                number = 0
        if kind in "iu":
            kind = "d"
        return (spec + kind) % number

    passes = 0
    while True:
        try:
            out.append(_PRINTF_SPEC.sub(convert, format_text))
        except (ValueError, OverflowError, TypeError) as error:
            raise _Failure(f"printf: {error}") from None
        passes += 1
        if (
            not values
            or not _PRINTF_SPEC.search(format_text)
            or passes > 1_000
            or sum(map(len, out)) > MAX_STREAM_CHARS
        ):
            break
    return CommandResult("".join(out), "".join(errors), 1 if errors else 0)


@program("egrep")
def _egrep(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return _grep(sandbox, ["-E", *args], stdin)


@program("fgrep")
def _fgrep(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return _grep(sandbox, ["-F", *args], stdin)


@program("grep")
def _grep(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    if any(re.fullmatch(r"-[ABC]\d*|--(after|before)?-?context(=.*)?", argument) for argument in args):
        raise _Failure("grep: context options (-A, -B, -C) are not supported in this sandbox", 2)
    options, operands = _options(
        "grep",
        args,
        flags="rRnivlLcwxEFGHhsqoIa",
        valued="emf",
        long={
            "recursive": "r", "line-number": "n", "ignore-case": "i", "invert-match": "v",
            "files-with-matches": "l", "count": "c", "word-regexp": "w", "extended-regexp": "E",
            "fixed-strings": "F", "with-filename": "H", "no-filename": "h", "quiet": "q", "silent": "q",
            "only-matching": "o", "include": "include", "exclude": "exclude", "color": "color",
            "colour": "color", "regexp": "e", "max-count": "m", "binary-files": "binary",
        },
    )  # fmt: skip
    if _has(options, "f"):
        raise _Failure("grep: -f is not supported in this sandbox", 2)
    patterns = [value or "" for name, value in options if name == "e"]
    if not patterns:
        if not operands:
            raise _Failure(
                "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.", 2
            )
        patterns = operands[0].split("\n")
        operands = operands[1:]
    extended = _has(options, "E")
    fixed = _has(options, "F")
    pieces = [re.escape(p) if fixed else _basic_to_python(p, extended=extended) for p in patterns]
    pattern = "|".join(f"(?:{piece})" for piece in pieces)
    if _has(options, "w"):
        pattern = rf"(?<!\w)(?:{pattern})(?!\w)"
    if _has(options, "x"):
        pattern = rf"^(?:{pattern})$"
    matcher = _Matcher(sandbox, "grep", pattern, re.IGNORECASE if _has(options, "i") else 0)
    recursive = _has(options, "r", "R")
    includes = [value for name, value in options if name == "include" and value]
    excludes = [value for name, value in options if name == "exclude" and value]
    targets: list[tuple[str, str | None]] = []  # (shown name, absolute path or None for stdin)
    errors: list[str] = []
    for operand in operands or (["."] if recursive else ["-"]):
        if operand == "-":
            targets.append(("(standard input)", None))
            continue
        path = sandbox.resolve(operand)
        if sandbox.is_dir(path):
            if not recursive:
                errors.append(f"grep: {operand}: Is a directory\n")
                continue
            for found in sandbox.walk(path):
                if sandbox.is_file(found):
                    relative = found[len(path) :].lstrip("/")
                    name = posixpath.basename(found)
                    if includes and not any(fnmatch.fnmatchcase(name, glob) for glob in includes):
                        continue
                    if any(fnmatch.fnmatchcase(name, glob) for glob in excludes):
                        continue
                    shown = (
                        relative if operand == "." and not operands else f"{operand.rstrip('/')}/{relative}"
                    )
                    targets.append((shown, found))
        elif sandbox.is_file(path):
            targets.append((operand, path))
        elif not _has(options, "s"):
            errors.append(f"grep: {operand}: No such file or directory\n")
    with_names = (len(targets) > 1 or recursive) and not _has(options, "h")
    with_names = with_names or _has(options, "H")
    invert, numbered = _has(options, "v"), _has(options, "n")
    max_count = _integer("grep", _value(options, "m"), "max count") if _has(options, "m") else None
    out: list[str] = []
    any_match = False
    for shown, path in targets:
        text = stdin if path is None else sandbox.read(path)
        count = 0
        for number, line in enumerate(_lines(text), start=1):
            body = line.rstrip("\n")
            matched = matcher.search(body) is not None
            if matched == invert:
                continue
            count += 1
            any_match = True
            if _has(options, "q"):
                return CommandResult("", "", 0)
            if not _has(options, "l", "L", "c"):
                prefix = (f"{shown}:" if with_names else "") + (f"{number}:" if numbered else "")
                if _has(options, "o") and not invert:
                    out.extend(
                        f"{prefix}{match.group()}\n" for match in matcher.finditer(body) if match.group()
                    )
                else:
                    out.append(f"{prefix}{body}\n")
            if max_count is not None and count >= max_count:
                break
        if (_has(options, "l") and count) or (_has(options, "L") and not count):
            out.append(shown + "\n")
        elif _has(options, "c"):
            out.append((f"{shown}:" if with_names else "") + f"{count}\n")
    status = 2 if errors and not any_match else (0 if any_match else 1)
    return CommandResult("".join(out), "".join(errors), status)


@program("sort")
def _sort(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    options, operands = _options(
        "sort", args, flags="rnufb", long={"reverse": "r", "numeric-sort": "n", "unique": "u"}
    )
    lines: list[str] = []
    for operand in operands or ["-"]:
        lines.extend(line.rstrip("\n") for line in _lines(_read_operand(sandbox, "sort", operand, stdin)))

    def key(line: str) -> Any:
        if _has(options, "n"):
            match = re.match(r"\s*(-?\d+(?:\.\d+)?)", line)
            return (float(match.group(1)) if match else 0.0, line)
        return line.lower() if _has(options, "f") else line

    lines.sort(key=key, reverse=_has(options, "r"))
    if _has(options, "u"):
        unique: list[str] = []
        for line in lines:
            if not unique or unique[-1] != line:
                unique.append(line)
        lines = unique
    return CommandResult("".join(line + "\n" for line in lines))


@program("uniq")
def _uniq(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    options, operands = _options("uniq", args, flags="cdui", long={"count": "c"})
    text = _read_operand(sandbox, "uniq", operands[0], stdin) if operands else stdin
    groups: list[list[Any]] = []
    for line in (line.rstrip("\n") for line in _lines(text)):
        same = groups and (
            groups[-1][0].lower() == line.lower() if _has(options, "i") else groups[-1][0] == line
        )
        if same:
            groups[-1][1] += 1
        else:
            groups.append([line, 1])
    if _has(options, "d"):
        groups = [group for group in groups if group[1] > 1]
    if _has(options, "u"):
        groups = [group for group in groups if group[1] == 1]
    prefix = _has(options, "c")
    return CommandResult("".join((f"{count:>7} " if prefix else "") + f"{line}\n" for line, count in groups))


@program("tee")
def _tee(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    options, operands = _options("tee", args, flags="ai", long={"append": "a"})
    errors: list[str] = []
    for operand in operands:
        try:
            sandbox.write(sandbox.resolve(operand), stdin, append=_has(options, "a"))
        except SandboxFileError as error:
            errors.append(f"tee: {operand}: {error}\n")
    return CommandResult(stdin, "".join(errors), 1 if errors else 0)


# -- sed -----------------------------------------------------------------------------------------------------


class _SedCommand:
    def __init__(self) -> None:
        self.start: Any = None  # int, "$", or a _Matcher
        self.end: Any = None
        self.negated = False
        self.name = ""
        self.matcher: _Matcher | None = None
        self.replacement: list[tuple[str, Any]] = []
        self.global_ = False
        self.occurrence = 1
        self.print_after = False
        self.text = ""
        self.translate: dict[int, str] = {}
        self.in_range = False


def _sed_delimited(script: str, index: int, delimiter: str) -> tuple[str, int]:
    """Read up to the next unescaped ``delimiter``; return the text and the index after it."""
    out: list[str] = []
    while index < len(script):
        character = script[index]
        if character == "\\" and index + 1 < len(script):
            if script[index + 1] == delimiter:
                out.append(delimiter)
            else:
                out.append(script[index : index + 2])
            index += 2
            continue
        if character == delimiter:
            return "".join(out), index + 1
        out.append(character)
        index += 1
    raise _Failure(f"sed: -e expression #1, char {index}: unterminated `s' command")


def _sed_replacement(text: str) -> list[tuple[str, Any]]:
    parts: list[tuple[str, Any]] = []
    index = 0
    while index < len(text):
        character = text[index]
        if character == "\\" and index + 1 < len(text):
            escaped = text[index + 1]
            if escaped.isdigit():
                parts.append(("group", int(escaped)))
            elif escaped == "n":
                parts.append(("text", "\n"))
            elif escaped == "t":
                parts.append(("text", "\t"))
            else:
                parts.append(("text", escaped))
            index += 2
        elif character == "&":
            parts.append(("group", 0))
            index += 1
        else:
            parts.append(("text", character))
            index += 1
    return parts


def _sed_parse(sandbox: Sandbox, script: str, extended: bool) -> list[_SedCommand]:
    commands: list[_SedCommand] = []
    index = 0

    def address(position: int) -> tuple[Any, int]:
        if position < len(script) and script[position].isdigit():
            match = re.match(r"\d+", script[position:])
            assert match is not None
            return int(match.group()), position + match.end()
        if position < len(script) and script[position] == "$":
            return "$", position + 1
        if position < len(script) and script[position] in "/\\":
            delimiter = "/"
            if script[position] == "\\":
                delimiter = script[position + 1 : position + 2] or "/"
                position += 1
            pattern, position = _sed_delimited(script, position + 1, delimiter)
            return _Matcher(sandbox, "sed", _basic_to_python(pattern, extended=extended), 0), position
        return None, position

    while index < len(script):
        while index < len(script) and script[index] in " \t\n;":
            index += 1
        if index >= len(script):
            break
        command = _SedCommand()
        command.start, index = address(index)
        if command.start is not None and index < len(script) and script[index] == ",":
            command.end, index = address(index + 1)
        while index < len(script) and script[index] in " \t":
            index += 1
        if index < len(script) and script[index] == "!":
            command.negated = True
            index += 1
        if index >= len(script):
            raise _Failure(f"sed: -e expression #1, char {index}: missing command")
        command.name = script[index]
        index += 1
        if command.name == "s":
            if index >= len(script):
                raise _Failure(f"sed: -e expression #1, char {index}: unterminated `s' command")
            delimiter = script[index]
            pattern, index = _sed_delimited(script, index + 1, delimiter)
            replacement, index = _sed_delimited(script, index, delimiter)
            flags = re.match(r"[gpiI0-9]*", script[index:])
            assert flags is not None
            index += flags.end()
            flag_text = flags.group()
            command.global_ = "g" in flag_text
            command.print_after = "p" in flag_text
            digits = "".join(character for character in flag_text if character.isdigit())
            command.occurrence = int(digits) if digits else 1
            regex_flags = re.IGNORECASE if ("i" in flag_text or "I" in flag_text) else 0
            command.matcher = _Matcher(
                sandbox, "sed", _basic_to_python(pattern, extended=extended), regex_flags
            )
            command.replacement = _sed_replacement(replacement)
        elif command.name == "y":
            delimiter = script[index : index + 1] or "/"
            source, index = _sed_delimited(script, index + 1, delimiter)
            target, index = _sed_delimited(script, index, delimiter)
            if len(source) != len(target):
                raise _Failure("sed: -e expression #1: strings for `y' command are different lengths")
            command.translate = {ord(a): b for a, b in zip(source, target, strict=True)}
        elif command.name in "aic":
            if script.startswith("\\\n", index):
                index += 2
            elif script.startswith("\\", index):
                index += 1
            while index < len(script) and script[index] in " \t":
                index += 1
            end = script.find("\n", index)
            end = len(script) if end < 0 else end
            command.text = script[index:end]
            index = end
        elif command.name not in "pdq=":
            raise _Failure(f"sed: -e expression #1, char {index}: unknown command: `{command.name}'")
        commands.append(command)
    return commands


def _sed_selects(command: _SedCommand, number: int, line: str, last: bool) -> bool:
    def hits(address: Any) -> bool:
        if address == "$":
            return last
        if isinstance(address, int):
            return number == address
        return address.search(line) is not None

    if command.start is None:
        selected = True
    elif command.end is None:
        selected = hits(command.start)
    elif command.in_range:
        selected = True
        if hits(command.end) or (isinstance(command.end, int) and number >= command.end):
            command.in_range = False
    elif hits(command.start):
        selected = True
        command.in_range = not (isinstance(command.end, int) and command.end <= number) and not (
            command.end == "$" and last
        )
    else:
        selected = False
    return selected != command.negated


def _sed_run(commands: list[_SedCommand], text: str, quiet: bool) -> str:
    lines = _lines(text)
    trailing_newline = text.endswith("\n")
    out: list[str] = []
    for command in commands:
        command.in_range = False
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n")
        last = number == len(lines)
        deleted = False
        stop = False
        appended: list[str] = []
        for command in commands:
            if not _sed_selects(command, number, line, last):
                continue
            if command.name == "s" and command.matcher is not None:
                seen = 0

                def substitute(match: Any, command: _SedCommand = command) -> str:
                    nonlocal seen
                    seen += 1
                    if not command.global_ and seen != command.occurrence:
                        return match.group(0)
                    if command.global_ and seen < command.occurrence:
                        return match.group(0)
                    pieces = []
                    for kind, value in command.replacement:
                        if kind == "text":
                            pieces.append(value)
                        else:
                            try:
                                pieces.append(match.group(value) or "")
                            except IndexError:
                                raise _Failure(
                                    f"sed: -e expression #1: invalid reference \\{value} on `s' command's RHS"
                                ) from None
                    return "".join(pieces)

                new = command.matcher.sub(
                    substitute, line, 0 if command.global_ or command.occurrence > 1 else 1
                )
                if len(new) > MAX_STREAM_CHARS:
                    raise _Failure("sed: the result is too large for this sandbox")
                if new != line and command.print_after:
                    out.append(new + "\n")
                line = new
            elif command.name == "y":
                line = line.translate(command.translate)
            elif command.name == "p":
                out.append(line + "\n")
            elif command.name == "=":
                out.append(f"{number}\n")
            elif command.name == "d":
                deleted = True
                break
            elif command.name == "q":
                stop = True
                break
            elif command.name == "a":
                appended.append(command.text + "\n")
            elif command.name == "i":
                out.append(command.text + "\n")
            elif command.name == "c":
                if command.end is None or not command.in_range:
                    out.append(command.text + "\n")
                deleted = True
                break
        if not deleted and not quiet:
            out.append(line + ("\n" if (not last or trailing_newline) else ""))
        out.extend(appended)
        if sum(len(piece) for piece in out) > MAX_STREAM_CHARS:
            raise _Failure("sed: the result is too large for this sandbox")
        if stop:
            break
    return "".join(out)


@program("sed")
def _sed(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    scripts: list[str] = []
    in_place = False
    quiet = extended = False
    operands: list[str] = []
    index = 0
    while index < len(args):
        argument = args[index]
        index += 1
        if argument == "--":
            operands.extend(args[index:])
            break
        if argument in ("-i", "--in-place") or argument.startswith(("-i.", "--in-place=")):
            in_place = True
            if argument == "-i" and index < len(args) and args[index] == "":
                index += 1  # BSD's `sed -i '' ...`
            continue
        if argument in ("-e", "--expression"):
            if index >= len(args):
                raise _Failure("sed: option requires an argument -- 'e'")
            scripts.append(args[index])
            index += 1
            continue
        if argument in ("-f", "--file"):
            raise _Failure("sed: -f is not supported in this sandbox")
        if argument.startswith("-") and len(argument) > 1 and not argument.startswith("--"):
            for flag in argument[1:]:
                if flag == "n":
                    quiet = True
                elif flag in "Er":
                    extended = True
                elif flag == "i":
                    in_place = True
                elif flag not in "su":
                    raise _Failure(f"sed: invalid option -- '{flag}'")
            continue
        if argument in ("--quiet", "--silent"):
            quiet = True
            continue
        if argument in ("--regexp-extended",):
            extended = True
            continue
        operands.append(argument)
    if not scripts:
        if not operands:
            raise _Failure("Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...")
        scripts.append(operands.pop(0))
    commands = _sed_parse(sandbox, "\n".join(scripts), extended)
    if in_place:
        if not operands:
            raise _Failure("sed: no input files")
        errors: list[str] = []
        for operand in operands:
            path = sandbox.resolve(operand)
            try:
                text = sandbox.read(path)
                sandbox.write(path, _sed_run(commands, text, quiet))
            except SandboxFileError as error:
                errors.append(f"sed: can't read {operand}: {error}\n")
        return CommandResult("", "".join(errors), 1 if errors else 0)
    out: list[str] = []
    errors = []
    for operand in operands or ["-"]:
        try:
            out.append(_sed_run(commands, _read_operand(sandbox, "sed", operand, stdin), quiet))
        except _Failure as failure:
            if failure.message.startswith("sed: -e") or "too" in failure.message:
                raise
            errors.append(f"sed: can't read {operand}: No such file or directory\n")
    return CommandResult("".join(out), "".join(errors), 2 if errors else 0)


# -- python --------------------------------------------------------------------------------------------------


def _sibling_modules(sandbox: Sandbox, path: str) -> dict[str, str]:
    directory = posixpath.dirname(path)
    modules: dict[str, str] = {}
    for name in sandbox.children(directory):
        child = posixpath.join(directory, name)
        if name.endswith(".py") and sandbox.is_file(child) and child != path:
            modules[name[:-3]] = sandbox.read(child)
    return modules


def _run_python_file(sandbox: Sandbox, shown: str, path: str) -> CommandResult:
    source = sandbox.read(path)
    result = run_script(path, source, _sibling_modules(sandbox, path))
    if result.status == "ok":
        return CommandResult(result.output)
    # A traceback or the subset's note goes to stderr, as Python's own errors do.
    printed, _, message = result.output.rpartition("Traceback (most recent call last):")
    if result.status == "error":
        return CommandResult(printed, "Traceback (most recent call last):" + message, 1)
    return CommandResult("", result.output, 1)


def _run_file(sandbox: Sandbox, shown: str, path: str, args: list[str]) -> CommandResult:
    source = sandbox.read(path)
    if path.endswith(".py") or (source.startswith("#!") and "python" in source.split("\n", 1)[0]):
        return _run_python_file(sandbox, shown, path)
    if source.startswith("#!") or path.endswith(".sh"):
        return CommandResult(
            stderr=f"bash: {shown}: running shell scripts is not supported in this sandbox\n", status=1
        )
    return CommandResult(stderr=f"bash: {shown}: Permission denied\n", status=126)


@program("python", "python3", "python3.11")
def _python(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    while args and args[0] in ("-u", "-B", "-O", "-E", "-s", "-I"):
        args = args[1:]
    if not args:
        return CommandResult(
            stderr="python: interactive mode is not supported in this sandbox; run a file with python FILE\n",
            status=1,
        )
    if args[0] in ("--version", "-V"):
        return CommandResult("Python 3.11.7\n")
    if args[0] == "-m" and len(args) > 1 and args[1] == "pytest":
        return _pytest(sandbox, args[2:], stdin)
    if args[0].startswith("-"):
        return CommandResult(
            stderr=f"python: {args[0]} is not supported in this sandbox; write the code to a file and run python FILE\n",
            status=2,
        )
    path = sandbox.resolve(args[0])
    if not sandbox.is_file(path):
        reason = "Is a directory" if sandbox.is_dir(path) else "No such file or directory"
        errno = 21 if sandbox.is_dir(path) else 2
        return CommandResult(
            stderr=f"python3: can't open file '{path}': [Errno {errno}] {reason}\n", status=2
        )
    return _run_python_file(sandbox, args[0], path)


@program("pytest", "py.test")
def _pytest(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    operands = [argument for argument in args if not argument.startswith("-")]
    paths: list[tuple[str, str]] = []
    for operand in operands or ["."]:
        path = sandbox.resolve(operand)
        if sandbox.is_dir(path):
            for found in sandbox.walk(path):
                name = posixpath.basename(found)
                if sandbox.is_file(found) and (
                    fnmatch.fnmatchcase(name, "test_*.py") or fnmatch.fnmatchcase(name, "*_test.py")
                ):
                    paths.append((posixpath.relpath(found, sandbox.cwd), found))
        elif sandbox.is_file(path):
            paths.append((operand, path))
        else:
            return CommandResult(stderr=f"ERROR: file or directory not found: {operand}\n", status=4)
    if not paths:
        return CommandResult("no tests ran\n", status=5)
    lines: list[str] = []
    passed = failed = errored = 0
    for shown, path in paths:
        module = posixpath.basename(path).removesuffix(".py")
        result = evaluate_tests(sandbox.read(path), _sibling_modules(sandbox, path), module_name=module)
        if result.status == "passed":
            passed += 1
            lines.append(f"{shown} PASSED\n")
        elif result.status == "failed":
            failed += 1
            lines.append(f"{shown} FAILED: {result.message}\n")
        else:
            errored += 1
            lines.append(
                f"{shown} ERROR: this sandbox runs only a small subset of Python; {result.message}\n"
            )
    summary = ", ".join(
        f"{count} {word}"
        for count, word in ((failed, "failed"), (passed, "passed"), (errored, "error"))
        if count
    )
    status = 0 if not failed and not errored else 1
    return CommandResult("".join(lines) + f"{summary}\n", status=status)


# -- the rest ------------------------------------------------------------------------------------------------


@program("true", ":")
def _true(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return CommandResult()


@program("false")
def _false(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return CommandResult(status=1)


@program("exit", "logout")
def _exit(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    status = int(args[0]) % 256 if args and args[0].lstrip("-").isdigit() else sandbox.last_status
    raise ExitShell(status)


@program("export")
def _export(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    for argument in args:
        name, has_value, value = argument.partition("=")
        if has_value and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            sandbox.environment[name] = value
    return CommandResult()


@program("env", "printenv")
def _env(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    if args:
        return CommandResult(
            "".join(f"{sandbox.environment[name]}\n" for name in args if name in sandbox.environment)
        )
    return CommandResult("".join(f"{name}={value}\n" for name, value in sorted(sandbox.environment.items())))


@program("whoami")
def _whoami(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return CommandResult("root\n")


@program("id")
def _id(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return CommandResult("uid=0(root) gid=0(root) groups=0(root)\n")


@program("hostname")
def _hostname(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return CommandResult("sandbox\n")


@program("uname")
def _uname(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    if "-a" in args:
        return CommandResult("Linux sandbox 6.1.0 #1 SMP x86_64 GNU/Linux\n")
    return CommandResult("Linux\n")


@program("date")
def _date(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return CommandResult("Mon Jan  1 00:00:00 UTC 2024\n")


@program("clear", "sync")
def _nothing(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return CommandResult()


def _permissions(command: str, sandbox: Sandbox, args: list[str]) -> CommandResult:
    """``chmod``/``chown``/``chgrp``: there are no permissions here, so only check the files exist."""
    operands = [argument for argument in args if not argument.startswith("-")][1:]
    if not operands:
        raise _Failure(f"{command}: missing operand")
    missing = [operand for operand in operands if not sandbox.exists(sandbox.resolve(operand))]
    message = "".join(
        f"{command}: cannot access '{operand}': No such file or directory\n" for operand in missing
    )
    return CommandResult("", message, 1 if missing else 0)


@program("chmod")
def _chmod(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return _permissions("chmod", sandbox, args)


@program("chown")
def _chown(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return _permissions("chown", sandbox, args)


@program("chgrp")
def _chgrp(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return _permissions("chgrp", sandbox, args)


@program("which", "type")
def _which(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    out = [f"/usr/bin/{name}\n" for name in args if name in PROGRAMS and not name.startswith("-")]
    return CommandResult("".join(out), status=0 if len(out) == len(args) else 1)


@program("history")
def _history(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return CommandResult(
        "".join(f"{number:>5}  {line[:200]}\n" for number, (line, _) in enumerate(sandbox.history, start=1))
    )


@program("git")
def _git(sandbox: Sandbox, args: list[str], stdin: str) -> CommandResult:
    return CommandResult(
        stderr="fatal: not a git repository (or any of the parent directories): .git\n", status=128
    )
