"""Editing a task (issue 14, item 8): the goal, title and steps of a task that is not running; the
steps before the first change keep what they did, and the task goes on from that step."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path

import pytest
from cli_helpers import run

from smallclaw_tui.models import FileContainsCheck, PlanStep, StepKind, StepStatus, Task, TaskStatus
from smallclaw_tui.store.control import ControlInbox
from smallclaw_tui.store.lock import WorkspaceLock
from smallclaw_tui.store.tasks import TaskStore, dump_task
from smallclaw_tui.task_edit import TaskEdit, apply_edit, first_change
from smallclaw_tui.taskops import TaskOpError


def three_steps(status: TaskStatus = TaskStatus.NEEDS_ASSISTANCE) -> Task:
    plan = [
        PlanStep(index=0, description="collect the notes", status=StepStatus.DONE),
        PlanStep(
            index=1,
            description="write summary.md",
            status=StepStatus.ACTIVE,
            attempts=2,
            kind=StepKind.CREATE,
            files=["summary.md"],
        ),
        PlanStep(index=2, description="link it from README.md"),
    ]
    return Task(title="Summarise", prompt="summarise the notes", status=status, plan=plan, current_step=1)


def test_the_steps_before_the_first_change_keep_what_they_did() -> None:
    task = three_steps()
    new = [
        PlanStep(index=0, description="collect the notes"),
        PlanStep(index=1, description="write summary.md"),
        PlanStep(index=2, description="link it from docs/index.md"),
    ]
    entries = apply_edit(task, TaskEdit(steps=new))
    assert [s.status for s in task.plan] == [StepStatus.DONE, StepStatus.ACTIVE, StepStatus.PENDING]
    assert task.current_step == 1 and task.plan[1].attempts == 2  # step 2 did not change
    # An unchanged description keeps the kind and files the plan declared (a dialog shows neither).
    assert task.plan[1].kind is StepKind.CREATE and task.plan[1].files == ["summary.md"]
    assert task.plan[2].description == "link it from docs/index.md"
    assert entries[0].content == "edited by the user: the plan from step 3 on (it continues there)"


def test_a_changed_earlier_step_moves_the_task_back_to_it() -> None:
    task = three_steps()
    new = [PlanStep(index=0, description="collect the notes from notes/ and mail/"), *three_steps().plan[1:]]
    apply_edit(task, TaskEdit(steps=[s.model_copy(update={"status": StepStatus.PENDING}) for s in new]))
    assert task.current_step == 0
    assert all(s.status == StepStatus.PENDING and s.attempts == 0 for s in task.plan)
    check = FileContainsCheck(path="summary.md", text="notes")
    assert first_change(three_steps().plan, [*three_steps().plan[:2], three_steps().plan[2]]) is None
    with_check = [s.model_copy(deep=True) for s in three_steps().plan]
    with_check[1].checks.append(check)
    assert first_change(three_steps().plan, with_check) == 1


def test_goal_and_title_and_what_cannot_be_edited() -> None:
    task = three_steps(TaskStatus.PAUSED)
    task.resume_context.goal_reviewed = True
    entries = apply_edit(task, TaskEdit(goal="summarise the notes in five lines", title="Summary"))
    assert task.prompt == "summarise the notes in five lines" and task.title == "Summary"
    assert not task.resume_context.goal_reviewed  # the old review judged another goal
    assert entries[0].content == "edited by the user: goal; title"
    assert apply_edit(task, TaskEdit(title="Summary")) == []  # nothing changed, nothing recorded
    with pytest.raises(TaskOpError, match="pause it first"):
        apply_edit(three_steps(TaskStatus.RUNNING), TaskEdit(title="x"))
    with pytest.raises(TaskOpError, match="add a new task instead"):
        apply_edit(three_steps(TaskStatus.COMPLETE), TaskEdit(title="x"))
    with pytest.raises(TaskOpError, match="goal is empty"):
        apply_edit(three_steps(), TaskEdit(goal="  "))


# --- the command ------------------------------------------------------------------------------------


def saved(ws: Path, task: Task) -> TaskStore:
    store = TaskStore(ws / ".localclaw")
    store.ensure()
    store.task_path(task.id).write_text(dump_task(task), encoding="utf-8")
    return store


def test_edit_from_flags_saves_and_journals(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    task = three_steps()
    store = saved(workspace, task)
    code, out, err = run(
        capsys, "task", "edit", task.id, "--step", "collect the notes", "--step", "write notes.md"
    )
    assert code == 0, err
    assert out.strip() == f"{task.id} edited by the user: the plan from step 2 on (it continues there)"
    after = asyncio.run(store.load(task.id))
    assert [s.description for s in after.plan] == ["collect the notes", "write notes.md"]
    assert after.plan[0].status == StepStatus.DONE and after.current_step == 1
    assert after.journal[-1].content.startswith("edited by the user")


def test_edit_in_the_editor_reads_back_what_the_user_saved(
    workspace: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    task = three_steps()
    task.plan[1].checks.append(FileContainsCheck(path="summary.md", text=r"^- ", regex=True))
    store = saved(workspace, task)
    editor = tmp_path / "fake-editor"
    # The user changes the title and the third step, and leaves the rest (a regex check included).
    editor.write_text(
        "#!/bin/sh\nsed -i -e 's/^title = .*/title = \"Notes summary\"/' "
        "-e 's/link it from README.md/link it from docs\\/index.md/' \"$1\"\n"
    )
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    os.environ["EDITOR"] = str(editor)
    try:
        code, _out, err = run(capsys, "task", "edit", task.id)
    finally:
        del os.environ["EDITOR"]
    assert code == 0, err
    after = asyncio.run(store.load(task.id))
    assert after.title == "Notes summary"
    assert after.plan[2].description == "link it from docs/index.md"
    assert after.plan[1].checks == task.plan[1].checks and after.plan[1].kind is StepKind.CREATE
    assert after.plan[1].status == StepStatus.ACTIVE  # unchanged steps keep their state


def test_edit_refuses_a_running_task_and_asks_for_an_editor(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    running = three_steps(TaskStatus.RUNNING)
    saved(workspace, running)
    code, _out, err = run(capsys, "task", "edit", running.id, "--title", "x")
    assert code == 1 and "pause it first" in err
    paused = three_steps(TaskStatus.PAUSED)
    saved(workspace, paused)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    code, _out, err = run(capsys, "task", "edit", paused.id)
    assert code == 2 and "set $EDITOR" in err


def test_with_a_runner_holding_the_workspace_the_edit_goes_to_it(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task = three_steps()
    saved(workspace, task)
    lock = WorkspaceLock(workspace / ".localclaw")
    lock.acquire(purpose="test runner")
    try:
        code, out, err = run(capsys, "task", "edit", task.id, "--goal", "summarise the notes briefly")
    finally:
        lock.release()
    assert code == 0, err
    assert out.strip() == f"edit of {task.id} sent to the running runner"
    (request,) = ControlInbox(workspace / ".localclaw").take()
    assert (request.action, request.data) == ("edit", {"goal": "summarise the notes briefly"})
    assert json.loads(json.dumps(request.data)) == request.data
