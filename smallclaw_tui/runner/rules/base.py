"""The vocabulary of the step rules: the facts a rule may look at, and what it finds.

A rule judges one try of one step from facts the runner can see — the step's declared kind and
files, what each file held before the try and holds now, which tool wrote it — never from the
English of the step's text (see :mod:`.words` for the few that still do, and why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from smallclaw_tui.models import JournalEntry, JournalType, PlanStep, Task
from smallclaw_tui.runner.writes import norm_path


@dataclass(frozen=True, slots=True)
class Finding:
    passed: bool
    detail: str
    # A failure because the file already held what the try added: the next try may write nothing.
    already_held: bool = False


@dataclass(frozen=True, slots=True)
class FileChange:
    """A file this try wrote: its text before the try and now (None: there was / is no file)."""

    path: str
    before: str | None
    after: str | None


@dataclass(slots=True)
class StepFacts:
    task: Task
    step: PlanStep
    workspace: Path
    # The step's journal over all its tries, and the part of it since its last rejected try.
    entries: list[JournalEntry]
    this_try: list[JournalEntry]
    changes: list[FileChange] = field(default_factory=list)

    def changed(self) -> list[FileChange]:
        return [c for c in self.changes if c.before != c.after]

    def written_by_file_tools(self) -> set[str]:
        """Paths a file tool (not a shell redirect) wrote successfully in this try."""
        return {
            norm_path(str(e.detail["wrote"]))
            for e in self.this_try
            if e.type == JournalType.TOOL_RESULT and isinstance(e.detail.get("wrote"), str)
        }

    def named_files(self) -> list[str]:
        return [norm_path(p) for p in self.step.files if norm_path(p)]


class Rule(Protocol):
    name: str

    async def judge(self, facts: StepFacts) -> list[Finding]: ...
