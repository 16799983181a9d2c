"""Which files a step must write, and the question that asks for one it left unwritten.

A step owes a file when its declared kind writes it (create, edit, replace, append: the step's
files), or, for a step that declares no kind, when one of its own checks reads the file and fails.
A run step owes none: measured (TUNING §22), asking for what its command did not write completed
a task whose plan had gone wrong (suite csv-header: the row count of a file an invented step had
changed).
Seen on Qwen2.5-Coder-1.5B (bench/real/TUNING.md §11): "Count the ERROR lines … and write the count
to errors.txt" ran `grep -c` and answered DONE; "Write 'v1' into plan.txt" wrote v1/plan.txt.
The try has what the file needs (the count, the text); asked for the file's whole text in the same
conversation, the model only has to say it, and the runner writes it where the step says.
"""

from __future__ import annotations

import re

from smallclaw_tui.models import (
    Check,
    CommandSucceedsCheck,
    FileContainsCheck,
    FileExistsCheck,
    JournalEntry,
    JournalType,
    PlanStep,
    StepKind,
    ToolCall,
)
from smallclaw_tui.runner.checks import implied_checks
from smallclaw_tui.runner.intent import paths_in
from smallclaw_tui.runner.writes import norm_path

WRITES = frozenset({StepKind.CREATE, StepKind.EDIT, StepKind.REPLACE, StepKind.APPEND})


def step_checks(step: PlanStep) -> list[Check]:
    """What the step is judged by: its own checks, or, with none, that the files its words name
    exist (as the verification judges it: "write the names into src/index.txt")."""
    return list(step.checks) or list(implied_checks(step.description))


def declared(step: PlanStep) -> list[str]:
    """The files the step must leave written: its files by its kind, or, with no kind, the files
    its checks read (a read or run step owes none)."""
    if step.kind in WRITES:
        paths = list(step.files)
    elif step.kind is None:
        paths = [c.path for c in step_checks(step) if isinstance(c, FileExistsCheck | FileContainsCheck)]
    else:
        paths = []
    out: list[str] = []
    for p in map(norm_path, paths):
        if p and p not in out:
            out.append(p)
    return out


def file_checks(step: PlanStep, path: str) -> list[FileExistsCheck | FileContainsCheck]:
    return [
        c
        for c in step_checks(step)
        if isinstance(c, FileExistsCheck | FileContainsCheck) and norm_path(c.path) == path
    ]


def named(step: PlanStep, goal: str) -> set[str]:
    """Every path the goal, the step and its checks name: a file the try made outside these is
    one the model put in the wrong place."""
    words = [goal, step.description]
    words += [c.command for c in step.checks if isinstance(c, CommandSucceedsCheck)]
    out = {norm_path(p) for w in words for p in paths_in(w)}
    out |= {norm_path(f) for f in step.files}
    out |= {norm_path(c.path) for c in step.checks if not isinstance(c, CommandSucceedsCheck)}
    return out


def question(path: str, text: str | None, undone: list[str]) -> str:
    parts: list[str] = []
    if undone:
        parts.append(f"Your writes to {', '.join(undone)} were undone: this step writes {path}.")
    parts.append(f"{path} was not written, and this step must write it.")
    if text is not None:
        parts += [f"The current text of {path}:", "```", text.rstrip("\n"), "```"]
    parts.append(f"Reply with the complete text of {path} in one ``` block and nothing else.")
    return "\n".join(parts)


def text_from_calls(calls: list[ToolCall]) -> str | None:
    """A reply that called write_file instead of writing a block still holds the text it meant
    (the 1.5B aimed the call at the wrong folder again; the runner writes where the step says).
    Any other call holds no file text. A call is never itself taken as the file's text."""
    for call in calls:
        content = call.arguments.get("content")
        if call.name == "write_file" and isinstance(content, str):
            return content
    return None


def failed_reads(entries: list[JournalEntry]) -> set[str]:
    """Paths that a `read_file` call in these entries asked for and did not get."""
    asked: dict[str, str] = {}
    out: set[str] = set()
    for e in entries:
        call_id = str(e.detail.get("call_id") or "")
        if e.type == JournalType.TOOL_CALL and e.detail.get("name") == "read_file":
            path = e.detail.get("path")
            if isinstance(path, str):
                asked[call_id] = norm_path(path)
        elif e.type == JournalType.TOOL_RESULT and e.detail.get("ok") is False and call_id in asked:
            out.add(asked[call_id])
    return out


# A line of the runner's own prompt at least this long, found in an answer, is an echo.
ECHO_MIN = 20


def echoes(answer: str, asked: str, *shown: str) -> bool:
    """Does the answer repeat a line of the prompt the runner wrote (not one of the files it
    `shown`)? The 0.5B answered "the text of py_count.txt" with the question itself."""
    theirs = {ln.strip() for text in shown for ln in text.splitlines()}
    ours = [
        ln.strip() for ln in asked.splitlines() if len(ln.strip()) >= ECHO_MIN and ln.strip() not in theirs
    ]
    return any(line in answer for line in ours)


# Whether a missing file the goal names is the step's output or its input is the model's call
# (suite index-src: "… write the file names into src/index.txt" listed src/ and said DONE; "Read
# missing.txt to get the text to copy" must never have missing.txt made up). Probed on the 1.5B
# (13 steps, TUNING §22): "does this step make the file, or only read it?" was answered READ every
# time; "output or input?" said OUTPUT for 5 of 6 inputs; "which file does this step write?" named
# missing.txt for "Read missing.txt". Asked both, and taken as made only when both say so, it was
# right on 12 of 13, the one miss an output taken for an input (an escalation, not a made-up file).
ROLE_SYSTEM = "You sort the files of a step for a file assistant. Reply with one word."


def ask_role(step: str, path: str) -> str:
    return (
        f"Step: {step.strip()}\n\nIs {path} an output of this step (the step writes it) or an input "
        f"(the step reads it)? Reply OUTPUT or INPUT."
    )


def ask_written(step: str) -> str:
    return f"Step: {step.strip()}\n\nWhich file does this step write? Reply with its name only."


def answered_make(role: str, written: str, path: str) -> bool:
    """OUTPUT alone to the first question, and the file's name in the answer to the second."""
    said = {w for w in re.findall(r"[A-Za-z]+", role.upper()) if w in ("OUTPUT", "INPUT")}
    name = path.rsplit("/", 1)[-1]
    return said == {"OUTPUT"} and re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", written) is not None
