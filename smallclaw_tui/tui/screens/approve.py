"""Approving a shell command: the exact command is shown (literally) before anything runs."""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from smallclaw_tui.textsafe import shown_command
from smallclaw_tui.tui.screens.base import Dialog

Answer = Literal["approve", "deny"]


class ApproveScreen(Dialog[Answer]):
    """Returns "approve", "deny", or None when the user left without deciding."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer('approve')", "Approve", id="dialog.approve"),
        Binding("n", "answer('deny')", "Deny", id="dialog.deny"),
    ]
    DEFAULT_CSS = """
    ApproveScreen {
        #command {
            background: $panel; color: $text; text-style: bold; padding: 0 1; margin: 1 0; height: auto;
        }
    }
    """

    def __init__(self, who: Content, command: str, *, leave_means: str = "decide later") -> None:
        super().__init__()
        self._who = who
        self._command = command
        self._leave_means = leave_means

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content("Run this command?"), classes="dialog-title")
            yield Static(self._who, classes="dialog-hint")
            # Tabs expanded: they break Textual's cell counts.
            yield Static(Content(shown_command(self._command).expandtabs(4)), id="command")
            yield Static(Content("It runs in the workspace with your permissions."), classes="dialog-hint")
            yield Static(Content(f"y approves · n denies · Esc: {self._leave_means}"), classes="dialog-hint")

    def action_answer(self, answer: Answer) -> None:
        self.dismiss(answer)
