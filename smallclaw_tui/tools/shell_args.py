"""What an allowlisted program may be given without asking: nothing that leaves the workspace.

The allowlist says which programs may run unasked; this says with which arguments. A simple
command stays auto-allowed only when every path its arguments could name stays inside the
workspace and out of ``.localclaw/``: nothing absolute, no ``..`` component, no leading ``~``, and
no symlink or glob that lands outside. Option values count (``--file=/etc/passwd``, ``-o/tmp/x``).

Some programs of the default allowlist can do more than read through their options: write a file
(``sort -o``, ``uniq IN OUT``), run a helper (``sort --compress-program``), read file names from a
file where no check sees them (``--files0-from``), set the clock (``date -s``) or read a whole tree
(``grep -r .`` would print ``.localclaw/config.toml``). :data:`_RULES` refuses those forms, and a
glob is refused when it matches a name that starts with ``-`` (``?r`` finding a file named ``-r``).

This is a first line, not the boundary: every command runs in the OS sandbox
(:mod:`smallclaw_tui.tools.sandbox`), which decides what a misread command can reach.

"Refused" here only means "ask the user": the caller sends the command to approval.
Words are checked as the program receives them (quotes removed). A quoted ``*`` is checked as if
the shell would expand it; that errs toward asking, never toward running.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Literal

from smallclaw_tui.config_files import DATA_DIR_NAME
from smallclaw_tui.tools.awk_filter import awk_ok, awk_program
from smallclaw_tui.tools.workspace import is_app_data

_GLOB = re.compile(r"[*?\[]")
# A glob matching more names than this is not checked name by name; it goes to the user.
_MAX_GLOB_MATCHES = 2000
# Longer "-xyz…" words are not split into every possible attached option value.
_MAX_CLUSTER = 64


def arguments_are_safe(words: list[str], workspace: Path | None) -> bool:
    """True when the simple command `words` (program first) keeps to the workspace.

    Without a workspace, only what needs no file system is checked (names, options), so a
    symlink out of the workspace is not caught; pass it whenever it is known.
    """
    root = workspace.resolve() if workspace is not None else None
    args = words[1:]
    # awk's program is code, not a path: _awk_ok judges it instead.
    program = awk_program(args) if words[0] == "awk" else None
    skip = -1 if program is None else program[0]
    if not all(
        _confined(text, root) for k, word in enumerate(args) if k != skip for text in _path_texts(word)
    ):
        return False
    rule = _RULES.get(words[0])
    return rule is None or rule(args, root)


def tee_files(args: list[str]) -> list[str]:
    """The files `tee` writes, given its arguments (none when they do not parse)."""
    parsed = _parse(args, _TEE)
    return [] if parsed is None else parsed.operands


def redirect_target_is_safe(target: str, workspace: Path | None) -> bool:
    """May output be redirected (`>`/`>>`) into `target` without asking? Only a plain file path in
    the workspace and outside `.localclaw/`: no more than `write_file` may write anyway."""
    if not target or target.startswith("-") or _GLOB.search(target):
        return False
    # `.git` at any depth: a write there arms the user's next git command (hooks, fsmonitor), and
    # the sandbox keeps only the top-level one read-only. By name, as write_file refuses it.
    if any(part.casefold() == ".git" for part in Path(target.strip("'\"")).parts):
        return False
    root = workspace.resolve() if workspace is not None else None
    return _confined(target, root) and not (root is not None and _is_root(target, root))


# --- paths --------------------------------------------------------------------------------------------


def _path_texts(word: str) -> list[str]:
    """Every string in `word` that the program might open as a path."""
    if word in ("-", "--"):  # stdin, end of options
        return []
    texts = [word]
    if "=" in word:  # --file=PATH, if=PATH
        texts.append(word.split("=", 1)[1])
    if word.startswith("-") and not word.startswith("--"):
        # A cluster of short options may end in an attached value: `-o/tmp/x`, `-uo../x`.
        if len(word) > _MAX_CLUSTER:
            return [word, "/"]  # "/": refused, as a stand-in for the values we did not split out
        texts.extend(word[i:] for i in range(2, len(word)))
    return texts


def _confined(text: str, root: Path | None) -> bool:
    if "\x00" in text:  # no program can be given it; and Path.resolve would raise
        return False
    # Tilde expansion: at the start, and (bash, when /bin/sh is bash) after = or : in x=~/a:~/b.
    if text.startswith(("/", "~")) or "=~" in text or ":~" in text:
        return False
    parts = text.split("/")
    if ".." in parts:
        return False
    # Brace expansion (bash as /bin/sh) can build a `..` or a `.localclaw` out of harmless pieces.
    if "{" in text and "}" in text:
        return False
    globbing = _GLOB.search(text) is not None
    # `*`, `?` and `[…]` never match a leading dot, so `.*`-style components are the way to `..`
    # (dash lists it) and to `.localclaw`; they are refused rather than expanded.
    if globbing and any(p.startswith(".") and _GLOB.search(p) for p in parts):
        return False
    if _names_app_data(text):
        return False
    if root is None:
        return True
    names = [text]
    if globbing:
        pattern = _widen_brackets(text)
        matches = list(islice(glob.iglob(pattern, root_dir=root), _MAX_GLOB_MATCHES + 1))
        # A file named `-r` or `--files0-from=x` is easy to make, and `?r` expands to it: the
        # program would read it as an option that no check here saw.
        if len(matches) > _MAX_GLOB_MATCHES or any(m.startswith("-") for m in matches):
            return False
        names += matches
    return all(_resolves_inside(root, name) for name in names)


def _widen_brackets(text: str) -> str:
    """`text` as a Python glob that matches at least what the shell's would.

    Python's glob knows no POSIX classes (``[[:alpha:]]`` matched nothing, so the link it reached
    went unchecked) and reads ``[^a]`` differently from bash. Each bracket expression becomes
    ``?``, any one character, which the shell's match is always within; an unclosed ``[`` is
    literal to the shell and is escaped.
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "[":
            out.append(text[i])
            i += 1
            continue
        end = _bracket_end(text, i)
        out.append("[[]" if end is None else "?")
        i = i + 1 if end is None else end + 1
    return "".join(out)


