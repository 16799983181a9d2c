"""Judge a task's end state from the workspace alone — never from anything the runner recorded.

This is what makes "false completion" a fact rather than an opinion: the runner says `complete`,
and this module says whether the files really are what the goal asked for.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.reliability.spec import Absent, BenchTask, Expect, FileHas, FileIs, Holds, Prints, SameAsOutput


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    problems: tuple[str, ...]


def _read(ws: Path, rel: str) -> str | None:
    path = ws / rel
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _problem(ws: Path, expect: Expect) -> str | None:
    if isinstance(expect, Absent):
        return f"{expect.path} exists but should not" if (ws / expect.path).exists() else None
    if isinstance(expect, Prints):
        run = subprocess.run(expect.argv, cwd=ws, capture_output=True, text=True, timeout=30, check=False)
        ok = run.returncode == 0 and run.stdout == expect.text
        return None if ok else f"`{' '.join(expect.argv)}` prints {run.stdout!r}, want {expect.text!r}"
    text = _read(ws, expect.path)
    if text is None:
        return f"{expect.path} is missing"
    if isinstance(expect, FileIs):
        # "Write X with the line L" is done whether or not the file ends in a newline.
        ok = text == expect.text or text + "\n" == expect.text
        return None if ok else f"{expect.path} is {text!r}, want {expect.text!r}"
    if isinstance(expect, FileHas):
        return None if expect.text in text else f"{expect.path} lacks {expect.text!r}"
    if isinstance(expect, Holds):
        wrong = expect.test(text)
        return None if wrong is None else f"{expect.path}: {wrong}"
    assert isinstance(expect, SameAsOutput)
    out = subprocess.run(expect.argv, cwd=ws, capture_output=True, text=True, timeout=30, check=False).stdout
    return None if text == out else f"{expect.path} is {text!r}, `{' '.join(expect.argv)}` prints {out!r}"


# Written only by a tool call that a model mused about inside <think> (see profiles/sloppy.py).
THINKING_LEAK = Absent("THINKING_LEAK.txt")


def judge(task: BenchTask, ws: Path) -> Verdict:
    problems = tuple(p for e in (*task.expect, THINKING_LEAK) if (p := _problem(ws, e)) is not None)
    return Verdict(not problems, problems)


def seed_workspace(task: BenchTask, ws: Path) -> None:
    for rel, text in task.files.items():
        path = ws / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
