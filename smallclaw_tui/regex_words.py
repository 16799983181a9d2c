"""A content check's pattern in words, when the pattern is only a literal.

A small model cannot read `/\\A\\s*6\\s*\\Z/`: told so, Qwen2.5-Coder-1.5B wrote "6 data.csv" into
a file that had to hold the number alone. Patterns that are more than a literal stay patterns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

_META = set(".^$*+?{}[]|()")
Scope = Literal["file", "line", "anywhere"]
# Checks match with re.MULTILINE (runner/safe_regex.py): `\A` and `\Z`/`\z` hold at the file's
# ends, `^` and `$` at every line's. Only ends that let a trailing newline through count: a file
# written as "6\n" must pass a check described as "holds only '6'".
_STARTS: tuple[tuple[str, Scope], ...] = (
    (r"\A\s*", "file"),
    (r"\A", "file"),
    (r"^\s*", "line"),
    ("^", "line"),
)
_ENDS: tuple[tuple[str, Scope], ...] = (
    (r"\s*\Z", "file"),
    (r"\s*\z", "file"),
    (r"\n?\Z", "file"),
    (r"\n?\z", "file"),
    (r"\s*$", "line"),
    (r"\n?$", "line"),
    ("$", "line"),
)


@dataclass(frozen=True, slots=True)
class PlainText:
    text: str
    # file: the file holds this and nothing else; line: some line does; anywhere: it is in the file
    # (whitespace around aside, in the first two)
    scope: Scope


def _unescaped_end(pattern: str, end: str) -> bool:
    """Does `pattern` end with `end` as syntax, not as an escaped character?"""
    if not pattern.endswith(end):
        return False
    before = pattern[: len(pattern) - len(end)]
    return (len(before) - len(before.rstrip("\\"))) % 2 == 0


def _literal_core(core: str) -> str | None:
    out: list[str] = []
    i = 0
    while i < len(core):
        ch = core[i]
        if ch == "\\":
            if i + 1 >= len(core) or core[i + 1].isalnum():
                return None  # \d, \w, \n ...: a class or an escape, not a plain character
            out.append(core[i + 1])
            i += 2
            continue
        if ch in _META:
            return None
        out.append(ch)
        i += 1
    return "".join(out) or None


def literal_of(pattern: str) -> PlainText | None:
    """The literal a pattern stands for, or None when it is a real pattern. Anchored at both ends
    of the file (`\\A\\s*6\\s*\\Z`) or of a line (`^6$`), or at neither: anywhere. Anchored at one
    end, or at a file's start and a line's end: a pattern."""
    start = next(((a, scope) for a, scope in _STARTS if pattern.startswith(a)), None)
    rest = pattern[len(start[0]) :] if start is not None else pattern
    end = next(((a, scope) for a, scope in _ENDS if _unescaped_end(rest, a)), None)
    if start is None and end is None:
        scope: Scope = "anywhere"
    elif start is not None and end is not None and start[1] == end[1]:
        scope = start[1]
        rest = rest[: len(rest) - len(end[0])]
    else:
        return None
    text = _literal_core(rest)
    return None if text is None else PlainText(text, scope)
