"""A board you can read at 120×40 (issue 14, item 9): titles over two lines, columns with no card
take only their header's room, headers keep their counts while filtering, 80×24 still shows the
cards."""

from __future__ import annotations

from pathlib import Path

from tui_helpers import screen_text, until

from smallclaw_tui.models import TaskStatus
from smallclaw_tui.tui.demo import demo_app, settled
from smallclaw_tui.tui.widgets.board import Board
from smallclaw_tui.tui.widgets.card_list import title_lines


def card_rows(board: Board, key: str, index: int) -> list[str]:
    cards = board.cards(key)
    return ["".join(s.text for s in cards.render_line(index * 4 + row)).strip("▌ ") for row in range(4)]


async def test_a_card_shows_a_title_wider_than_its_column_over_two_lines(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(150, 40)) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        board = app.query_one(Board)
        running = board.ids_in("running")[0]
        title = app.runner.tasks[running].title  # "Write release notes for 0.2"
        assert len(title) > board.cards("running").size.width
        top, second, _meta, _now = card_rows(board, "running", 0)
        assert f"{top} {second}" == title


def test_a_title_longer_than_two_lines_is_cut_with_an_ellipsis_between_words() -> None:
    assert title_lines("Routine task number 17: tidy the notes folder", 13) == [
        "Routine task",
        "number 17: t…",
    ]
    assert title_lines("Short", 13) == ["Short", ""]


async def test_an_empty_column_takes_only_its_header_and_the_others_share_the_rest(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        board = app.query_one(Board)
        before = board.cards("done").size.width
        for task_id in board.ids_in("running"):
            await app.runner.cancel(task_id)
        await until(pilot, lambda: not board.ids_in("running"), "the running column to empty")
        await pilot.pause(0.1)
        head = board.query_one("#head-running")
        assert str(head.render()).strip() == "Running 0"
        assert board.query_one("#column-running").size.width == len("Running 0") + 2
        assert board.cards("done").size.width > before  # the room went to the columns with cards
        assert app.runner.tasks  # nothing else changed


async def test_filter_headers_keep_their_counts_and_80x24_shows_titles(tmp_path: Path) -> None:
    app = demo_app(tmp_path, extra_tasks=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        board = app.query_one(Board)
        done = sum(1 for t in app.runner.tasks.values() if t.status == TaskStatus.COMPLETE)
        board.set_filter("Bulk task 7")
        await pilot.pause(0.1)
        shown = len(board.ids_in("done"))
        assert 0 < shown < done
        assert f"Done {shown}/{done}" in screen_text(app.export_screenshot())
        top, _second, _meta, _now = card_rows(board, "done", 0)
        assert top.startswith("Bulk task")
