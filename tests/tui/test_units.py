"""The pure parts of the TUI: forms, board rules, wrapping, and the event folding of the adapter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.message import Message

from smallclaw_tui.config import load_settings
from smallclaw_tui.models import JournalEntry, JournalType, PlanStep, StepStatus, Task, TaskStatus, ToolCall
from smallclaw_tui.runner.bus import EventBus
from smallclaw_tui.runner.events import (
    Delivered,
    JournalAppended,
    ModelActivity,
    ModelUsage,
    NeedsAssistance,
    ServerState,
    TaskCompleted,
    TaskUpdated,
    ToolCallStarted,
)
from smallclaw_tui.tui import board_model
from smallclaw_tui.tui.adapter import RunnerAdapter, absorb
from smallclaw_tui.tui.forms import FormError, build_form
from smallclaw_tui.tui.messages import Batch, RunnerBatch
from smallclaw_tui.tui.text import clean, fit, flat, wrap

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_form_steps_and_checks() -> None:
    form = build_form(
        "  write the notes ",
        "",
        "1. draft notes.md\n- check spelling\n\n",
        "file_exists notes.md\n1: file_contains notes.md # Notes\ncmd test -s notes.md",
    )
    assert form.goal == "write the notes" and form.title is None
    assert [s.description for s in form.steps] == ["draft notes.md", "check spelling"]
    assert [c.kind for c in form.steps[0].checks] == ["file_contains"]
    assert form.steps[0].checks[0].text == "# Notes"  # type: ignore[union-attr]
    assert [c.kind for c in form.steps[1].checks] == ["file_exists", "command_succeeds"]


def test_form_checks_without_steps_make_one_step_of_the_goal() -> None:
    form = build_form("make a.txt", checks_text="exists a.txt")
    assert [s.description for s in form.steps] == ["make a.txt"]
    assert form.steps[0].checks[0].kind == "file_exists"


@pytest.mark.parametrize(
    ("goal", "checks", "says"),
    [
        ("", "", "goal is empty"),
        ("x", "file_smells a.txt", "unknown check"),
        ("x", "file_contains a.txt", "needs a path and the text"),
        ("x", "3: exists a.txt", "only 1 steps"),
        ("x", "command_succeeds", "needs a command"),
    ],
)
def test_form_errors_say_what_is_wrong(goal: str, checks: str, says: str) -> None:
    with pytest.raises(FormError, match=says):
        build_form(goal, checks_text=checks)


def _task(status: TaskStatus, minutes: int, **kw: object) -> Task:
    t = T0 + timedelta(minutes=minutes)
    return Task.model_validate(
        {"title": f"t{minutes}", "prompt": "p", "status": status, "created_at": t, "updated_at": t, **kw}
    )


def test_board_columns_order_and_filter() -> None:
    tasks = [
        _task(TaskStatus.QUEUED, 2),
        _task(TaskStatus.QUEUED, 1),
        _task(TaskStatus.PAUSED, 3),
        _task(TaskStatus.NEEDS_ASSISTANCE, 4),
        _task(TaskStatus.COMPLETE, 5, completed_at=T0 + timedelta(minutes=5)),
        _task(TaskStatus.COMPLETE, 6, completed_at=T0 + timedelta(minutes=9)),
        _task(TaskStatus.CANCELLED, 7),
    ]
    cols = board_model.arrange(tasks)
    by_id = {t.id: t.title for t in tasks}
    named = {k: [by_id[i] for i in v] for k, v in cols.items()}
    assert named == {
        "queued": ["t1", "t2"],  # run order
        "running": [],
        "needs": ["t4", "t3"],  # newest first
        "done": ["t6", "t5"],
        "failed": ["t7"],
    }
    assert board_model.arrange(tasks, "T4")["needs"] == [tasks[3].id]
    assert board_model.counts(tasks) == {"queued": 2, "running": 0, "needs": 2, "done": 2, "failed": 1}


def test_card_lines() -> None:
    task = _task(
        TaskStatus.RUNNING, 1, plan=[PlanStep(index=0, description="a"), PlanStep(index=1, description="b")]
    )
    task.current_step = 1
    task.plan[0].status = StepStatus.DONE
    assert board_model.step_text(task) == "step 2/2"
    assert board_model.activity_line(task, "writing\nfile\x1b[2J") == "writing file\\x1b[2J"
    assert board_model.activity_line(task, None) == "working…"
    queued = _task(TaskStatus.QUEUED, 1)
    assert board_model.step_text(queued) == "no plan yet"


def test_text_helpers_keep_every_character() -> None:
    text = clean("abc \x1b]0;t\x07 日本語テキスト " * 20)
    lines = wrap(text, 17, 15)
    assert "".join(lines) == text
    assert all(len(line) <= 17 for line in lines)
    assert flat("a\n\tb  c\x00") == "a b c\\x00"
    assert fit("hello world", 6) == "hello…" and fit("hi", 6) == "hi"


def test_absorb_folds_a_burst() -> None:
    task = _task(TaskStatus.RUNNING, 1)
    batch = Batch()
    entry = JournalEntry(type=JournalType.NOTE, content="x")
    for event in (
        TaskUpdated(task),
        ModelActivity(task.id, "first"),
        ModelActivity(task.id, "second"),
        ToolCallStarted(task.id, ToolCall(name="read_file", arguments={"path": "a"})),
        JournalAppended(task.id, entry),
        JournalAppended(task.id, entry),
        ServerState("unreachable", "no"),
        ServerState("ready"),
        ModelUsage(task.id, 2000, 0, 8192, None),
        ModelUsage(task.id, 150, 40, 8192, 33.0),
        NeedsAssistance(task.id, "help"),
        TaskCompleted(task.id, "done"),
        Delivered(task.id, "chat", True, "delivered"),
    ):
        absorb(batch, event)
    assert batch.changed == {task.id}
    assert batch.activity[task.id] == '→ read_file {"path": "a"}'
    assert len(batch.journal[task.id]) == 2
    assert batch.server == ServerState("ready")
    assert batch.context is not None and batch.context.prompt_tokens == 2000
    assert batch.speed == 33.0
    assert [n.kind for n in batch.notices] == ["needs_you", "completed", "delivered"]


async def test_adapter_posts_one_message_per_burst() -> None:
    bus = EventBus()
    posted: list[Message] = []
    adapter = RunnerAdapter(bus, posted.append, interval=0.05)
    runner = asyncio.create_task(adapter.run())
    await asyncio.sleep(0)  # subscribed
    task = _task(TaskStatus.RUNNING, 1)
    for i in range(200):
        bus.publish(ModelActivity(task.id, f"token {i}"))
    await asyncio.sleep(0.2)
    bus.publish(TaskUpdated(task))
    await asyncio.sleep(0.2)
    runner.cancel()
    batches = [m.batch for m in posted if isinstance(m, RunnerBatch)]
    assert len(batches) == 2
    assert batches[0].activity == {task.id: "token 199"}
    assert batches[1].changed == {task.id}


def test_keymap_comes_from_the_config_file(workspace: Path) -> None:
    (workspace / ".localclaw").mkdir()
    (workspace / ".localclaw" / "config.toml").write_text('[tui.keymap]\n"task.new" = "ctrl+n"\n')
    assert load_settings(workspace).tui.keymap == {"task.new": "ctrl+n"}
