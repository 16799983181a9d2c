"""Small dialogs: an optional note (resume), and a yes/no confirmation (cancel)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static

from smallclaw_tui.tui.screens.base import Dialog


class NoteScreen(Dialog[str]):
    """Returns the note ("" for none), or None when cancelled."""

    def __init__(self, title: Content, hint: str, placeholder: str = "") -> None:
        super().__init__()
        self._title = title
        self._hint = hint
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title")
            yield Static(Content(self._hint), classes="dialog-hint")
            yield Input(id="note", placeholder=self._placeholder, compact=True)
            yield Static(Content("Enter confirms · Esc cancels"), classes="dialog-hint")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#note", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())


class ConfirmScreen(Dialog[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(
        self, title: Content, question: Content, *, yes_means: str = "confirms", no_means: str = "keeps it"
    ) -> None:
        super().__init__()
        self._title = title
        self._question = question
        self._keys = f"y {yes_means} · n or Esc {no_means}"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title")
            yield Static(self._question, classes="dialog-hint")
            yield Static(Content(self._keys), classes="dialog-hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_dismiss_none(self) -> None:
        self.dismiss(False)
