"""One board column's cards: a Line-API widget that draws only the visible cards.

It reads the tasks, live lines and progress from its board (any :class:`CardHost`), so a column of
thousands costs what a column of ten does; the board decides membership and order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar, Protocol

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.events import Click, Resize
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from smallclaw_tui.status import TaskStatus
from smallclaw_tui.tui.board_model import activity_line, progress_clock, step_text
from smallclaw_tui.tui.text import fit, flat
from smallclaw_tui.tui.widgets.highlight import NONE
from smallclaw_tui.tui.widgets.highlight import highlight as cursor_highlight
from smallclaw_tui.tui.widgets.line_view import LineView

if TYPE_CHECKING:
    from smallclaw_tui.models import Task
    from smallclaw_tui.runner.events import TaskProgress

TITLE_ROWS = 2  # a title gets two lines: at 120 columns a column is ~14 cells, one line says little
CARD_HEIGHT = TITLE_ROWS + 2  # then the id and step (or the progress), and what is happening


def title_lines(title: str, width: int) -> list[str]:
    """The title over `TITLE_ROWS` lines of `width`, broken between words where it can be, and cut
    with an ellipsis when it is longer."""
    width = max(width, 1)
    lines: list[str] = []
    line = ""
    for word in flat(title).split(" "):
        joined = f"{line} {word}" if line else word
        if cell_len(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
        while cell_len(word) > width:  # a word longer than the line is cut where it must be
            head = chop_cells(word, width)[0] or word[:1]
            lines.append(head)
            word = word[len(head) :]
        line = word
    lines.append(line)
    if len(lines) > TITLE_ROWS:
        lines = [*lines[: TITLE_ROWS - 1], fit(" ".join(lines[TITLE_ROWS - 1 :]), width)]
    return lines + [""] * (TITLE_ROWS - len(lines))


class CardHost(Protocol):
    """What a column reads from its board."""

    @property
    def tasks(self) -> Mapping[str, Task]: ...
    @property
    def activity(self) -> Mapping[str, str]: ...
    @property
    def progress(self) -> Mapping[str, TaskProgress]: ...
    @property
    def query_text(self) -> str: ...
    @property
    def active_key(self) -> str: ...
    def now(self) -> float: ...
    def close_filter(self, *, clear: bool) -> None: ...


class CardList(LineView, can_focus=True):
    """One column's cards. The cursor is a card index; the board owns the task data."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "card--title",
        "card--meta",
        "card--activity",
        "card--cursor",
        "card--empty",
        "card--bar",  # coloured by the column: the list's class -col-KEY
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", id="board.up", show=False),
        Binding("down,j", "move(1)", "Down", id="board.down", show=False),
        Binding("left,h", "column(-1)", "Left", id="board.left", show=False),
        Binding("right,l", "column(1)", "Right", id="board.right", show=False),
        Binding("home", "move_to(0)", "First card", id="board.first", show=False),
        Binding("end", "move_to(-1)", "Last card", id="board.last", show=False),
        Binding("pageup", "page(-1)", "Page up", id="board.page_up", show=False),
        Binding("pagedown", "page(1)", "Page down", id="board.page_down", show=False),
        Binding("enter", "open", "Open", id="board.open"),
        # Enter in the filter keeps it and comes back here, so Esc clears it here too (one id with
        # the filter box's Esc: one key to remap).
        Binding("escape", "clear_filter", "Clear filter", id="board.filter_clear", show=False),
    ]
    DEFAULT_CSS = """
    CardList {
        background: $surface;
        scrollbar-size-vertical: 1;
        scrollbar-gutter: stable;
        overflow-x: hidden;
        & > .card--title { text-style: bold; color: $text; }
        & > .card--meta { color: $text-muted; }
        & > .card--activity { color: $text-muted; text-style: italic; }
        & > .card--cursor { background: $boost; }
        &:focus > .card--cursor { background: $accent 35%; }
        & > .card--empty { color: $text-muted; }
        &.-col-queued > .card--bar { color: $text-muted; }
        &.-col-running > .card--bar { color: $accent; }
        &.-col-needs > .card--bar { color: $warning; }
        &.-col-done > .card--bar { color: $success; }
        &.-col-failed > .card--bar { color: $text-error; }
    }
    """

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        def __init__(self, cards: CardList, task_id: str | None) -> None:
            super().__init__()
            self.cards = cards
            self.task_id = task_id

    class Opened(Message):
        def __init__(self, task_id: str) -> None:
            super().__init__()
            self.task_id = task_id

    class Focused(Message):
        def __init__(self, cards: CardList) -> None:
            super().__init__()
            self.cards = cards

    class Step(Message):
        """Move to the neighbouring column."""

        def __init__(self, cards: CardList, delta: int) -> None:
            super().__init__()
            self.cards = cards
            self.delta = delta

    def __init__(self, key: str, board: CardHost, *, id: str | None = None) -> None:
        # One component class for the bar, coloured by this class: each component class is styled
        # apart every time the list is restyled (five lists, on every focus change).
        super().__init__(cache_lines=512, id=id, classes=f"-col-{key}")
        self.key = key
        self.board = board
        self.ids: list[str] = []

    # --- data -----------------------------------------------------------------------------------

    @property
    def selected_id(self) -> str | None:
        return self.ids[self.cursor] if 0 <= self.cursor < len(self.ids) else None

    def set_ids(self, ids: list[str]) -> None:
        """New membership/order; the cursor stays on the same task when it is still here."""
        keep = self.selected_id
        self.ids = ids
        self.virtual_size = Size(self.scrollable_content_region.width, len(ids) * CARD_HEIGHT)
        self.invalidate()
        # Otherwise it keeps its row, so the card that moved up into the gap gets it.
        index = ids.index(keep) if keep in ids else min(self.cursor, len(ids) - 1)
        self.cursor = max(index, 0)

    def invalidate(self) -> None:
        self._strips.clear()
        self.refresh()

    def move_to_id(self, task_id: str) -> bool:
        if task_id in self.ids:
            self.cursor = self.ids.index(task_id)
            return True
        return False

    # --- cursor and keys ------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self._strips.clear()
        self.refresh()
        if self.ids:
            region = Region(0, new * CARD_HEIGHT, max(self.size.width, 1), CARD_HEIGHT)
            self.scroll_to_region(region, animate=False, force=True)
        self.post_message(self.Highlighted(self, self.selected_id))

    def action_move(self, delta: int) -> None:
        if self.ids:
            self.cursor = max(0, min(len(self.ids) - 1, self.cursor + delta))

    def action_move_to(self, index: int) -> None:
        if self.ids:
            self.cursor = index % len(self.ids)

    def action_page(self, delta: int) -> None:
        per_page = max(1, self.scrollable_content_region.height // CARD_HEIGHT)
        self.action_move(delta * per_page)

    def action_column(self, delta: int) -> None:
        self.post_message(self.Step(self, delta))

    def action_open(self) -> None:
        if self.selected_id is not None:
            self.post_message(self.Opened(self.selected_id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return bool(self.board.query_text)  # no filter: Esc is free for whatever else wants it
        return True

    def action_clear_filter(self) -> None:
        self.board.close_filter(clear=True)

    def on_click(self, event: Click) -> None:
        index = (event.y + int(self.scroll_offset.y)) // CARD_HEIGHT
        if 0 <= index < len(self.ids):
            self.cursor = index
            if event.chain == 2:
                self.action_open()

    def on_focus(self) -> None:
        self.invalidate()
        self.post_message(self.Focused(self))

    def on_blur(self) -> None:
        self.invalidate()

    def on_resize(self, event: Resize) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.ids) * CARD_HEIGHT)
        self.invalidate()

    # --- rendering ------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        line = y + int(self.scroll_offset.y)
        width = self.scrollable_content_region.width
        base = self.base_style
        if not self.ids:
            if y == 1:
                return Strip([Segment(fit(" —", width), base + self.get_component_rich_style("card--empty"))])
            return Strip.blank(width, base)
        strip = self._strips.get(line)
        if strip is None:
            strip = self._render_card_line(line, width, base)
            self._strips[line] = strip
        return strip

    def _render_card_line(self, line: int, width: int, base: Style) -> Strip:
        index, row = divmod(line, CARD_HEIGHT)
        if index >= len(self.ids) or width <= 0:
            return Strip.blank(width, base)
        task = self.board.tasks.get(self.ids[index])
        if task is None:
            return Strip.blank(width, base)
        # The highlight is a background laid over everything else on the line: a part's own
        # style (title, meta, activity, bar) carries the normal background, so it goes first.
        # Only the active column shows its cursor: the selection is one task, not one per column.
        selected = index == self.cursor and (self.has_focus or self.board.active_key == self.key)
        highlight = (
            cursor_highlight(self.get_component_rich_style("card--cursor"), base) if selected else NONE
        )
        fill = base + highlight
        bar = Segment("▌", base + self.get_component_rich_style("card--bar") + highlight)
        inner = width - 1
        progress = self.board.progress.get(task.id) if task.status == TaskStatus.RUNNING else None
        if row < TITLE_ROWS:
            text, part = title_lines(task.title, inner)[row], "card--title"
        elif row == TITLE_ROWS:
            if progress is not None:
                text = progress_clock(progress, self.board.now())
            else:
                # The step first: a narrow column keeps it, and the detail shows the id whole.
                text = f"{step_text(task)} · {flat(task.id)}"
            part = "card--meta"
        else:
            phase = progress.phase if progress is not None else None
            text, part = activity_line(task, self.board.activity.get(task.id), phase), "card--activity"
        body = Segment(fit(text, inner), base + self.get_component_rich_style(part) + highlight)
        return Strip([bar, body]).adjust_cell_length(width, fill)
