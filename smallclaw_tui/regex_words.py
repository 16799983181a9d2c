"""A content check's pattern in words, when the pattern is only a literal.

A small model cannot read `/\\A\\s*6\\s*\\Z/`: told so, Qwen2.5-Coder-1.5B wrote "6 data.csv" into
a file that had to hold the number alone. Patterns that are more than a literal stay patterns.
"""

from __future__ import annotations

from dataclasses import dataclass

_META = set(".^$*+?{}[]|()")
_STARTS = (r"\A\s*", r"^\s*", r"\A", "^")
# Only ends that let a trailing newline through: a file written as "6\n" must pass a check
# described as "holds only '6'".
_ENDS = (r"\s*\Z", r"\s*\z", r"\s*$", r"\n?\Z", r"\n?\z", r"\n?$", "$")


@dataclass(frozen=True, slots=True)
class PlainText:
    text: str
    whole: bool  # True: the file holds this and nothing else (whitespace around aside)


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
    (`^6$`, `\\A\\s*6\\s*\\Z`): the file's whole text; at neither: anywhere; at one: a pattern."""
    start = next((s for s in _STARTS if pattern.startswith(s)), None)
    rest = pattern[len(start) :] if start is not None else pattern
    end = next((e for e in _ENDS if _unescaped_end(rest, e)), None)
    if (start is None) != (end is None):
        return None
    text = _literal_core(rest[: len(rest) - len(end)] if end is not None else rest)
    return None if text is None else PlainText(text, whole=start is not None)
