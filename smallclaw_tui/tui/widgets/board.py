"""The kanban board: five columns of task cards, keyboard driven, virtualized.

Each column is one :class:`CardList`, a Line-API widget that draws only the visible cards from
the runner's live task objects, so a column of thousands costs what a column of ten does.
Updates are incremental: only columns whose membership or order changed are re-sorted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from smallclaw_tui.status import TaskStatus
from smallclaw_tui.textsafe import printable
from smallclaw_tui.tui import board_model
from smallclaw_tui.tui.board_model import COLUMNS
from smallclaw_tui.tui.widgets.card_list import CARD_HEIGHT, CardList

if TYPE_CHECKING:
    from smallclaw_tui.models import Task
    from smallclaw_tui.runner.events import TaskProgress

__all__ = ["CARD_HEIGHT", "Board", "CardList", "FilterInput"]


class FilterInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear", "Clear filter", id="board.filter_clear", show=False)
    ]

    class Cleared(Message):
        pass

    def action_clear(self) -> None:
        self.post_message(self.Cleared())


class Board(Vertical):
    """Filter input on top, five columns below. Posts :class:`Board.Selected` as the user moves."""

    DEFAULT_CSS = """
    Board {
        #board-filter { display: none; height: 1; border: none; padding: 0 1; }
        &.-filtering #board-filter { display: block; }
        #board-columns { height: 1fr; }
        .board-column { width: 1fr; margin-right: 1; }
        .board-column.-last { margin-right: 0; }
        .column-head { height: 1; padding: 0 1; background: $panel; color: $text-muted; text-style: bold; }
        .board-column.-active .column-head { background: $primary 40%; color: $text; }
        CardList { height: 1fr; }
    }
    """

    class Selected(Message):
        def __init__(self, task_id: str | None) -> None:
            super().__init__()
            self.task_id = task_id

    class Opened(Message):
        def __init__(self, task_id: str) -> None:
            super().__init__()
            self.task_id = task_id

    def __init__(self, *, id: str | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(id=id)
        self.tasks: Mapping[str, Task] = {}
        self.activity: dict[str, str] = {}
        # What each running task is doing (phase, since, tokens); shared with the detail pane.
        self.progress: dict[str, TaskProgress] = {}
        self.now = clock
        self.query_text = ""
        self.active_key = COLUMNS[0].key
        self._where: dict[str, str] = {}  # task id -> column key, for tasks shown
        self._selected: str | None = None
        self._widths: dict[str, int | None] = {}  # column key -> cells when narrowed (None: a share)

    def compose(self) -> ComposeResult:
        # The filter box is made on first use (see `_filter_box`): hidden until then, it need not
        # be styled and laid out before the first frame.
        with Horizontal(id="board-columns"):
            # Classes set here, not after mounting (nor an order selector like :last-of-type): each
            # change after mounting restyles the column's cards again, and the first frame waits.
            for col in COLUMNS:
                last = " -last" if col is COLUMNS[-1] else ""
                active = " -active" if col.key == self.active_key else ""
                with Vertical(classes="board-column" + last + active, id=f"column-{col.key}"):
                    yield Static(Content(col.title), classes="column-head", id=f"head-{col.key}")
                    yield CardList(col.key, self, id=f"cards-{col.key}")

    def on_mount(self) -> None:
        self._mark_active()

    def on_resize(self) -> None:
        self._rearrange(set())  # headers: full or short titles for the new width

    # --- queries --------------------------------------------------------------------------------

    def cards(self, key: str) -> CardList:
        return self.query_one(f"#cards-{key}", CardList)

    @property
    def active(self) -> CardList:
        return self.cards(self.active_key)

    @property
    def selected_id(self) -> str | None:
        return self.active.selected_id

    def column_of_id(self, task_id: str) -> str | None:
        return self._where.get(task_id)

    def ids_in(self, key: str) -> list[str]:
        return list(self.cards(key).ids)

    # --- updates --------------------------------------------------------------------------------

    def load(self, tasks: Mapping[str, Task]) -> None:
        """Show `tasks` (the runner's live dict; kept, so later updates read current objects)."""
        self.tasks = tasks
        self._rearrange(set(board_model.COLUMN_KEYS))

    def update_tasks(self, ids: Iterable[str]) -> None:
        """Tasks that changed: move the ones whose column changed, redraw the others."""
        touched: set[str] = set()
        for task_id in ids:
            task = self.tasks.get(task_id)
            old = self._where.get(task_id)
            new = (
                board_model.column_of(task)
                if task is not None and board_model.matches(task, self.query_text)
                else None
            )
            if old is not None:
                touched.add(old)
            if new is not None:
                touched.add(new)
        self._rearrange(touched)

    def set_activity(self, activity: Mapping[str, str]) -> None:
        self.activity.update(activity)
        for task_id in activity:
            key = self._where.get(task_id)
            if key is not None:
                self.cards(key).invalidate()

    def set_progress(self, progress: Mapping[str, TaskProgress]) -> None:
        self.progress.update(progress)
        self.cards("running").invalidate()

    def progress_text(self, task_id: str) -> str | None:
        progress = self.progress.get(task_id)
        return None if progress is None else board_model.progress_line(progress, self.now())

    def tick(self) -> bool:
        """Redraw the running cards (their spinner and seconds); False when none shows progress."""
        for task_id in list(self.progress):
            task = self.tasks.get(task_id)
            if task is None or task.status != TaskStatus.RUNNING:
                del self.progress[task_id]  # it ended; a resumed task starts a new phase
        if self.progress:
            self.cards("running").invalidate()
        return bool(self.progress)

    def set_filter(self, text: str) -> None:
        self.query_text = text
        self._rearrange(set(board_model.COLUMN_KEYS))

    def _rearrange(self, keys: set[str]) -> None:
        selected = self._selected
        arranged = board_model.arrange(
            (t for t in self.tasks.values() if board_model.column_of(t) in keys), self.query_text
        )
        totals = board_model.counts(self.tasks.values())
        for key in keys:
            ids = arranged[key]
            cards = self.cards(key)
            for task_id in cards.ids:
                if self._where.get(task_id) == key:
                    del self._where[task_id]
            for task_id in ids:
                self._where[task_id] = key
            cards.set_ids(ids)
        self._fit_columns(totals)
        # The selection follows its task across columns (Queued → Running → Done).
        if selected is not None and selected not in self.active.ids:
            target = self._where.get(selected)
            if target is not None:
                self.activate(target, selected)

    def _fit_columns(self, totals: Mapping[str, int]) -> None:
        """Headers with their counts (`Queued 11/208` while filtering), and widths: a column with no
        card shown takes only its header's room, the others share the rest."""
        filtering = bool(self.query_text.strip())
        heads: dict[str, tuple[str, str]] = {}
        for col in COLUMNS:
            shown, total = len(self.cards(col.key).ids), totals[col.key]
            count = f"{shown}/{total}" if filtering and shown != total else str(total)
            heads[col.key] = (f"{col.title} {count}", f"{col.short} {count}")
        empty = {col.key for col in COLUMNS if not self.cards(col.key).ids}
        if len(empty) == len(COLUMNS):
            empty = set()  # nothing anywhere: keep the five columns even
        narrow = {key: len(heads[key][1]) + 2 for key in empty}  # + the header's padding
        gaps = len(COLUMNS) - 1
        wide = len(COLUMNS) - len(empty)
        column_width = (self.size.width - gaps - sum(narrow.values())) // max(wide, 1)
        for col in COLUMNS:
            column = self.query_one(f"#column-{col.key}")
            width = narrow.get(col.key)
            if self._widths.get(col.key) != width:
                self._widths[col.key] = width
                column.styles.width = width if width is not None else "1fr"
            full, short = heads[col.key]
            text = short if width is not None or len(full) + 2 > column_width > 0 else full
            head = self.query_one(f"#head-{col.key}", Static)
            if str(head.content) != text:
                head.update(Content(text), layout=False)  # fixed size: no layout pass needed

    # --- selection and focus --------------------------------------------------------------------

    def activate(self, key: str, task_id: str | None = None, *, focus: bool | None = None) -> None:
        had_focus = self.active.has_focus
        self.active_key = key
        self._mark_active()
        cards = self.active
        if task_id is not None:
            cards.move_to_id(task_id)
        if focus or (focus is None and had_focus):
            cards.focus()
        self._announce(cards.selected_id)

    def select(self, task_id: str, *, focus: bool = False) -> bool:
        key = self._where.get(task_id)
        if key is None:
            return False
        self.activate(key, task_id, focus=focus)
        return True

    def focus_active(self) -> None:
        self.pick_active().focus()

    def pick_active(self) -> CardList:
        """The column to focus: the active one, or the first with cards when it is empty."""
        if not self.active.ids:
            for col in COLUMNS:
                if self.cards(col.key).ids:
                    self.active_key = col.key
                    break
        self._mark_active()
        return self.active

    def _mark_active(self) -> None:
        for col in COLUMNS:
            column = self.query_one(f"#column-{col.key}")
            active = col.key == self.active_key
            if column.has_class("-active") != active:
                column.set_class(active, "-active")
                self.cards(col.key).invalidate()  # its cursor shows or hides

    def _announce(self, task_id: str | None) -> None:
        if task_id != self._selected:
            self._selected = task_id
            self.post_message(self.Selected(task_id))

    def on_card_list_focused(self, message: CardList.Focused) -> None:
        message.stop()
        if not message.cards.has_focus:
            return  # stale: focus moved on before this message was handled
        if message.cards.key != self.active_key:
            self.active_key = message.cards.key
            self._mark_active()
        self._announce(message.cards.selected_id)

    def on_card_list_highlighted(self, message: CardList.Highlighted) -> None:
        message.stop()
        # Only the active column speaks for the selection; others move their cursor quietly.
        if message.cards.key == self.active_key:
            self._announce(message.cards.selected_id)

    def on_card_list_step(self, message: CardList.Step) -> None:
        message.stop()
        keys = board_model.COLUMN_KEYS
        i = keys.index(message.cards.key)
        # Empty columns are stepped over: there is nothing to select in them.
        j = next(
            (
                k
                for k in range(i + message.delta, len(keys) if message.delta > 0 else -1, message.delta)
                if self.cards(keys[k]).ids
            ),
            i,
        )
        if j == i:
            return
        # Keep the row: moving sideways lands on the card at the same height when there is one.
        row = message.cards.cursor - int(message.cards.scroll_offset.y) // CARD_HEIGHT
        target = self.cards(keys[j])
        target.cursor = max(0, min(len(target.ids) - 1, int(target.scroll_offset.y) // CARD_HEIGHT + row))
        self.activate(keys[j], focus=True)

    def on_card_list_opened(self, message: CardList.Opened) -> None:
        message.stop()
        self.post_message(self.Opened(message.task_id))

    # --- filter ---------------------------------------------------------------------------------

    def _filter_box(self) -> FilterInput:
        made = self.query(FilterInput)
        if made:
            return made.first()
        box = FilterInput(
            placeholder="filter: part of a title, goal or id (Enter keeps it, Esc clears)", id="board-filter"
        )
        self.mount(box, before=0)
        return box

    def open_filter(self) -> None:
        self.add_class("-filtering")
        box = self._filter_box()
        box.value = printable(self.query_text)  # an input draws what it holds as is
        box.focus()

    def close_filter(self, *, clear: bool) -> None:
        box = self._filter_box()
        if clear:
            box.value = ""
            self.set_filter("")
        if not self.query_text:
            self.remove_class("-filtering")
        self.focus_active()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "board-filter":
            event.stop()
            self.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "board-filter":
            event.stop()
            self.close_filter(clear=False)

    def on_filter_input_cleared(self, message: FilterInput.Cleared) -> None:
        message.stop()
        self.close_filter(clear=True)
