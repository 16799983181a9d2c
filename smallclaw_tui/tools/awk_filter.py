"""awk as a filter: the one form of awk that may run without asking.

awk is a language; what it can do beyond printing its input lines is spelled in its program, so
the program is judged as code, not checked as a path (:mod:`.shell_args` checks its files).
Anything that reaches past the files it was given is refused, and refused only means "ask the
user": the command still runs in the sandbox once approved.
"""

from __future__ import annotations

import re
from pathlib import Path

# awk as a filter only. Everything in the language that reaches past its operands is refused:
# output redirection and pipes (`>`, `|`), commands (system), reading other files or commands
# (getline), the file list and environment (ARGV, ARGC, ENVIRON, PROCINFO), gawk's extensions (@).
# A comparison with `>` is refused too: the user is asked, never the other way round.
_AWK_REACH = re.compile(r"[|>@]|\b(?:system|getline|ARGV|ARGC|ENVIRON|PROCINFO)\b")
# `{a,b}` that bash as /bin/sh would expand into words: with a `/`, `.` or `~`, those could be
# paths no check here saw.
_BRACE_LIST = re.compile(r"\{[^{}]*,[^{}]*\}")


def awk_program(args: list[str]) -> tuple[int, str] | None:
    """(index, text) of awk's program among `args`, when only -F and -v come before it."""
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            i += 1
            break
        if word == "-" or not word.startswith("-"):
            break
        if word[:2] not in ("-F", "-v"):
            return None  # -f FILE, gawk's -l/-e/--exec and the rest: a program we cannot see
        i += 2 if len(word) == 2 else 1
    return (i, args[i]) if i < len(args) else None


def awk_ok(args: list[str], root: Path | None) -> bool:
    program = awk_program(args)
    if program is None:
        return False
    text = program[1]
    return not _AWK_REACH.search(text) and not (_BRACE_LIST.search(text) and re.search(r"[/.~]", text))
