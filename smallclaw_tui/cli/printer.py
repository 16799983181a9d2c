"""Headless progress lines for `smallclaw run`: one line per thing worth knowing, text made safe."""

from __future__ import annotations

import sys
from typing import TextIO

from smallclaw_tui.models import JournalType
from smallclaw_tui.runner.events import (
    IntentAnswered,
    JournalAppended,
    NeedsAssistance,
    RunnerEvent,
    StepAdvanced,
    TaskCompleted,
    TaskCreated,
    TaskFailed,
    TaskPaused,
    TaskProgress,
    ToolCallFinished,
    ToolCallStarted,
    Verification,
)
from smallclaw_tui.textsafe import one_line


class ProgressPrinter:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    def _line(self, task_id: str, text: str) -> None:
        print(f"[{task_id}] {text}", file=self.out, flush=True)

    def __call__(self, event: RunnerEvent) -> None:
        if isinstance(event, TaskCreated):
            self._line(event.task.id, f"queued: {one_line(event.task.title, 80)}")
        elif isinstance(event, StepAdvanced) and event.all_done:
            self._line(event.task_id, "all steps done")
        elif isinstance(event, StepAdvanced):
            self._line(event.task_id, f"step {event.step_index + 1}: {one_line(event.description, 100)}")
        elif isinstance(event, JournalAppended) and event.entry.type in (
            JournalType.ROUND,
            JournalType.RETRY,
        ):
            self._line(event.task_id, one_line(event.entry.content, 140))
        elif isinstance(event, TaskProgress) and event.tokens == 0 and not event.round:
            # Planning, verifying, reviewing, summarizing: each a long silent model call on a
            # small box, said as it starts (a step's round has its own line).
            self._line(event.task_id, f"{event.phase}…")
        elif isinstance(event, ToolCallStarted):
            args = ", ".join(f"{k}={one_line(str(v), 40)}" for k, v in event.call.arguments.items())
            self._line(event.task_id, f"tool {event.call.name}({args})")
        elif isinstance(event, ToolCallFinished):
            self._line(event.task_id, f"  {'ok' if event.ok else 'error'}: {one_line(event.output, 120)}")
        elif isinstance(event, Verification):
            verdict = "verified" if event.passed else "not verified"
            self._line(event.task_id, f"step {event.step_index + 1} {verdict}: {one_line(event.reason, 120)}")
        elif isinstance(event, NeedsAssistance):
            self._line(event.task_id, f"NEEDS YOU: {one_line(event.reason, 160)}")
        elif isinstance(event, TaskPaused):
            self._line(event.task_id, f"paused: {one_line(event.reason, 120)}")
        elif isinstance(event, TaskCompleted):
            self._line(event.task_id, f"complete: {one_line(event.summary, 160)}")
        elif isinstance(event, TaskFailed):
            self._line(event.task_id, f"failed: {one_line(event.reason, 160)}")
        elif isinstance(event, IntentAnswered):
            self._line(event.task_id, f"{event.action} not applied: {one_line(event.reason, 160)}")
