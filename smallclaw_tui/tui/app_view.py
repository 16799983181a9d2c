"""The board and the view: layout, panes, focus, zoom, the selection and what the detail shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.events import DescendantFocus, Resize
from textual.widget import Widget

from smallclaw_tui.tui.app_base import AppBase, Pane
from smallclaw_tui.tui.widgets.board import Board
from smallclaw_tui.tui.widgets.chat_pane import ChatInput
from smallclaw_tui.tui.widgets.detail import DetailInfo
from smallclaw_tui.tui.widgets.footer import FittingFooter
from smallclaw_tui.tui.widgets.journal import JournalView

if TYPE_CHECKING:
    from smallclaw_tui.models import JournalEntry


class ViewActions(AppBase):
    def on_resize(self, event: Resize) -> None:
        self._layout_for(event.size.width)
        # The footer fits its keys to the width it had when the bindings last changed.
        self.query_one(FittingFooter).refit()

    def _layout_for(self, width: int) -> None:
        self.query_one("#layout").set_class(width < self.options.narrow_below, "-narrow")

    def _set_zoom(self, pane: Pane | None) -> None:
        self.zoomed = pane
        layout = self.query_one("#layout")
        for name in ("chat", "board", "detail"):
            layout.set_class(pane == name, f"-zoom-{name}")

    def _pane_of(self, widget: Widget | None) -> Pane | None:
        for node in widget.ancestors_with_self if widget is not None else ():
            if node.id in ("chat", "board", "detail"):
                return node.id  # type: ignore[return-value]
        return None

    def _show_pane(self, pane: Pane) -> None:
        layout = self.query_one("#layout")
        layout.set_class(pane == "chat", "-show-chat")
        if self.zoomed is not None and self.zoomed != pane:
            self._set_zoom(None)

    # --- focus and zoom -------------------------------------------------------------------------

    def action_focus_pane(self, pane: Pane) -> None:
        self._move_focus(pane, self._focus_target(pane))

    def _move_focus(self, pane: Pane, target: Widget) -> None:
        # Focus moves first, then the other pane hides: a focused widget that is hidden gives its
        # focus away to a neighbour (in the hidden pane) and can leave nothing focused at all.
        target.screen.set_focus(target)  # its own screen (a palette may still be on top)
        self._show_pane(pane)
        self.call_after_refresh(self._settle_focus, pane, target)

    def _focus_target(self, pane: Pane) -> Widget:
        if pane == "chat":
            return self.query_one(ChatInput)
        if pane == "board":
            return self.board.pick_active()
        journal = self.query_one(JournalView)
        if self._pane_of(self.focused) == "detail" and self.focused is journal:
            return self.query_one(DetailInfo)  # d again: the plan and summary above the journal
        return journal

    def _settle_focus(self, pane: Pane, target: Widget) -> None:
        """After the layout change: focus is where it was sent, not lost in a pane now hidden."""
        if self.is_running and target.is_attached and self._pane_of(target.screen.focused) != pane:
            target.screen.set_focus(target)

    def action_zoom(self) -> None:
        pane = self._pane_of(self.focused) or "board"
        self._set_zoom(None if self.zoomed == pane else pane)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        if not self.is_running:
            return  # focus moves while the app shuts down, screens already gone
        pane = self._pane_of(event.widget)
        if pane is not None:
            self.query_one("#layout").set_class(pane == "chat", "-show-chat")

    # --- selection and detail -------------------------------------------------------------------

    @on(Board.Selected)
    def _board_selected(self, message: Board.Selected) -> None:
        self.selected_id = message.task_id
        self._bindings_changed()
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(self.options.detail_delay_s, self._show_selected)

    @property
    def detail_pending(self) -> bool:
        """A selection change whose detail is not shown yet (see `detail_delay_s`)."""
        return self._detail_timer is not None

    def _show_selected(self) -> None:
        self._detail_timer = None
        if self.is_running:  # a timer that fires while the app shuts down finds the panes gone
            self.detail.show(self.selected_task())

    @on(Board.Opened)
    def _board_opened(self, message: Board.Opened) -> None:
        self.open_task(message.task_id)

    def open_task(self, task_id: str) -> None:
        board = self.board
        if board.column_of_id(task_id) is None and board.query_text:
            board.close_filter(clear=True)
        board.select(task_id)
        self.selected_id = task_id
        self._show_selected()
        self._bindings_changed()
        self._move_focus("detail", self.query_one(JournalView))

    async def _load_journal(self, task_id: str) -> list[JournalEntry]:
        task = await self.runner.store.load(task_id)
        return task.journal

    def action_filter(self) -> None:
        self._show_pane("board")
        self.board.open_filter()
