"""Work an earlier step already did: the step's literals (its quoted texts and numbers, never its
verbs) are all in a file now, and an earlier step of this task put at least one of them there.

Small models do two steps at once. The 1.5B, asked to rename a key, also raised the timeout, and
the next step ("Raise the timeout to 60") could only answer the file as it was (suite rename-key);
asked to write README.md's title, it wrote both lines, and the next step ("Add the line 'Run it
with make.'") had nothing left to do (suite readme). Refused, those steps sent a task whose files
were right to "needs you".
"""

from __future__ import annotations

import re

from smallclaw_tui.models import PlanStep, Task
from smallclaw_tui.runner.intent import paths_in
from smallclaw_tui.runner.writes import first_befores, norm_path

_QUOTED = re.compile(r"""'([^'\n]+)'|"([^"\n]+)"|`([^`\n]+)`""")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)*(?![\w.])")


def literals(description: str) -> list[str]:
    """What a step's words give literally: quoted texts, and numbers outside them."""
    quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(description)]
    return list(dict.fromkeys(quoted + _NUMBER.findall(_QUOTED.sub(" ", description))))


def named_files(step: PlanStep) -> list[str]:
    """The files the step is about: declared by the plan, else the paths its words name."""
    named = step.files or [p for p in paths_in(step.description) if not p.endswith("/")]
    return [p for p in dict.fromkeys(map(norm_path, named)) if p]


def done_earlier(task: Task, step: PlanStep, path: str, now: str | None) -> str:
    """The step's literals, quoted, when `now` (the file's text) holds every one and an earlier
    step of this task put at least one there; else ""."""
    starts = first_befores(task.journal, before_step=step.index)
    if now is None or path not in starts:
        return ""  # no earlier step of this task wrote the file
    start = starts[path] or ""
    wanted = literals(step.description)
    if not wanted or not all(t in now for t in wanted) or all(t in start for t in wanted):
        return ""
    return ", ".join(repr(t) for t in wanted)
