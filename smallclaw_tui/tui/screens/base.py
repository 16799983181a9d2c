"""What every dialog shares: a centred frame, Escape to leave, and a steady cursor when asked."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

from smallclaw_tui.tui.cursors import steady_cursors
from smallclaw_tui.tui.widgets.footer import FittingFooter

R = TypeVar("R")


class Dialog(ModalScreen[R]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", "Cancel", id="dialog.cancel")]
    DEFAULT_CSS = """
    Dialog {
        align: center middle;
        & > .dialog {
            width: 76;
            max-width: 100%;
            height: auto;
            max-height: 100%;
            padding: 0 1;
            border: round $primary;
            background: $surface;
        }
        .dialog-title { text-style: bold; color: $text; height: 1; }
        .dialog-hint { color: $text-muted; height: auto; }
        .dialog-error { color: $error; text-style: bold; height: auto; }
        .dialog-error.-empty { display: none; }
        .dialog-label { color: $text-muted; height: 1; }
        Input, TextArea { background: $boost; margin-bottom: 1; }
        .dialog-buttons { height: 1; margin-top: 1; align-horizontal: right; }
        .dialog-buttons Button { margin-left: 2; }
    }
    """

    def on_mount(self) -> None:
        steady_cursors(self)
        # Its own footer, over the board's: what the keys do here, not what they did behind it.
        self.mount(FittingFooter(compact=True))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
