"""The detail pane's diff (`v`): what the task changed, coloured, scrollable, read off the event loop."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.style import Style
from textual.pilot import Pilot
from tui_helpers import until

from smallclaw_tui.runner.checkpoints import Checkpoints
from smallclaw_tui.tui.app import SmallClawApp
from smallclaw_tui.tui.demo import NEEDS_APPROVAL_ID, RUNNING_ID, demo_app, settled
from smallclaw_tui.tui.widgets.diffview import DiffView
from smallclaw_tui.tui.widgets.journal import JournalView

SnapCompare = Callable[..., bool]

DATES_BEFORE = "import re\n\n\ndef parse(text):\n    return text\n"
DATES_AFTER = (
    "import re\nfrom datetime import date\n\n\ndef parse(text):\n    return date.fromisoformat(text)\n"
)
TEST_FILE = (
    "from dates import parse\n\n\n"
    "def test_iso():\n    assert parse('2026-01-14').day == 14\n\n\n"
    "def test_bad():\n    # [red]not markup[/red] \x1b[2J\n    pass\n"
)


def _changes(ws: Path) -> None:
    """What the demo's needs-you task did to the workspace, kept by the real checkpoints."""
    (ws / "src").mkdir()
    (ws / "src" / "dates.py").write_text(DATES_BEFORE)
    checkpoints = Checkpoints(ws / ".localclaw", ws, NEEDS_APPROVAL_ID)
    checkpoints.before_write(["tests/test_parse.py", "src/dates.py"], 0)
    (ws / "tests").mkdir()
    (ws / "tests" / "test_parse.py").write_text(TEST_FILE)
    (ws / "src" / "dates.py").write_text(DATES_AFTER)
    checkpoints.after_write(["tests/test_parse.py", "src/dates.py"])


def _app(ws: Path) -> SmallClawApp:
    app = demo_app(ws)
    _changes(ws)
    return app


def _rows(view: DiffView) -> list[str]:
    return [strip.text.rstrip() for strip in view.lines]


def _style_of(view: DiffView, row: str) -> Style:
    strip = view.lines[_rows(view).index(row)]
    return next(seg.style for seg in strip if seg.text.strip() and seg.style is not None)


async def _open_diff(app: SmallClawApp, pilot: Pilot[Any], task_id: str = NEEDS_APPROVAL_ID) -> DiffView:
    await until(pilot, lambda: settled(app), "the demo to settle")
    app.open_task(task_id)
    await until(pilot, lambda: not app.detail.journal_loading and app.detail.task_id == task_id, "journal")
    await until(pilot, lambda: isinstance(app.focused, JournalView), "the journal to have focus")
    await pilot.press("v")
    view = app.detail.diff
    await until(pilot, lambda: view.shown is not None and not view.reading, "the diff to load")
    await pilot.pause()
    return view


async def test_v_shows_the_diff_in_place_of_the_journal_and_back(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await _open_diff(app, pilot)
        journal = app.detail.journal
        assert app.focused is view and view.display and not journal.display
        rows = _rows(view)
        assert rows[0].startswith("2 files changed by the whole task")
        # Every file the task changed, by path: the edited one from a/ to b/, the new from /dev/null.
        at = rows.index("--- a/src/dates.py")
        assert rows[at + 1 : at + 4] == ["+++ b/src/dates.py", "@@ -1,5 +1,6 @@", " import re"]
        assert "+from datetime import date" in rows and "-    return text" in rows
        assert rows[rows.index("--- /dev/null") + 1] == "+++ b/tests/test_parse.py"
        # File text is shown literally: markup stays text, an escape is spelled out.
        assert "+    # [red]not markup[/red] \\x1b[2J" in rows
        # Coloured by what a line is: added and removed lines differ, the hunk header is muted.
        added, removed = _style_of(view, "+from datetime import date"), _style_of(view, "-    return text")
        hunk, context = _style_of(view, "@@ -1,5 +1,6 @@"), _style_of(view, " import re")
        assert added.color != removed.color
        assert added.color not in (None, context.color) and removed.color not in (None, context.color)
        assert hunk.color not in (added.color, removed.color, context.color)

        await pilot.press("v")
        await pilot.pause()
        assert app.focused is journal and journal.display and not view.display


async def test_the_diff_scrolls(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _open_diff(app, pilot)
        assert view.max_scroll_y > 0, "the test needs a diff taller than the pane"
        await pilot.press("pagedown")
        await until(pilot, lambda: view.scroll_y > 0, "the diff to scroll down")


async def test_another_task_opens_on_its_journal_and_says_when_nothing_changed(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_diff(app, pilot)
        app.open_task(RUNNING_ID)
        await until(pilot, lambda: isinstance(app.focused, JournalView), "the journal of the other task")
        assert not app.detail.diff_shown

        view = await _open_diff(app, pilot, RUNNING_ID)
        assert _rows(view) == [
            f"task {RUNNING_ID} has no recorded file changes "
            "(it wrote no file, its changes were undone, or its checkpoint was pruned)."
        ]


async def test_the_diff_follows_the_files_when_the_task_moves_on(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await _open_diff(app, pilot)
        assert "+extra line" not in _rows(view)
        (tmp_path / "src" / "dates.py").write_text(DATES_AFTER + "extra line\n")
        task = app.runner.tasks[NEEDS_APPROVAL_ID].model_copy(update={"rounds": 3})
        app.detail.refresh_task(task)
        await until(pilot, lambda: "+extra line" in _rows(view), "the diff to be read again")


def test_diff_view_snapshot(snap_compare: SnapCompare, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        assert isinstance(pilot.app, SmallClawApp)
        await _open_diff(pilot.app, pilot)

    # Zoomed (z), as one reads a diff at 80×24: the plan above, the diff below.
    assert snap_compare(_app(tmp_path), press=["z"], terminal_size=(80, 24), run_before=run_before)


async def test_a_new_theme_recolours_the_diff(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await _open_diff(app, pilot)
        before = _style_of(view, "+from datetime import date").color
        app.theme = "textual-light"
        await until(
            pilot, lambda: _style_of(view, "+from datetime import date").color != before, "new colours"
        )
