"""The detail pane's diff: what the shown task changed in the workspace, coloured like git's.

The diff is read in a worker (it reads every file the task touched) and shown in place of the
journal; `v` in either switches between them. Lines get their colour from their kind, found by
:func:`smallclaw_tui.taskdiff.shown_lines`, never from anything in the text: file contents are
the model's, and are shown literally.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import RichLog
from textual.worker import Worker

from smallclaw_tui.textsafe import one_line
from smallclaw_tui.tui.widgets.diff_toggle import TOGGLE_ID, TOGGLE_KEY, ToggleDiff

# Imported where used: the app draws its first frame before these (and pydantic) are loaded.
if TYPE_CHECKING:
    from smallclaw_tui.models import Task
    from smallclaw_tui.taskdiff import LineKind, TaskDiff

DiffLoader = Callable[[str], Awaitable["TaskDiff"]]

__all__ = ["TOGGLE_ID", "TOGGLE_KEY", "DiffLoader", "DiffView", "ToggleDiff"]


async def load_from_app_settings(app: App[object], task_id: str) -> TaskDiff:
    """The diff of `task_id` in the app's workspace, read off the event loop."""
    from smallclaw_tui.config import Settings
    from smallclaw_tui.taskdiff import APP_MAX_CHARS, read_task_diff

    settings = getattr(app, "settings", None)
    if not isinstance(settings, Settings):
        raise RuntimeError("this app has no workspace to read a diff from")
    return await asyncio.to_thread(
        read_task_diff, settings.data_dir, settings.workspace, task_id, max_chars=APP_MAX_CHARS
    )


class DiffLoaded(Message):
    def __init__(self, task_id: str, diff: TaskDiff | None, error: str | None = None) -> None:
        super().__init__()
        self.task_id = task_id
        self.diff = diff
        self.error = error


def _freshness(task: Task) -> tuple[object, ...]:
    # A running task writes files within a step; a new round is when to look again.
    return (task.status, task.current_step, task.rounds)


class DiffView(RichLog):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "diffview--file",
        "diffview--hunk",
        "diffview--add",
        "diffview--remove",
        "diffview--note",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(TOGGLE_KEY, "toggle_diff", "Journal", id=TOGGLE_ID),
        # The journal's id: one remap moves the key in both views that share this place.
        Binding("escape", "app.focus_pane('board')", "Back to the board", id="journal.leave", show=False),
    ]
    DEFAULT_CSS = """
    DiffView {
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 1;
        & > .diffview--file { text-style: bold; }
        & > .diffview--hunk { color: $text-muted; }
        & > .diffview--add { color: $text-success; }
        & > .diffview--remove { color: $text-error; }
        & > .diffview--note { color: $text-muted; text-style: italic; }
    }
    """

    def __init__(self, load: DiffLoader | None = None, *, id: str | None = None) -> None:
        # Unwrapped: a long line scrolls sideways rather than reading as two lines of the file.
        super().__init__(wrap=False, markup=False, highlight=False, auto_scroll=False, min_width=20, id=id)
        self._load_diff = load
        self.task_id: str | None = None
        self.reading = False
        self.shown: TaskDiff | None = None
        self._fresh_for: tuple[object, ...] | None = None
        self._text: str | None = None  # what is on screen, so an unchanged reload keeps the scroll
        self._lines: list[tuple[LineKind, str]] = []

    def on_mount(self) -> None:
        # The lines carry their colours once written: a new theme writes them again.
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self) -> None:
        self.call_after_refresh(self._recolour)

    def _recolour(self) -> None:
        # After a refresh: only then do the component styles have the new theme's colours.
        lines, self._text = self._lines, None
        self._put(lines)

    def action_toggle_diff(self) -> None:
        self.post_message(ToggleDiff())

    def load(self, task: Task) -> None:
        """Read `task`'s diff again in a worker, unless it is the one shown and nothing moved on."""
        fresh = _freshness(task)
        if task.id == self.task_id and fresh == self._fresh_for and (self.reading or self.shown):
            return
        if task.id != self.task_id:
            self.task_id, self.shown = task.id, None
            self._put([("note", "loading the diff…")])
        self._fresh_for = fresh
        self.reading = True
        _: Worker[None] = self.run_worker(
            partial(self._read, task.id), group="detail-diff", exclusive=True, exit_on_error=False
        )

    def forget(self) -> None:
        """The pane shows another task (or none): the next look reads afresh."""
        self.task_id, self.shown, self._fresh_for, self.reading = None, None, None, False
        self._put([])

    async def _read(self, task_id: str) -> None:
        load = self._load_diff or partial(load_from_app_settings, self.app)
        try:
            diff = await load(task_id)
        except Exception as e:  # a file that vanished mid-read: say so, keep the pane usable
            self.post_message(DiffLoaded(task_id, None, f"{type(e).__name__}: {e}"))
            return
        self.post_message(DiffLoaded(task_id, diff))

    def on_diff_loaded(self, message: DiffLoaded) -> None:
        from smallclaw_tui.taskdiff import no_changes_message, shown_lines

        message.stop()
        if message.task_id != self.task_id or not self.is_attached:
            return
        self.reading = False
        if message.diff is None:
            self.shown = None
            self._put([("note", "could not read the diff: " + one_line(message.error or "", 300))])
            return
        self.shown = message.diff
        if message.diff.empty:
            self._put([("note", no_changes_message(message.diff.task_id) + ".")])
            return
        count = len(message.diff.files)
        # The checkpoints keep files as they were before the task, not after each step.
        head = f"{count} file{'s' if count != 1 else ''} changed by the whole task · {TOGGLE_KEY}: journal"
        self._put([("note", head), *shown_lines(message.diff.text)])

    def _put(self, lines: list[tuple[LineKind, str]]) -> None:
        text = "\n".join(line for _kind, line in lines)
        if text == self._text:
            return
        keep = (self.scroll_x, self.scroll_y) if self._text is not None and lines else (0.0, 0.0)
        self._text, self._lines = text, lines
        self.clear()
        if lines:
            styles = {kind: self._style(kind) for kind in {k for k, _ in lines}}
            out = Text(no_wrap=True, end="")
            for i, (kind, line) in enumerate(lines):
                out.append(line + ("\n" if i < len(lines) - 1 else ""), styles[kind])
            self.write(out, shrink=False, scroll_end=False)
        self.scroll_to(*keep, animate=False, immediate=False)

    def _style(self, kind: LineKind) -> Style:
        if kind == "context":
            return Style()
        # The full style, so a colour with alpha (muted text) is blended over the background
        # as the theme means it; its background is left out, so the focus tint shows through.
        full = self.get_component_rich_style(f"diffview--{kind}", partial=False)
        return Style(color=full.color, bold=full.bold, italic=full.italic)