def _bracket_end(text: str, start: int) -> int | None:
    """The index of the `]` closing the bracket expression at `start`, or None when none does."""
    j = start + 1
    if text[j : j + 1] in ("!", "^"):
        j += 1
    if text[j : j + 1] == "]":  # a `]` first is a member, not the end
        j += 1
    while j < len(text):
        if text[j] == "/":
            return None  # a bracket never spans a path separator
        if text[j] == "[" and text[j + 1 : j + 2] in (":", "=", "."):
            close = text.find(text[j + 1] + "]", j + 2)
            if close != -1:
                j = close + 2
                continue
        if text[j] == "]":
            return j
        j += 1
    return None


def _names_app_data(text: str) -> bool:
    first = Path(os.path.normpath(text)).parts[:1]
    return bool(first) and first[0].casefold() == DATA_DIR_NAME


def _resolves_inside(root: Path, name: str) -> bool:
    try:
        resolved = (root / name).resolve()  # follows symlinks, even dangling ones
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13), ENAMETOOLONG
        return False
    return resolved.is_relative_to(root) and not is_app_data(root, resolved)


def _is_root(name: str, root: Path | None) -> bool:
    if root is None:
        return os.path.normpath(name) == "."
    try:
        return (root / name).resolve() == root
    except (OSError, RuntimeError):
        return True


# --- options ------------------------------------------------------------------------------------------

Arg = Literal["none", "required", "optional"]  # "optional": only as --name=value (getopt_long)


@dataclass(frozen=True, slots=True)
class _Spec:
    """A program's options, enough to tell option values from operands the way getopt does."""

    long: dict[str, Arg]
    short_with_value: str = ""  # takes the rest of the word, or else the next word
    short_optional: str = ""  # takes the rest of the word, if any (date -Iseconds)


