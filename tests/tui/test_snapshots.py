"""SVG snapshots of the layout (pytest-textual-snapshot). Synchronous tests: snap_compare runs the
app itself. The demo workspace has fixed ids and times, the clock is UTC, cursors do not blink.

Update after an intended change with `pytest tests/tui --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from tui_helpers import until

from smallclaw_tui.models import TaskStatus
from smallclaw_tui.runner.events import ModelActivity, TaskProgress, TaskUpdated
from smallclaw_tui.tui.app import SmallClawApp
from smallclaw_tui.tui.demo import DEMO_PHASE_SINCE, NEEDS_APPROVAL_ID, demo_app, settled
from smallclaw_tui.tui.demo_client import DemoClient

SnapCompare = Callable[..., bool]
PAUSED_ID = "d4a7e004"


def _ready(
    then: Callable[[SmallClawApp, Pilot[Any]], Awaitable[None]] | None = None,
) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, SmallClawApp)
        await until(pilot, lambda: settled(app), "the demo to settle")
        if then is not None:
            await then(app, pilot)
            await until(pilot, lambda: settled(app), "the demo to settle again")

    return run_before


async def _open_needs_you(app: SmallClawApp, pilot: Pilot[Any]) -> None:
    app.open_task(NEEDS_APPROVAL_ID)
    await pilot.pause()


def _selecting(task_id: str) -> Callable[[SmallClawApp, Pilot[Any]], Awaitable[None]]:
    async def then(app: SmallClawApp, pilot: Pilot[Any]) -> None:
        app.board.select(task_id, focus=True)
        await pilot.pause()

    return then


def test_main_80x24(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(demo_app(tmp_path), terminal_size=(80, 24), run_before=_ready())


def test_main_160x48(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(demo_app(tmp_path), terminal_size=(160, 48), run_before=_ready())


def test_detail_of_a_task_that_needs_you(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(demo_app(tmp_path), terminal_size=(160, 48), run_before=_ready(_open_needs_you))


def test_detail_zoomed_80x24(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(
        demo_app(tmp_path), press=["z"], terminal_size=(80, 24), run_before=_ready(_open_needs_you)
    )


def test_new_task_dialog(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(
        demo_app(tmp_path), press=["n", *"notes"], terminal_size=(80, 24), run_before=_ready()
    )


def test_approve_dialog(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(
        demo_app(tmp_path),
        press=["a"],
        terminal_size=(100, 30),
        run_before=_ready(_selecting(NEEDS_APPROVAL_ID)),
    )


def test_resume_note_dialog(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(
        demo_app(tmp_path), press=["r"], terminal_size=(100, 30), run_before=_ready(_selecting(PAUSED_ID))
    )


def test_cancel_confirm_dialog(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(
        demo_app(tmp_path), press=["x"], terminal_size=(100, 30), run_before=_ready(_selecting(PAUSED_ID))
    )


def test_quit_confirm_dialog(snap_compare: SnapCompare, tmp_path: Path) -> None:
    """ctrl+q while a task runs (the demo's running task) asks first."""
    assert snap_compare(demo_app(tmp_path), press=["ctrl+q"], terminal_size=(100, 30), run_before=_ready())


def test_help_screen(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(
        demo_app(tmp_path), press=["question_mark"], terminal_size=(100, 40), run_before=_ready()
    )


def test_chat_streaming(snap_compare: SnapCompare, tmp_path: Path) -> None:
    client = DemoClient(
        chunks=[
            "Here is the plan:\n",
            "1. list the notes\n",
            "2. summarise each one in a line\n",
            "3. write",
        ],
        thinking=["The user wants a summary of notes/. ", "I will list the folder first."],
        hang=True,
    )

    async def chat(app: SmallClawApp, pilot: Pilot[Any]) -> None:
        await pilot.press("c", *"hi", "enter")
        await until(pilot, lambda: client.streamed.is_set(), "the reply to stream")
        await until(
            pilot, lambda: any(b.text.endswith("3. write") for b in app.chat.transcript.blocks), "the text"
        )

    assert snap_compare(demo_app(tmp_path, client=client), terminal_size=(120, 36), run_before=_ready(chat))


def test_sixteen_colour_theme(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(demo_app(tmp_path, theme="ansi-dark"), terminal_size=(80, 24), run_before=_ready())


def test_board_120x40_with_200_tasks(snap_compare: SnapCompare, tmp_path: Path) -> None:
    """Issue 14's daily board: two-line titles, counts in the headers, a running card's progress."""
    assert snap_compare(demo_app(tmp_path, extra_tasks=200), terminal_size=(120, 40), run_before=_ready())


def test_edit_task_dialog(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(
        demo_app(tmp_path), press=["e"], terminal_size=(100, 30), run_before=_ready(_selecting(PAUSED_ID))
    )


async def _in_every_phase(app: SmallClawApp, pilot: Pilot[Any]) -> None:
    """Three more running cards, one in each other phase a task goes through (the demo's own is on
    a step): planning, verifying, summarizing — each with its seconds and tokens."""
    phases = {
        "d4a7e000": ("planning", 0, None),
        "d4a7e009": ("verifying step 1", 12, "VERDICT: YES EVIDENCE: R1"),
        PAUSED_ID: ("summarizing", 64, "Renamed llm.host to llm.base_url in"),
    }
    for task_id, (phase, tokens, live) in phases.items():
        task = app.runner.tasks[task_id]
        task.status = TaskStatus.RUNNING
        app.runner.bus.publish(TaskUpdated(task))
        app.runner.bus.publish(TaskProgress(task_id, phase, DEMO_PHASE_SINCE - tokens, tokens))
        if live is not None:
            app.runner.bus.publish(ModelActivity(task_id, live))
    await until(pilot, lambda: len(app.board.ids_in("running")) == 4, "four running cards")
    await pilot.pause(0.1)


def test_a_card_in_each_progress_state(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(demo_app(tmp_path), terminal_size=(160, 40), run_before=_ready(_in_every_phase))
