"""A step whose work is already in its file: the step's literals (its quoted texts and numbers,
never its verbs) are all there, each as a whole word.

Small models do two steps at once. The 1.5B, asked to rename a key, also raised the timeout, and
the next step ("Raise the timeout to 60") could only answer the file as it was (suite rename-key);
asked to write README.md's title, it wrote both lines, and the next step ("Add the line 'Run it
with make.'") appended the line again, was told "if the file already holds what the step asks,
reply DONE without writing", did so, and the verifier said NO (suite readme). Refused, those steps
sent a task whose files were right to "needs you".

Two facts say the work is there, and neither reads the step's words:

* :func:`done_earlier` — a try that wrote the file and left it as it was: an earlier step of this
  task put a literal there (what the file held before the task first wrote it did not hold all);
* :func:`held_already` — a try that wrote nothing, right after the step's own addition was refused
  because the file already held it: the runner's advice, followed.
"""

from __future__ import annotations

import re

from smallclaw_tui.models import PlanStep, Task
from smallclaw_tui.runner.intent import paths_in
from smallclaw_tui.runner.writes import BEFORE_CHARS, first_befores, norm_path

_QUOTED = re.compile(r"""(?<!\w)'([^'\n]+)'(?!\w)|"([^"\n]+)"|`([^`\n]+)`""")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)*(?![\w.])")


def literals(description: str) -> list[str]:
    """What a step's words give literally: quoted texts, and numbers outside them."""
    quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(description)]
    return list(dict.fromkeys(quoted + _NUMBER.findall(_QUOTED.sub(" ", description))))


def holds(text: str, literal: str) -> bool:
    """Is `literal` in `text` as a whole: "60" is not in "600", nor "6" in "16"."""
    before = r"(?<![\w.])" if literal[:1].isalnum() else ""
    after = r"(?![\w])" if literal[-1:].isalnum() else ""
    return re.search(before + re.escape(literal) + after, text) is not None


def named_files(step: PlanStep) -> list[str]:
    """The files the step is about: declared by the plan, else the paths its words name."""
    named = step.files or [p for p in paths_in(step.description) if not p.endswith("/")]
    return [p for p in dict.fromkeys(map(norm_path, named)) if p]


def held_already(step: PlanStep, now: str | None) -> str:
    """The step's literals, quoted, when the file's text `now` holds every one; else ""."""
    wanted = literals(step.description)
    if now is None or not wanted or not all(holds(now, t) for t in wanted):
        return ""
    return ", ".join(repr(t) for t in wanted)


def done_earlier(task: Task, step: PlanStep, path: str, now: str | None) -> str:
    """The step's literals, quoted, when `now` (the file's text) holds every one and an earlier
    step of this task put at least one there; else ""."""
    starts = first_befores(task.journal, before_step=step.index)
    if path not in starts:
        return ""  # no earlier step of this task wrote the file
    start = starts[path] or ""
    if len(start) >= BEFORE_CHARS:
        return ""  # only the file's start was kept: what it held further on is not known
    by = held_already(step, now)
    if not by or all(holds(start, t) for t in literals(step.description)):
        return ""
    return by
