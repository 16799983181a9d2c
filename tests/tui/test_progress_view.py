"""Progress during long model calls (issue 14, item 6): the running card and the detail say what the
task is doing — planning, step N try M, verifying, summarizing — with a spinner, the seconds it has
taken and the tokens written so far; and the spinner stops when nothing runs."""

from __future__ import annotations

from pathlib import Path

from tui_helpers import SlowSummary, app_env, until

from smallclaw_tui.models import PlanStep, TaskStatus
from smallclaw_tui.tui.board_model import SPINNER
from smallclaw_tui.tui.widgets.board import Board


def line_text(board: Board, key: str, row: int) -> str:
    return "".join(s.text for s in board.cards(key).render_line(row))


async def test_the_running_card_and_the_detail_show_the_phase_its_time_and_a_spinner(workspace: Path) -> None:
    world = SlowSummary()
    now = [1_000_000.0]
    async with (
        app_env(workspace, world, options={"clock": lambda: now[0]}) as env,
        env.app.run_test(size=(160, 40)) as pilot,
    ):
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        task = await runner.create_task("one step", steps=[PlanStep(index=0, description="write s.txt")])
        board = app.query_one(Board)
        await until(pilot, world.summarizing.is_set, "the summary call")
        await until(
            pilot,
            lambda: task.id in board.progress and board.progress[task.id].phase == "summarizing",
            "the summary's phase",
        )
        since = board.progress[task.id].since
        now[0] = since + 75.3
        board.select(task.id, focus=True)
        # A tick of the spinner's timer: waited for, not slept on (a fixed 0.3 s pause failed once
        # under the full suite's load on 2 cores).
        await until(
            pilot,
            lambda: (
                "1m15s" in line_text(board, "running", 2)
                and "1m15s" in str(app.detail.query_one("#detail-body").content)
            ),
            "a tick of the spinner on the card and in the detail",
        )
        meta = line_text(board, "running", 2)
        assert "1m15s" in meta, meta
        assert meta.strip()[1] in SPINNER, meta  # after the card's bar
        assert line_text(board, "running", 3).strip("▌ ").startswith("summarizing")
        assert "1m15s · summarizing" in str(app.detail.query_one("#detail-body").content)
        world.release.set()
        await until(pilot, lambda: runner.tasks[task.id].status == TaskStatus.COMPLETE, "the task to end")
        await until(pilot, lambda: not board.progress, "the progress to be dropped")
        assert app._spin_timer is not None and app._spin_timer._active.is_set() is False
