"""The task journal as a virtualized log, entry types coloured through theme variables."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType

from smallclaw_tui.status import JournalType
from smallclaw_tui.textsafe import shown_command
from smallclaw_tui.tui.text import clock
from smallclaw_tui.tui.widgets.blocklog import Block, BlockLog
from smallclaw_tui.tui.widgets.diff_toggle import TOGGLE_ID, TOGGLE_KEY, ToggleDiff

if TYPE_CHECKING:
    from smallclaw_tui.models import JournalEntry

_TYPE_WIDTH = max(len(t.value) for t in JournalType)
# Prompts repeat the whole task every round: one line each until asked for.
_FOLD = {JournalType.PROMPT: 1}
_DEFAULT_FOLD = 4


def entry_kind(entry: JournalEntry) -> str:
    if entry.type == JournalType.TOOL_RESULT and entry.detail.get("ok") is False:
        return "fail"
    if entry.type == JournalType.VERIFY and entry.detail.get("passed") is False:
        return "fail"
    return entry.type.value


def entry_key(entry: JournalEntry) -> tuple[object, ...]:
    """Identity of an entry across a reload from disk (entries carry no id)."""
    return (entry.t, entry.type, entry.content)


class JournalView(BlockLog):
    COMPONENT_CLASSES: ClassVar[set[str]] = BlockLog.COMPONENT_CLASSES | {
        f"blocklog--{k}" for k in [*(t.value for t in JournalType), "fail", "time"]
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "toggle_entry", "Expand", id="journal.expand"),
        # Shift: e edits the task, wherever the focus is.
        Binding("E", "expand_all", "All", id="journal.expand_all"),
        Binding(TOGGLE_KEY, "toggle_diff", "Diff", id=TOGGLE_ID),
        Binding("escape", "app.focus_pane('board')", "Back to the board", id="journal.leave", show=False),
    ]
    DEFAULT_CSS = """
    JournalView {
        & > .blocklog--round { color: $text-muted; text-style: bold; }
        & > .blocklog--prompt { color: $text-muted; }
        & > .blocklog--model { color: $text-primary; text-style: bold; }
        & > .blocklog--tool_call { color: $accent; text-style: bold; }
        & > .blocklog--tool_result { color: $text; }
        & > .blocklog--verify { color: $success; text-style: bold; }
        & > .blocklog--retry { color: $warning; }
        & > .blocklog--loop { color: $warning; text-style: bold; }
        & > .blocklog--pause { color: $warning; text-style: bold; }
        & > .blocklog--resume { color: $success; }
        & > .blocklog--note { color: $text-muted; }
        & > .blocklog--error { color: $text-error; text-style: bold; }
        & > .blocklog--fail { color: $text-error; text-style: bold; }
        & > .blocklog--delivery { color: $text-primary; }
    }
    """

    def __init__(self, *, tz: tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(placeholder="no journal entries yet", id=id)
        self.tz = tz
        self.expanded_all = False

    def block_for(self, entry: JournalEntry) -> Block:
        label = f"{clock(entry.t, self.tz)} {entry.type.value:<{_TYPE_WIDTH}}"
        return Block(
            kind=entry_kind(entry),
            label=label,
            # The record of what ran, commands waiting for approval included: nothing in it hidden.
            text=shown_command(entry.content),
            fold=_FOLD.get(entry.type, _DEFAULT_FOLD),
            expanded=self.expanded_all,
            data=entry,
        )

    def show_entries(self, entries: list[JournalEntry]) -> None:
        self.set_blocks([self.block_for(e) for e in entries])

    def add_entries(self, entries: list[JournalEntry]) -> None:
        self.append(*(self.block_for(e) for e in entries))

    def action_toggle_entry(self) -> None:
        if self.cursor is None:
            self.action_cursor(-1)
        self.toggle()

    def action_toggle_diff(self) -> None:
        self.post_message(ToggleDiff())

    def action_expand_all(self) -> None:
        self.expanded_all = not self.expanded_all
        self.expand_all(self.expanded_all)
