"""Parsing the new-task dialog: a goal, optional steps (one per line), optional checks.

Pure functions, so the small language of the dialog is tested without an app. A check line is
``[N:] KIND ARGS``::

    file_exists notes/todo.md
    2: file_contains notes/todo.md buy milk
    file_matches count.txt ^[0-9]+$
    command_succeeds python -m pytest -q

``N:`` attaches the check to step N (1-based); without it the check belongs to the last step,
the natural "done when" of the whole task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

# The models are imported where used, not here: the app draws its first frame before pydantic.
if TYPE_CHECKING:
    from smallclaw_tui.models import Check, PlanStep


_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_TARGET = re.compile(r"^\s*(\d+)\s*:\s*")
_KINDS = {
    "file_exists": "file_exists",
    "exists": "file_exists",
    "file_contains": "file_contains",
    "contains": "file_contains",
    "file_matches": "file_matches",
    "matches": "file_matches",
    "command_succeeds": "command_succeeds",
    "cmd": "command_succeeds",
}
CHECK_HELP = (
    "file_exists P · file_contains P TEXT · file_matches P REGEX · command_succeeds CMD · N: for step N"
)


class FormError(ValueError):
    """A problem in what the user typed, phrased for the dialog."""


@dataclass(frozen=True, slots=True)
class NewTaskForm:
    goal: str
    title: str | None
    steps: list[PlanStep]


def parse_steps(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if line:
            out.append(line)
    return out


def parse_check(line: str) -> tuple[int | None, Check]:
    from smallclaw_tui.models import CommandSucceedsCheck, FileContainsCheck, FileExistsCheck

    target: int | None = None
    m = _TARGET.match(line)
    if m:
        target = int(m.group(1))
        line = line[m.end() :]
    kind_word, _, rest = line.strip().partition(" ")
    kind = _KINDS.get(kind_word.lower())
    rest = rest.strip()
    if kind is None:
        raise FormError(f"unknown check {kind_word!r}; use {CHECK_HELP}")
    if kind == "command_succeeds":
        if not rest:
            raise FormError("command_succeeds needs a command")
        return target, CommandSucceedsCheck(command=rest)
    path, _, text = rest.partition(" ")
    if not path:
        raise FormError(f"{kind} needs a path")
    if kind == "file_exists":
        if text.strip():
            raise FormError(f"file_exists takes only a path (got extra text {text.strip()!r})")
        return target, FileExistsCheck(path=path)
    if not text.strip():
        raise FormError(f"{kind} needs a path and the text to find")
    if kind == "file_matches":
        try:
            re.compile(text.strip())
        except re.error as e:
            raise FormError(f"file_matches: not a valid regular expression: {e}") from None
        return target, FileContainsCheck(path=path, text=text.strip(), regex=True)
    return target, FileContainsCheck(path=path, text=text.strip())


def build_form(goal: str, title: str = "", steps_text: str = "", checks_text: str = "") -> NewTaskForm:
    from smallclaw_tui.models import PlanStep

    goal = goal.strip()
    if not goal:
        raise FormError("the goal is empty: say what the task should achieve")
    descriptions = parse_steps(steps_text)
    checks = [parse_check(line) for line in checks_text.splitlines() if line.strip()]
    if checks and not descriptions:
        # Checks need a step to hang on; without a plan the goal itself is that one step.
        descriptions = [" ".join(goal.split())]
    steps = [PlanStep(index=i, description=d) for i, d in enumerate(descriptions)]
    for target, check in checks:
        n = target if target is not None else len(steps)
        if not 1 <= n <= len(steps):
            raise FormError(f"check for step {n}: there are only {len(steps)} steps")
        steps[n - 1].checks.append(check)
    return NewTaskForm(goal=goal, title=title.strip() or None, steps=steps)


def check_line(check: Check) -> str:
    """A check in the dialog's language (what `parse_check` reads back)."""
    from smallclaw_tui.models import CommandSucceedsCheck, FileExistsCheck

    if isinstance(check, CommandSucceedsCheck):
        return f"command_succeeds {check.command}"
    if isinstance(check, FileExistsCheck):
        return f"file_exists {check.path}"
    return f"{'file_matches' if check.regex else 'file_contains'} {check.path} {check.text}"


def plan_texts(plan: list[PlanStep]) -> tuple[str, str]:
    """A plan as the dialog's steps and checks fields, each check tied to its step."""
    steps = "\n".join(
        s.description if "\n" not in s.description else " ".join(s.description.split()) for s in plan
    )
    checks = "\n".join(f"{s.index + 1}: {check_line(c)}" for s in plan for c in s.checks)
    return steps, checks
