"""BlockLog: a virtualized log of text blocks (Line API), shared by the journal and the chat.

One widget however long the log: only the visible lines are rendered, each from a flat index of
(block, line) built per width. A block is one journal entry or one chat message; it can be
folded to a few lines, expanded, and the last one can grow while text streams in (only its own
lines are re-wrapped). A cursor selects a block for the keyboard (expand it, act on it).

Block text is untrusted: it is cleaned (control characters made visible) and drawn as plain
segments, so markup and escape sequences in it are shown, never obeyed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from smallclaw_tui.tui.text import clean, fit, wrap
from smallclaw_tui.tui.widgets.highlight import NONE
from smallclaw_tui.tui.widgets.highlight import highlight as cursor_highlight
from smallclaw_tui.tui.widgets.line_view import LineView

_INDENT = 2


@dataclass(slots=True)
class Block:
    kind: str  # picks the label style: component class "blocklog--<kind>"
    label: str  # short, ours (a time and a type, "you", "→"); drawn before the text
    text: str  # untrusted
    fold: int | None = None  # lines shown while collapsed; None: never folded
    expanded: bool = False
    data: object = None  # the owner's handle (a journal entry, a chat message)
    # Layout cache for one width: wrapped body lines, and how many a fold hides.
    lines: list[str] = field(default_factory=list)
    hidden: int = 0
    width: int = -1


class BlockLog(LineView, can_focus=True):
    """A scrolling list of blocks with a block cursor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "blocklog--cursor",
        "blocklog--fold",
        "blocklog--text",
        "blocklog--placeholder",
    }
    KINDS: ClassVar[tuple[str, ...]] = ()

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Previous entry", id="log.prev", show=False),
        Binding("down,j", "cursor(1)", "Next entry", id="log.next", show=False),
        Binding("home,g", "cursor_to(0)", "First entry", id="log.first", show=False),
        Binding("end,G", "cursor_to(-1)", "Last entry", id="log.last", show=False),
        Binding("pageup", "page_up", "Page up", id="log.page_up", show=False),
        Binding("pagedown", "page_down", "Page down", id="log.page_down", show=False),
    ]

    DEFAULT_CSS = """
    BlockLog {
        background: $surface;
        color: $text;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        /* The width never changes when the scrollbar comes and goes, so lines wrap once. */
        scrollbar-gutter: stable;
        & > .blocklog--cursor { background: $boost; text-style: none; }
        &:focus > .blocklog--cursor { background: $accent 30%; }
        & > .blocklog--fold { color: $text-muted; text-style: italic; }
        & > .blocklog--text { color: $text; }
        & > .blocklog--placeholder { color: $text-muted; text-style: italic; }
    }
    """

    cursor: reactive[int | None] = reactive(None, always_update=True)

    class CursorMoved(Message):
        def __init__(self, log: BlockLog, block: Block | None) -> None:
            super().__init__()
            self.log = log
            self.block = block

        @property
        def control(self) -> BlockLog:
            return self.log

    def __init__(
        self,
        *,
        placeholder: str = "",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(cache_lines=1024, name=name, id=id, classes=classes)
        self.placeholder = placeholder  # shown while there are no blocks
        self._blocks: list[Block] = []
        self._starts: list[int] = []  # first flat line of each block
        self._flat: list[tuple[int, int]] = []  # flat line -> (block, line in block; -1 = fold marker)
        self._width = 0
        # Following the end: new blocks and a smaller view keep the last line in sight.
        self._stick = True

    # --- data -----------------------------------------------------------------------------------

    @property
    def blocks(self) -> list[Block]:
        return self._blocks

    def __len__(self) -> int:
        return len(self._blocks)

    def clear(self) -> None:
        self._blocks = []
        self.cursor = None
        self._relayout(0)

    def set_blocks(self, blocks: list[Block]) -> None:
        self._blocks = list(blocks)
        if self.cursor is not None and self.cursor >= len(self._blocks):
            self.cursor = None
        self._relayout(0)
        self._follow(True)

    def append(self, *blocks: Block) -> None:
        follow = self._stick
        start = len(self._blocks)
        self._blocks.extend(blocks)
        self._relayout(start)
        self._follow(follow)

    def update_block(self, index: int, *, text: str | None = None, kind: str | None = None) -> None:
        """Change one block (the streaming one, usually the last): only it and what follows move."""
        follow = self._stick
        block = self._blocks[index]
        if text is not None:
            block.text = text
        if kind is not None:
            block.kind = kind
        block.width = -1
        self._relayout(index)
        self._follow(follow)

    def remove_block(self, index: int) -> None:
        del self._blocks[index]
        if self.cursor is not None and self.cursor >= len(self._blocks):
            self.cursor = len(self._blocks) - 1 if self._blocks else None
        self._relayout(index)

    def toggle(self, index: int | None = None) -> None:
        index = self.cursor if index is None else index
        if index is None or not 0 <= index < len(self._blocks):
            return
        block = self._blocks[index]
        block.expanded = not block.expanded
        block.width = -1
        self._relayout(index)
        self._show_block(index)

    def expand_all(self, expanded: bool) -> None:
        for block in self._blocks:
            if block.fold is not None:
                block.expanded = expanded
                block.width = -1
        self._relayout(0)

    # --- layout ---------------------------------------------------------------------------------

    def _layout_block(self, block: Block, width: int) -> int:
        if block.width == width:
            return len(block.lines) + (1 if block.hidden else 0)
        label_w = cell_len(block.label) + 1 if block.label else 0
        lines = wrap(clean(block.text), width - label_w, width - _INDENT)
        hidden = 0
        if block.fold is not None and not block.expanded and len(lines) > block.fold:
            hidden = len(lines) - block.fold
            lines = lines[: block.fold]
        block.lines, block.hidden, block.width = lines, hidden, width
        return len(lines) + (1 if hidden else 0)

    def _relayout(self, start: int) -> None:
        """Rebuild the flat line index from block `start` on (earlier blocks keep their lines)."""
        width = self._width
        self._strips.clear()
        if start <= 0 or start > len(self._starts):
            start = 0
            self._starts = []
            self._flat = []
        elif start < len(self._starts):
            cut = self._starts[start]
            del self._starts[start:]
            del self._flat[cut:]
        if width > 0:
            flat, starts = self._flat, self._starts
            for i in range(start, len(self._blocks)):
                n = self._layout_block(self._blocks[i], width)
                starts.append(len(flat))
                flat.extend((i, j) for j in range(n))
                if self._blocks[i].hidden:
                    flat[-1] = (i, -1)
        self.virtual_size = Size(width, len(self._flat))
        self.refresh()

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width != self._width:
            self._width = width
            self._relayout(0)
        self._follow(self._stick)

    def watch_show_vertical_scrollbar(self, show: bool) -> None:
        # A scroll made before the scrollbar showed (the log opening at its end) never reached it:
        # without this its thumb would sit at the top while the view is at the bottom.
        if show:
            self.vertical_scrollbar.position = self.scroll_y

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._stick = new >= self.max_scroll_y - 1

    # --- scrolling ------------------------------------------------------------------------------

    def _follow(self, follow: bool) -> None:
        self._stick = follow
        if follow and self.cursor is None:
            # After the refresh: the layout then knows whether the scrollbar shows, and the
            # scrollbar gets the new position too (an immediate scroll can leave it stale).
            self.scroll_end(animate=False, x_axis=False, force=True)

    def _show_block(self, index: int) -> None:
        if not self._starts or index >= len(self._starts):
            return
        start = self._starts[index]
        end = self._starts[index + 1] if index + 1 < len(self._starts) else len(self._flat)
        height = max(1, min(end - start, self.scrollable_content_region.height))
        self.scroll_to_region(Region(0, start, max(self._width, 1), height), animate=False, force=True)

    # --- cursor ---------------------------------------------------------------------------------

    def watch_cursor(self, old: int | None, new: int | None) -> None:
        self._strips.clear()
        self.refresh()
        if new is not None:
            self._show_block(new)
        if old != new:
            self.post_message(self.CursorMoved(self, self.selected))

    @property
    def selected(self) -> Block | None:
        c = self.cursor
        return self._blocks[c] if c is not None and 0 <= c < len(self._blocks) else None

    def action_cursor(self, delta: int) -> None:
        if not self._blocks:
            return
        if self.cursor is None:
            self.cursor = len(self._blocks) - 1 if delta < 0 else self._first_visible_block()
            return
        self.cursor = max(0, min(len(self._blocks) - 1, self.cursor + delta))

    def action_cursor_to(self, index: int) -> None:
        if self._blocks:
            self.cursor = index % len(self._blocks)

    def clear_cursor(self) -> None:
        self.cursor = None
        self.scroll_end(animate=False, x_axis=False, force=True)

    def _first_visible_block(self) -> int:
        y = int(self.scroll_offset.y)
        return self._flat[y][0] if y < len(self._flat) else 0

    # --- rendering ------------------------------------------------------------------------------

    def label_style(self, kind: str) -> Style:
        return self.get_component_rich_style(f"blocklog--{kind}", default=Style())

    def render_line(self, y: int) -> Strip:
        index = y + int(self.scroll_offset.y)
        width = self._width
        base = self.base_style
        if not self._blocks and y == 0 and self.placeholder:
            style = base + self.get_component_rich_style("blocklog--placeholder")
            return Strip([Segment(fit(self.placeholder, width), style)]).adjust_cell_length(width, base)
        if index >= len(self._flat) or width <= 0:
            return Strip.blank(width, base)
        strip = self._strips.get(index)
        if strip is None:
            strip = self._render_flat_line(index, width, base)
            self._strips[index] = strip
        return strip

    def _render_flat_line(self, index: int, width: int, base: Style) -> Strip:
        b, j = self._flat[index]
        block = self._blocks[b]
        text_style = base + self.get_component_rich_style("blocklog--text")
        # The cursor is a background laid over the line last: the label's and the fold marker's
        # own styles carry the normal background and would otherwise hide it.
        highlight = (
            cursor_highlight(self.get_component_rich_style("blocklog--cursor"), base)
            if b == self.cursor
            else NONE
        )
        segments: list[Segment] = []
        if j == -1:
            marker = f"{' ' * _INDENT}… {block.hidden} more line{'s' if block.hidden != 1 else ''}"
            fold_style = text_style + self.get_component_rich_style("blocklog--fold") + highlight
            segments.append(Segment(fit(marker + " (enter shows all)", width), fold_style))
        elif j == 0 and block.label:
            segments.append(Segment(block.label, text_style + self.label_style(block.kind) + highlight))
            segments.append(Segment(" " + block.lines[0], text_style + highlight))
        else:
            pad = "" if j == 0 else " " * _INDENT
            segments.append(Segment(pad + block.lines[j], text_style + highlight))
        return Strip(segments).adjust_cell_length(width, text_style + highlight)
