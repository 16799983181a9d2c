"""The vocabulary of the task suite: what a step's work is, and what the end state must be.

A :class:`Step` carries the work an able model would do (its :class:`Call` list) — the simulated
models read it like a worked solution — and the checks a planner would name for it. The end state
(:mod:`bench.reliability.endstate`) is judged by the benchmark alone, never by the runner.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from smallclaw_tui.models import Check, CommandSucceedsCheck, FileContainsCheck, FileExistsCheck

# What the model can see: tool results, oldest first. Derived arguments are computed from it, so
# a model that did not look cannot know the answer (as with a real one).
Memory = list[str]
ArgsFn = Callable[[Memory], dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Call:
    tool: str
    args: Mapping[str, Any] | ArgsFn
    # All of these in one visible result mean the call has been done.
    done_marks: tuple[str, ...]
    # For an edit: (path, new text). After "'old' text not found" an able model reads the file,
    # and the edit counts as done when the new text is already there (a repeated round).
    readback: tuple[str, str] | None = None
    # Any one of these in a result also means done (a tool saying the work was already there).
    also_done: tuple[str, ...] = ()

    def arguments(self, memory: Memory) -> dict[str, Any] | None:
        return dict(self.args) if isinstance(self.args, Mapping) else self.args(memory)

    def done(self, memory: Memory) -> bool:
        if any(all(m in r for m in self.done_marks) for r in memory):
            return True
        if any(a in r for a in self.also_done for r in memory):
            return True
        if self.readback is not None:
            path, new = self.readback
            return any(r.startswith(f"{path} (") and new.strip() in r for r in memory)
        return False


def write(path: str, content: str) -> Call:
    # overwrite: a worked solution that writes a file means to, whether or not it exists (write_file
    # refuses to replace a file without it).
    return Call("write_file", {"path": path, "content": content, "overwrite": True}, (f"bytes to {path}",))


def write_derived(path: str, content: Callable[[Memory], str | None]) -> Call:
    def args(memory: Memory) -> dict[str, Any] | None:
        text = content(memory)
        return None if text is None else {"path": path, "content": text, "overwrite": True}

    return Call("write_file", args, (f"bytes to {path}",))


def edit(path: str, old: str, new: str) -> Call:
    args = {"path": path, "old": old, "new": new}
    return Call("edit_file", args, (f"edited {path}",), (path, new), (f"already applied: {path}",))


def read(path: str) -> Call:
    return Call("read_file", {"path": path}, (f"{path} (",))


def list_dir(path: str) -> Call:
    shown = "." if path == "." else path.rstrip("/") + "/"
    return Call("list_dir", {"path": path}, (f"{shown}:",))


def search(pattern: str, path: str) -> Call:
    return Call("search_files", {"pattern": pattern, "path": path}, ("matches in",))


def shell(command: str, *marks: str) -> Call:
    return Call("run_shell", {"command": command}, ("exit 0", *marks))


def after(memory: Memory, marker: str) -> str | None:
    """The text after `marker` in the newest result holding it (for derived content)."""
    for r in reversed(memory):
        if marker in r:
            return r.split(marker, 1)[1]
    return None


def number_before(memory: Memory, suffix: str) -> str | None:
    """The number printed right before `suffix` (as `wc` does: "6 data.csv")."""
    for r in reversed(memory):
        if m := re.search(rf"(\d+)\s+{re.escape(suffix)}", r):
            return m.group(1)
    return None


# --- checks, spelled short ----------------------------------------------------------------------------


def has(path: str, text: str) -> FileContainsCheck:
    return FileContainsCheck(path=path, text=text)


def exists(path: str) -> FileExistsCheck:
    return FileExistsCheck(path=path)


def succeeds(command: str) -> CommandSucceedsCheck:
    return CommandSucceedsCheck(command=command)


@dataclass(frozen=True, slots=True)
class Step:
    text: str  # the step description; unique across the suite (the simulated model's key)
    calls: tuple[Call, ...]
    checks: tuple[Check, ...] = ()
    # Marks an honest verifier looks for in the step's tool results; default: the last call's.
    evidence: tuple[str, ...] = ()
    # An impossible step: after its calls an honest model replies "BLOCKED: <this>".
    blocked: str | None = None

    @property
    def proofs(self) -> list[tuple[str, ...]]:
        """Mark sets an honest verifier accepts, any one of them in one result."""
        if self.evidence or not self.calls:
            return [self.evidence] if self.evidence else []
        last = self.calls[-1]
        return [last.done_marks, *((a,) for a in last.also_done)]

    @property
    def claim(self) -> str:
        return f"DONE: {self.text[0].lower()}{self.text[1:].rstrip('.')}."


# --- end state ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileIs:
    path: str
    text: str


@dataclass(frozen=True, slots=True)
class FileHas:
    path: str
    text: str


@dataclass(frozen=True, slots=True)
class Absent:
    path: str


@dataclass(frozen=True, slots=True)
class SameAsOutput:
    """The file holds exactly what `argv` prints in the workspace (run by the benchmark itself)."""

    path: str
    argv: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Prints:
    """Running `argv` in the workspace prints exactly `text` (what a goal like "a script that
    prints hi" asks for, whatever else the file holds)."""

    argv: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Holds:
    """The file passes `test`: a function of its whole text that says what is wrong (None: right).

    For what one fixed text cannot say: "parses as JSON and equals this", "the old sections are
    still there and the new one is on top", "the number alone". `what` names the rule in reports."""

    path: str
    test: Callable[[str], str | None]
    what: str = ""


Expect = FileIs | FileHas | Absent | SameAsOutput | Prints | Holds


@dataclass(frozen=True, slots=True)
class BenchTask:
    id: str
    goal: str
    steps: tuple[Step, ...]
    # explicit: steps (and their checks) are given to the runner; planner: the model plans.
    mode: Literal["explicit", "planner"]
    expect: tuple[Expect, ...]
    files: Mapping[str, str] = field(default_factory=dict)

    @property
    def possible(self) -> bool:
        return all(s.blocked is None for s in self.steps)
