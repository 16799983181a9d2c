"""A demo workspace with fixed ids and times, a runner that does not run, and a scripted model.

Screenshots, snapshot tests and the benchmark build on it, so what they show is the same on
every machine and every run: tasks in every column, a task waiting for an approval with its
journal, a chat with history, and (on request) a reply frozen mid-stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from smallclaw_tui.config import Settings
from smallclaw_tui.models import (
    ChannelKind,
    ChatMessage,
    ChatSessionRecord,
    FileContainsCheck,
    FileExistsCheck,
    JournalEntry,
    JournalType,
    Origin,
    PendingApproval,
    PlanStep,
    Role,
    StepStatus,
    Task,
    TaskStatus,
    ToolCall,
)
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.events import ModelActivity, TaskProgress
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.store.journal import append_entries_sync
from smallclaw_tui.store.sessions import SessionStore
from smallclaw_tui.store.tasks import TaskStore, dump_task
from smallclaw_tui.tui.demo_client import DEMO_MODEL, DemoClient

if TYPE_CHECKING:
    from smallclaw_tui.tui.app import SmallClawApp

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
CHAT_KEY = "tui"
NEEDS_APPROVAL_ID = "d4a7e001"
RUNNING_ID = "d4a7e003"
# The running task's phase began at 12 minutes; screenshots are taken 14 s into it (a fixed clock).
DEMO_PHASE_SINCE = (T0 + timedelta(minutes=12)).timestamp()
DEMO_NOW = DEMO_PHASE_SINCE + 14.2


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _steps(*descriptions: str, done: int = 0, active: bool = True) -> list[PlanStep]:
    steps = []
    for i, d in enumerate(descriptions):
        status = (
            StepStatus.DONE if i < done else StepStatus.ACTIVE if i == done and active else StepStatus.PENDING
        )
        steps.append(
            PlanStep(index=i, description=d, status=status, completed_at=at(i + 2) if i < done else None)
        )
    return steps


def demo_tasks() -> list[tuple[Task, list[JournalEntry]]]:
    tui_chat = Origin(session_id=CHAT_KEY, channel=ChannelKind.TUI)
    out: list[tuple[Task, list[JournalEntry]]] = []

    def add(task: Task, journal: Sequence[tuple[float, JournalType, str]] = ()) -> None:
        entries = [JournalEntry(t=at(m), type=kind, content=text, step=0) for m, kind, text in journal]
        out.append((task, entries))

    add(
        Task(
            id="d4a7e000",
            title="Summarise the meeting notes",
            prompt="Read notes/meeting-2026-01-14.md and write a five-line summary to notes/summary.md",
            created_at=at(40),
            updated_at=at(40),
        )
    )
    add(
        Task(
            id="d4a7e009",
            title="Tidy the README",
            prompt="Fix typos in README.md and add a Quick start section",
            plan=_steps("fix typos in README.md", "add a Quick start section", active=False),
            created_at=at(41),
            updated_at=at(41),
        )
    )
    steps = _steps("collect merged changes", "write docs/release-0.2.md", "link it from README.md", done=1)
    steps[1].checks = [FileExistsCheck(path="docs/release-0.2.md")]
    add(
        Task(
            id=RUNNING_ID,
            title="Write release notes for 0.2",
            prompt="Write release notes for version 0.2 from the changelog",
            status=TaskStatus.RUNNING,
            plan=steps,
            current_step=1,
            rounds=3,
            origin=tui_chat,
            created_at=at(10),
            updated_at=at(30),
            started_at=at(11),
        ),
        [
            (11, JournalType.NOTE, "planning the task"),
            (12, JournalType.ROUND, "round 3 (step 2, try 1)"),
            (12.5, JournalType.TOOL_CALL, 'write_file {"path": "docs/release-0.2.md"}'),
        ],
    )
    steps = _steps("write tests/test_parse.py", "run the test suite", done=1)
    steps[0].checks = [FileContainsCheck(path="tests/test_parse.py", text="def test_")]
    add(
        Task(
            id=NEEDS_APPROVAL_ID,
            title="Run the test suite",
            prompt="Add a test for the date parser and make sure the whole suite passes",
            status=TaskStatus.NEEDS_ASSISTANCE,
            plan=steps,
            current_step=1,
            rounds=2,
            pause_reason="waiting for approval to run: python -m pytest -q",
            pending_approval=PendingApproval(command="python -m pytest -q", requested_at=at(24)),
            origin=tui_chat,
            created_at=at(5),
            updated_at=at(24),
            started_at=at(6),
        ),
        [
            (5, JournalType.NOTE, "created: Run the test suite"),
            (6, JournalType.NOTE, "planning the task"),
            (7, JournalType.NOTE, "plan: 1. write tests/test_parse.py; 2. run the test suite"),
            (8, JournalType.ROUND, "round 1 (step 1, try 1)"),
            (
                8.1,
                JournalType.PROMPT,
                "Goal: Add a test for the date parser…\nPlan:\n[>] 1. write tests/test_parse.py",
            ),
            (
                9,
                JournalType.TOOL_CALL,
                'write_file {"path": "tests/test_parse.py", "content": "def test_iso(): …"}',
            ),
            (9.2, JournalType.TOOL_RESULT, "[write_file] wrote 212 bytes to tests/test_parse.py"),
            (10, JournalType.MODEL, "DONE: wrote tests/test_parse.py with two tests"),
            (10.5, JournalType.VERIFY, "check passed: file tests/test_parse.py contains 'def test_'"),
            (11, JournalType.VERIFY, "verifier YES: the tool result shows the file was written"),
            (20, JournalType.ROUND, "round 2 (step 2, try 1)"),
            (21, JournalType.TOOL_CALL, 'run_shell {"command": "python -m pytest -q"}'),
            (21.1, JournalType.TOOL_RESULT, "[run_shell] needs approval: python -m pytest -q"),
            (24, JournalType.PAUSE, "needs assistance: waiting for approval to run: python -m pytest -q"),
            (24.1, JournalType.DELIVERY, "delivered to chat tui"),
        ],
    )
    add(
        Task(
            id="d4a7e004",
            title="Rename the config keys",
            prompt="Rename llm.host to llm.base_url everywhere, keeping the old key as an alias",
            status=TaskStatus.PAUSED,
            plan=_steps("find every use of llm.host", "rename and add the alias", done=1),
            current_step=1,
            rounds=2,
            pause_reason="paused by the user: check the plan first",
            created_at=at(3),
            updated_at=at(18),
        )
    )
    for i, (title, summary) in enumerate(
        (
            ("Add a CHANGELOG entry", "Added a 0.2 entry to CHANGELOG.md listing the three merged changes."),
            (
                "Collect TODOs into notes/todo.md",
                "Found 7 TODO comments in 4 files; listed them in notes/todo.md.",
            ),
        )
    ):
        add(
            Task(
                id=f"d4a7e00{5 + i}",
                title=title,
                prompt=title,
                status=TaskStatus.COMPLETE,
                plan=_steps("do it", done=1),
                current_step=1,
                rounds=2,
                final_summary=summary,
                created_at=at(1 + i),
                updated_at=at(15 + i),
                completed_at=at(15 + i),
            )
        )
    add(
        Task(
            id="d4a7e007",
            title="Fetch the API docs",
            prompt="Download the API reference and save it as docs/api.html",
            status=TaskStatus.FAILED,
            pause_reason="internal error: web_fetch timed out three times",
            created_at=at(0),
            updated_at=at(9),
            completed_at=at(9),
        )
    )
    add(
        Task(
            id="d4a7e008",
            title="Translate the docs to French",
            prompt="Translate docs/*.md to French",
            status=TaskStatus.CANCELLED,
            pause_reason="cancelled by the user",
            created_at=at(0.5),
            updated_at=at(4),
            completed_at=at(4),
        )
    )
    return out


def demo_chat() -> ChatSessionRecord:
    return ChatSessionRecord(
        key=CHAT_KEY,
        created_at=at(0),
        updated_at=at(25),
        messages=[
            ChatMessage(role=Role.USER, content="What is in notes/?", created_at=at(1)),
            ChatMessage(
                role=Role.ASSISTANT,
                content="",
                thinking="The user wants the folder listing. I should call list_dir.",
                tool_calls=[ToolCall(id="call_demo1", name="list_dir", arguments={"path": "notes"})],
                created_at=at(1.1),
            ),
            ChatMessage(
                role=Role.TOOL,
                content="meeting-2026-01-14.md\ntodo.md",
                tool_call_id="call_demo1",
                name="list_dir",
                created_at=at(1.15),
            ),
            ChatMessage(
                role=Role.ASSISTANT,
                content="notes/ holds meeting-2026-01-14.md and todo.md.",
                created_at=at(1.2),
            ),
            ChatMessage(
                role=Role.ASSISTANT,
                name=f"task_{NEEDS_APPROVAL_ID}",
                content=(
                    f"Task {NEEDS_APPROVAL_ID} “Run the test suite” needs you: waiting for approval to run: "
                    "python -m pytest -q"
                ),
                created_at=at(24.1),
            ),
        ],
    )


def write_demo_workspace(ws: Path, *, extra_tasks: int = 0, journal_entries: int = 0) -> Path:
    """Write the demo tasks and chat under `ws/.localclaw` (fixed times, no clock involved).

    `extra_tasks` adds that many finished tasks (a big board); `journal_entries` pads the
    needs-you task's journal to that length (a long journal). Both for tests and benchmarks.
    """
    store = TaskStore(ws / ".localclaw")
    store.ensure()
    tasks = demo_tasks()
    for n in range(extra_tasks):
        tasks.append(
            (
                Task(
                    id=f"b{n:07x}",
                    title=f"Bulk task {n}",
                    prompt=f"bulk task number {n}",
                    status=TaskStatus.COMPLETE,
                    final_summary=f"did bulk task {n}",
                    created_at=at(-1000 + n / 10),
                    updated_at=at(-1000 + n / 10),
                    completed_at=at(-1000 + n / 10),
                ),
                [],
            )
        )
    for task, journal in tasks:
        if task.id == NEEDS_APPROVAL_ID and journal_entries > len(journal):
            pad = [
                JournalEntry(
                    t=at(-500 + i / 100),
                    type=JournalType.TOOL_RESULT if i % 2 else JournalType.TOOL_CALL,
                    content=f"entry {i}: " + "x" * (i % 90),
                    step=0,
                )
                for i in range(journal_entries - len(journal))
            ]
            journal = pad + journal
        store.task_path(task.id).write_text(dump_task(task), encoding="utf-8")
        if journal:
            append_entries_sync(store.journal_path(task.id), journal)
    sessions = SessionStore(ws / ".localclaw")
    sessions.dir.mkdir(parents=True, exist_ok=True)
    sessions.path(CHAT_KEY).write_text(demo_chat().model_dump_json(indent=2), encoding="utf-8")
    return ws


class FrozenRunner(BackgroundTaskRunner):
    """The real runner with its scheduler left off: it loads, saves and obeys intents, runs nothing.

    The demo's running task stays running, and its live line is published once at start.
    """

    async def start(self) -> None:
        self.store.ensure()
        result = await self.store.load_all()
        self.problems = result.problems
        for task in result.tasks:
            self.tasks[task.id] = task
        if RUNNING_ID in self.tasks:
            self.bus.publish(TaskProgress(RUNNING_ID, "step 2/3 try 1", DEMO_PHASE_SINCE, 37))
            self.bus.publish(ModelActivity(RUNNING_ID, "writing docs/release-0.2.md: ## Highlights"))

    async def stop(self, *, grace_s: float = 10.0) -> None:
        await self.bus.drain()


def demo_deps(ws: Path, client: DemoClient | None = None) -> RunnerDeps:
    settings = Settings(workspace=ws)
    settings.llm.model = DEMO_MODEL
    settings.tui.theme = "textual-dark"
    settings.tui.keymap = {}
    return RunnerDeps(
        settings=settings,
        client=client or DemoClient(),
        store=TaskStore(settings.data_dir),
        sessions=SessionStore(settings.data_dir),
    )


def demo_app(
    ws: Path,
    *,
    client: DemoClient | None = None,
    theme: str | None = None,
    extra_tasks: int = 0,
    journal_entries: int = 0,
) -> SmallClawApp:
    """The app on a fresh demo workspace in `ws`: frozen runner, scripted model, UTC, steady cursor."""
    from smallclaw_tui.tui.app import AppOptions, SmallClawApp

    write_demo_workspace(ws, extra_tasks=extra_tasks, journal_entries=journal_entries)
    deps = demo_deps(ws, client)
    if theme is not None:
        deps.settings.tui.theme = theme
    options = AppOptions(chat_key=CHAT_KEY, tz=UTC, cursor_blink=False, refresh_s=0.0, clock=lambda: DEMO_NOW)
    return SmallClawApp(deps, FrozenRunner(deps), options)


def settled(app: SmallClawApp) -> bool:
    """True once start-up work is done: tasks loaded, server probed, chat history and journal shown."""
    detail = app.detail
    return (
        app.runner_ready
        and app.status.info.server != "connecting"
        and app.chat.history_loaded
        and not detail.journal_loading
        and not app.detail_pending
        and app.selected_id == app.board.selected_id  # the board's selection has reached the app
    )
