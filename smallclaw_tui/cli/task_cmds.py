"""`smallclaw task …`: add, list, show, pause, resume, cancel, approve, deny."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable

from smallclaw_tui import taskops
from smallclaw_tui.cli.common import CLIError, UsageError, settings_from_args
from smallclaw_tui.cli.spec import load_spec
from smallclaw_tui.models import (
    JournalEntry,
    Origin,
    PlanStep,
    StepStatus,
    Task,
    TaskStatus,
)
from smallclaw_tui.store.archive import archive_store
from smallclaw_tui.store.control import ControlInbox, ControlRequest
from smallclaw_tui.store.lock import WorkspaceLock, WorkspaceLocked
from smallclaw_tui.store.tasks import AmbiguousTaskId, LoadResult, TaskNotFound, TaskStore
from smallclaw_tui.textsafe import one_line, printable, shown_command


def run_task_command(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    # These commands only look at other tasks' files: an unreadable one is reported and left for
    # the runner, which owns the folder, to quarantine.
    store = TaskStore(settings.data_dir, quarantine=False)
    handler = {
        "add": _add,
        "list": _list,
        "show": _show,
    }.get(args.task_command, _control)
    return asyncio.run(handler(args, store))


# --- add --------------------------------------------------------------------------------------------


async def _add(args: argparse.Namespace, store: TaskStore) -> int:
    title: str | None = None
    prompt: str | None = None
    steps: list[PlanStep] = []
    if args.spec is not None:
        title, prompt, steps = load_spec(args.spec)
    prompt = args.text or prompt
    if not prompt or not prompt.strip():
        raise UsageError("task add needs the goal as TEXT (or a spec file with a prompt)")
    steps += [PlanStep(index=0, description=d.strip()) for d in args.step if d.strip()]
    try:
        task = taskops.build_task(prompt, title=args.title or title, steps=steps, origin=Origin())
    except taskops.TaskOpError as e:
        raise UsageError(str(e)) from None
    await store.create(task)
    print(task.id)
    return 0


# --- list / show ------------------------------------------------------------------------------------


def _report(result: LoadResult) -> None:
    """One line on stderr for each file that could not be read, so `--json` stays parseable."""
    for p in result.problems:
        print(f"smallclaw: quarantined {one_line(str(p), 1000)}", file=sys.stderr)
    for note in result.notes:
        print(f"smallclaw: {one_line(note, 1000)}", file=sys.stderr)


def _progress(task: Task) -> str:
    """Steps done of all (a task that has not started has done none)."""
    if not task.plan:
        return "-/-"
    return f"{sum(s.status is StepStatus.DONE for s in task.plan)}/{len(task.plan)}"


# The board's words for a status, so that what the app shows can be typed here too.
STATUS_ALIASES = {"done": TaskStatus.COMPLETE, "needs-you": TaskStatus.NEEDS_ASSISTANCE}


def _status_arg(text: str) -> TaskStatus:
    word = text.strip().lower()
    if word in STATUS_ALIASES:
        return STATUS_ALIASES[word]
    try:
        return TaskStatus(word.replace("-", "_"))
    except ValueError:
        names = [s.value for s in TaskStatus] + list(STATUS_ALIASES)
        raise UsageError(f"unknown status {text!r} (one of: {', '.join(names)})") from None


async def _list(args: argparse.Namespace, store: TaskStore) -> int:
    status = _status_arg(args.status) if args.status else None
    if args.archived:
        store = archive_store(store.data_dir)
    result = await store.load_all()
    _report(result)
    tasks = [t for t in result.tasks if status is None or t.status == status]
    if args.json:
        print(json.dumps([json.loads(t.model_dump_json(exclude={"journal"})) for t in tasks], indent=2))
        return 0
    if not tasks:
        print("no tasks" + (f" with status {status.value}" if status else ""))
        return 0
    for t in tasks:
        print(f"{t.id}  {t.status.value:<16} {_progress(t):>5}  {one_line(t.title, 70)}")
    return 0


def _mark(status: StepStatus) -> str:
    return {"pending": "[ ]", "active": "[>]", "done": "[x]", "skipped": "[-]"}[status.value]


def format_task(task: Task) -> str:
    lines = [
        f"{printable(task.title)}",
        f"  id:      {task.id}",
        f"  status:  {task.status.value}"
        + (f" — {shown_command(task.pause_reason)}" if task.pause_reason else ""),
        f"  rounds:  {task.rounds}",
        f"  created: {task.created_at.isoformat(timespec='seconds')}",
        "",
        "Goal:",
        *("  " + printable(line) for line in task.prompt.splitlines()),
    ]
    if task.pending_approval:
        lines += [
            "",
            f"Waiting for approval: {shown_command(task.pending_approval.command)}",
            f"  approve with: smallclaw task approve {task.id}",
        ]
    lines += ["", "Plan:" if task.plan else "Plan: (planned when the runner picks it up)"]
    for s in task.plan:
        extra = f"  (attempts {s.attempts})" if s.attempts else ""
        lines.append(f"  {_mark(s.status)} {s.index + 1}. {printable(s.description)}{extra}")
        for c in s.checks:
            lines.append(f"        check: {printable(c.describe())}")
    if task.final_summary:
        lines += ["", "Summary:", *("  " + printable(x) for x in task.final_summary.splitlines())]
    lines += ["", f"Journal ({len(task.journal)} entries):"]
    for e in task.journal:
        head = f"  {e.t.strftime('%H:%M:%S')} {e.type.value:<11} "
        # A prompt or a reply of many lines: each line under the entry's text, not at the margin.
        first, *rest = shown_command(e.content).split("\n") or [""]
        lines.append(head + first)
        lines += [" " * len(head) + line for line in rest]
    return "\n".join(lines)


async def _find(
    store: TaskStore, ident: str, *, with_journal: bool = True, report: LoadResult | None = None
) -> Task:
    try:
        return await store.load(ident, with_journal=with_journal, report=report)
    except TaskNotFound as e:
        archived = archive_store(store.data_dir)
        try:
            # `task show` of an archived task still shows it (a control request still fails:
            # the runner has no such task).
            return await archived.load(ident, with_journal=with_journal, report=report)
        except (TaskNotFound, AmbiguousTaskId):
            raise CLIError(e.args[0] if e.args else str(e)) from None
    except AmbiguousTaskId as e:
        raise CLIError(e.args[0] if e.args else str(e)) from None


async def _show(args: argparse.Namespace, store: TaskStore) -> int:
    found = LoadResult()
    task = await _find(store, args.id, report=found)
    _report(found)  # a damaged or cut-short journal line: stderr, so --json stays parseable
    if args.json:
        print(task.model_dump_json(indent=2))
    else:
        print(format_task(task))
    return 0


# --- control ----------------------------------------------------------------------------------------

_Op = Callable[[Task, str | None], list[JournalEntry]]
_OPS: dict[str, _Op] = {
    "pause": taskops.pause,
    "resume": taskops.resume,
    "cancel": taskops.cancel,
    "approve": taskops.approve,
    "deny": taskops.deny,
}


def _apply(op: _Op, task: Task, note: str | None) -> list[JournalEntry]:
    try:
        return op(task, note)
    except taskops.TaskOpError as e:
        raise CLIError(str(e)) from None


def _say_approved(action: str, task: Task, verb: str) -> None:
    if action == "approve" and task.pending_approval is not None:
        print(f"{verb}: {shown_command(task.pending_approval.command)}")


async def _control(args: argparse.Namespace, store: TaskStore) -> int:
    action = args.task_command
    task = await _find(store, args.id, with_journal=False)
    op = _OPS[action]
    # Check the request against the task as saved, so an impossible request fails here, loudly.
    _apply(op, task.model_copy(deep=True), args.note)
    lock = WorkspaceLock(store.data_dir)
    try:
        lock.acquire(purpose=f"task {action}")
    except WorkspaceLocked:
        # A runner owns the tasks now: hand it the request instead of writing under it.
        ControlInbox(store.data_dir).send(ControlRequest(task.id, action, args.note))
        _say_approved(action, task, "approving")
        print(f"{action} of {task.id} sent to the running runner")
        return 0
    try:
        # Read again now that the lock is ours: a runner that exited after the first read saved
        # its result meanwhile, and saving the older copy would put that result back.
        task = await _find(store, task.id, with_journal=False)
        _say_approved(action, task, "approved")  # what is waiting now, which may not be what was shown
        entries = _apply(op, task, args.note)
        await store.save(task)
        await store.append_journal(task, *entries)
    finally:
        lock.release()
    print(f"{task.id} {task.status.value}")
    return 0