@dataclass(slots=True)
class _Parsed:
    options: list[tuple[str, str | None]] = field(default_factory=list)
    operands: list[str] = field(default_factory=list)
    # An option after an operand: GNU tools permute, but under POSIXLY_CORRECT it is an operand.
    option_after_operand: bool = False

    def has(self, *names: str) -> bool:
        return any(name in names for name, _ in self.options)


def _parse(args: list[str], spec: _Spec) -> _Parsed | None:
    """Split `args` like GNU getopt_long; None for anything it would reject or we cannot tell."""
    out = _Parsed()
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == "--":
            out.operands += args[i:]
            break
        if word == "-" or not word.startswith("-"):
            out.operands.append(word)
            continue
        out.option_after_operand |= bool(out.operands)
        if word.startswith("--"):
            name, eq, value = word[2:].partition("=")
            full = _long_name(name, spec.long)
            if full is None:
                return None
            kind = spec.long[full]
            if kind == "none" and eq:
                return None
            if kind == "required" and not eq:
                if i == len(args):
                    return None
                value = args[i]
                i += 1
            out.options.append((full, value if kind != "none" and (eq or kind == "required") else None))
            continue
        for j, letter in enumerate(word[1:], 2):
            rest = word[j:]
            if letter in spec.short_optional:
                out.options.append((letter, rest or None))
                break
            if letter in spec.short_with_value:
                if not rest:
                    if i == len(args):
                        return None
                    rest = args[i]
                    i += 1
                out.options.append((letter, rest))
                break
            out.options.append((letter, None))
    return out


def _long_name(given: str, names: dict[str, Arg]) -> str | None:
    # getopt_long takes any unambiguous prefix: `--out` is `--output`.
    if given in names:
        return given
    found = [n for n in names if n.startswith(given)] if given else []
    return found[0] if len(found) == 1 else None


def _none(*names: str) -> dict[str, Arg]:
    return dict.fromkeys(names, "none")


def _required(*names: str) -> dict[str, Arg]:
    return dict.fromkeys(names, "required")


def _optional(*names: str) -> dict[str, Arg]:
    return dict.fromkeys(names, "optional")


_STANDARD = _none("help", "version")

_SORT = _Spec(
    long=_STANDARD
    | _none("ignore-leading-blanks", "dictionary-order", "ignore-case", "general-numeric-sort")
    | _none("ignore-nonprinting", "month-sort", "human-numeric-sort", "numeric-sort", "random-sort")
    | _none("reverse", "version-sort", "debug", "merge", "stable", "unique", "zero-terminated")
    | _required("random-source", "sort", "batch-size", "compress-program", "files0-from", "key")
    | _required("output", "buffer-size", "field-separator", "temporary-directory", "parallel")
    | _optional("check"),
    short_with_value="koStT",
)
_UNIQ = _Spec(
    long=_STANDARD
    | _none("count", "repeated", "ignore-case", "unique", "zero-terminated")
    | _required("skip-fields", "skip-chars", "check-chars")
    | _optional("all-repeated", "group"),
    short_with_value="fsw",
)
_DATE = _Spec(
    long=_STANDARD
    | _none("debug", "resolution", "rfc-email", "rfc-822", "rfc-2822", "universal", "utc", "uct")
    | _required("date", "file", "rfc-3339", "reference", "set")
    | _optional("iso-8601"),
    short_with_value="dfrs",
    short_optional="I",
)
_WC = _Spec(
    long=_STANDARD
    | _none("bytes", "chars", "lines", "max-line-length", "words")
    | _required("files0-from", "total"),
)
_GREP = _Spec(
    long=_STANDARD
    | _none("basic-regexp", "extended-regexp", "fixed-strings", "perl-regexp", "ignore-case")
    | _none("no-ignore-case", "word-regexp", "line-regexp", "null-data", "no-messages", "invert-match")
    | _none("byte-offset", "line-number", "no-line-number", "line-buffered", "with-filename")
    | _none("no-filename", "only-matching", "quiet", "silent", "text", "recursive")
    | _none("dereference-recursive", "files-without-match", "files-with-matches", "count")
    | _none("initial-tab", "null")
    | _required("after-context", "before-context", "context", "regexp", "file", "max-count", "label")
    | _required("binary-files", "directories", "devices", "include", "exclude", "exclude-from")
    | _required("exclude-dir", "group-separator")
    | _optional("color", "colour"),
    short_with_value="ABCDdefm",
)


