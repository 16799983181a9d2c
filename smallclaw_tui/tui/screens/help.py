"""The key help: every binding with its id and the key it has now (after the user's keymap)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from smallclaw_tui.tui.screens.base import Dialog

HelpRow = tuple[str, str, str]  # keys, what, id


class HelpScreen(Dialog[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,q", "dismiss_none", "Close the help", id="help.close", show=False)
    ]
    DEFAULT_CSS = """
    HelpScreen {
        & > .dialog { height: 90%; }
        #help-rows { height: 1fr; }
    }
    """

    def __init__(self, rows: list[HelpRow], footer: str) -> None:
        super().__init__()
        self._rows = rows
        self._footer = footer

    def compose(self) -> ComposeResult:
        key_w = max((len(k) for k, _, _ in self._rows), default=4)
        what_w = max((len(w) for _, w, _ in self._rows), default=4)
        lines: list[str | tuple[str, str]] = []
        for keys, what, binding_id in self._rows:
            lines += [
                (f"{keys:<{key_w}}  ", "bold $accent"),
                (f"{what:<{what_w}}  ", ""),
                (binding_id + "\n", "$text-muted"),
            ]
        with Vertical(classes="dialog"):
            yield Static(Content("Keys"), classes="dialog-title")
            yield Static(
                Content('Remap by id in .localclaw/config.toml under [tui.keymap]: "task.new" = "ctrl+n"'),
                classes="dialog-hint",
            )
            with VerticalScroll(id="help-rows"):
                yield Static(Content.assemble(*lines).rstrip())
            yield Static(Content(self._footer), classes="dialog-hint")
