"""Editing a task that is not running: its goal, title and plan. One implementation for the CLI,
the TUI and a runner that gets the edit as a request.

The plan's steps before the first one that changed keep what they did (done stays done); from that
step on, the steps start over, and a resume continues there. A step is the same when its
description, checks, kind and files are; an unchanged description keeps the kind and files the
plan gave it when the edit does not say (a dialog shows neither).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from smallclaw_tui.models import JournalEntry, JournalType, PlanStep, StepStatus, Task, TaskStatus
from smallclaw_tui.status import EDITABLE as EDITABLE
from smallclaw_tui.status import TaskOpError

# Statuses a task may be edited in: it is not running, and it can still run.


@dataclass(frozen=True, slots=True)
class TaskEdit:
    """What to change; None leaves it as it is. `steps=[]` drops the plan (the planner writes a
    new one when the task runs)."""

    goal: str | None = None
    title: str | None = None
    steps: list[PlanStep] | None = None


def edit_to_data(edit: TaskEdit) -> dict[str, Any]:
    """As JSON-ready data, for a request to a runner in another process."""
    out: dict[str, Any] = {}
    if edit.goal is not None:
        out["goal"] = edit.goal
    if edit.title is not None:
        out["title"] = edit.title
    if edit.steps is not None:
        out["steps"] = [s.model_dump(mode="json") for s in edit.steps]
    return out


def edit_from_data(data: dict[str, Any]) -> TaskEdit:
    try:
        steps = data.get("steps")
        return TaskEdit(
            goal=data.get("goal") if isinstance(data.get("goal"), str) else None,
            title=data.get("title") if isinstance(data.get("title"), str) else None,
            steps=[PlanStep.model_validate(s) for s in steps] if isinstance(steps, list) else None,
        )
    except ValidationError as e:
        raise TaskOpError(f"the edit request is not valid: {e.errors()[0]['msg']}") from None


def check_editable(task: Task) -> None:
    if task.status == TaskStatus.RUNNING:
        raise TaskOpError(f"task {task.id} is running; pause it first, then edit it")
    if task.status not in EDITABLE:
        raise TaskOpError(
            f"task {task.id} is {task.status.value} and will not run again; add a new task instead"
        )


def _same(a: PlanStep, b: PlanStep) -> bool:
    return (a.description, a.checks, a.kind, a.files) == (b.description, b.checks, b.kind, b.files)


def first_change(old: list[PlanStep], new: list[PlanStep]) -> int | None:
    """The index of the first step that differs (a step added or dropped counts), or None."""
    for i, (a, b) in enumerate(zip(old, new, strict=False)):
        if not _same(a, b):
            return i
    return None if len(old) == len(new) else min(len(old), len(new))


def _carry_declarations(old: list[PlanStep], new: list[PlanStep]) -> list[PlanStep]:
    """New steps, renumbered; one whose description is an old step's, with no kind or files of its
    own, keeps that step's kind and files."""
    by_text = {s.description: s for s in old}
    out = []
    for i, step in enumerate(new):
        was = by_text.get(step.description)
        update: dict[str, object] = {"index": i}
        if was is not None and step.kind is None and not step.files:
            update |= {"kind": was.kind, "files": list(was.files)}
        out.append(step.model_copy(update=update, deep=True))
    return out


def apply_edit(task: Task, edit: TaskEdit) -> list[JournalEntry]:
    """Change `task` as `edit` says; the journal entries that record it (none: nothing changed)."""
    check_editable(task)
    said: list[str] = []
    if edit.goal is not None:
        goal = edit.goal.strip()
        if not goal:
            raise TaskOpError("a task needs a goal (the new goal is empty)")
        if goal != task.prompt:
            task.prompt = goal
            task.resume_context.goal_reviewed = False  # the old review judged another goal
            said.append("goal")
    if edit.title is not None and edit.title.strip() and edit.title.strip() != task.title:
        task.title = edit.title.strip()
        said.append("title")
    if edit.steps is not None:
        new = _carry_declarations(task.plan, edit.steps)
        at = first_change(task.plan, new)
        if at is not None:
            said.append(_plan_words(task.plan, new, at))
            kept = [s.model_copy(deep=True) for s in task.plan[:at]]
            fresh = [
                s.model_copy(update={"status": StepStatus.PENDING, "attempts": 0, "completed_at": None})
                for s in new[at:]
            ]
            task.plan = kept + fresh
            if task.current_step >= at:
                task.current_step = at
                task.resume_context.step_rounds = 0
                task.resume_context.verifier_feedback = ""
                task.resume_context.already_held = False
    if not said:
        return []
    return [
        JournalEntry(
            type=JournalType.NOTE, content="edited by the user: " + "; ".join(said), step=task.current_step
        )
    ]


def _plan_words(old: list[PlanStep], new: list[PlanStep], at: int) -> str:
    if not new:
        return "the plan dropped (the planner writes a new one)"
    if at >= len(new):
        return f"steps from {at + 1} on dropped"
    return f"the plan from step {at + 1} on (it continues there)"