def _sort_ok(args: list[str], root: Path | None) -> bool:
    # -o writes a file; -T writes temporary files there; --compress-program runs a program (sh
    # would run the sorted lines); --files0-from reads the file names to sort from a file.
    parsed = _parse(args, _SORT)
    return parsed is not None and not parsed.has(
        "o", "output", "T", "temporary-directory", "compress-program", "files0-from"
    )


def _uniq_ok(args: list[str], root: Path | None) -> bool:
    # A second operand is the output file.
    parsed = _parse(args, _UNIQ)
    return parsed is not None and len(parsed.operands) <= 1 and not parsed.option_after_operand


def _date_ok(args: list[str], root: Path | None) -> bool:
    # -s sets the clock; so does an operand that is not a +FORMAT (`date 010100002020`).
    parsed = _parse(args, _DATE)
    return (
        parsed is not None
        and not parsed.has("s", "set")
        and all(op.startswith("+") for op in parsed.operands)
    )


def _wc_ok(args: list[str], root: Path | None) -> bool:
    parsed = _parse(args, _WC)
    return parsed is not None and not parsed.has("files0-from")


def _grep_ok(args: list[str], root: Path | None) -> bool:
    parsed = _parse(args, _GREP)
    if parsed is None:
        return False
    recursive = parsed.has("r", "recursive") or any(
        name in ("d", "directories") and value not in ("read", "skip") for name, value in parsed.options
    )
    if parsed.has("R", "dereference-recursive"):
        return False  # follows symlinks, and so out of the tree
    if not recursive:
        return True
    # The workspace root holds .localclaw/ (config.toml with its tokens): a recursive grep must
    # name the folders it searches, and none of them may be the root. With no folder it reads `.`.
    pattern_given = parsed.has("e", "regexp", "f", "file")
    folders = parsed.operands if pattern_given else parsed.operands[1:]
    return bool(folders) and not any(_is_root(f, root) for f in folders)


def _diff_ok(args: list[str], root: Path | None) -> bool:
    # Recursive diff prints the files it compares, so it must not compare the workspace root; and
    # it follows links inside the trees, so none may lead out. diff has too many options to list;
    # a word that might switch on recursion is taken to.
    recursive = any(
        (w.startswith("-") and not w.startswith("--") and "r" in w)
        or (w.startswith("--") and "recursive".startswith(w[2:].split("=", 1)[0] or "-"))
        for w in args
    )
    if not recursive:
        return True
    if any(_is_root(t, root) for w in args for t in _path_texts(w)):
        return False
    return root is None or all(_tree_stays_inside(root, w) for w in args if not w.startswith("-"))


def _tree_stays_inside(root: Path, name: str) -> bool:
    """No link anywhere under `root/name` leads out of the workspace (or into its data)."""
    seen = 0
    for folder, dirs, files in os.walk(root / name):
        for entry in (*dirs, *files):
            seen += 1
            path = Path(folder, entry)
            if seen > _MAX_GLOB_MATCHES or (path.is_symlink() and not _resolves_inside(root, str(path))):
                return False
    return True


_TEE = _Spec(long=_STANDARD | _none("append", "ignore-interrupts") | _optional("output-error"))


def _tee_ok(args: list[str], root: Path | None) -> bool:
    # tee writes its operands: each only where a redirect may write (write_file's reach).
    parsed = _parse(args, _TEE)
    return parsed is not None and all(redirect_target_is_safe(f, root) for f in parsed.operands)


_RULES: dict[str, Callable[[list[str], Path | None], bool]] = {
    "tee": _tee_ok,
    "awk": awk_ok,
    "sort": _sort_ok,
    "uniq": _uniq_ok,
    "date": _date_ok,
    "wc": _wc_ok,
    "grep": _grep_ok,
    "diff": _diff_ok,
}
