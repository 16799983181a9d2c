"""The new-task dialog: a goal, an optional title, optional steps and optional checks."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Static, TextArea

from smallclaw_tui.textsafe import printable
from smallclaw_tui.tui.forms import CHECK_HELP, FormError, NewTaskForm, build_form
from smallclaw_tui.tui.screens.base import Dialog
from smallclaw_tui.tui.screens.prompts import ConfirmScreen


class NewTaskScreen(Dialog[NewTaskForm]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Create", id="dialog.submit", priority=True),
    ]
    DEFAULT_CSS = """
    NewTaskScreen {
        #goal { height: 3; }
        #title { height: 1; }
        #steps { height: 3; }
        #checks { height: 2; margin-bottom: 0; }
    }
    """

    def __init__(
        self,
        goal: str = "",
        *,
        origin_note: str = "",
        title: str = "",
        steps: str = "",
        checks: str = "",
        heading: str = "New background task",
        submit: str = "Create",
    ) -> None:
        super().__init__()
        # Prefilled from a chat message (model text) or a task: a text area draws control
        # characters as is.
        self._goal = printable(goal)
        self._start = {"title": printable(title), "steps": printable(steps), "checks": printable(checks)}
        self._origin_note = origin_note
        self._heading = heading
        self._submit = submit

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self._heading), classes="dialog-title")
            if self._origin_note:
                yield Static(Content(self._origin_note), classes="dialog-hint")
            yield Static(Content("Goal — what should be true when it is done"), classes="dialog-label")
            yield TextArea(self._goal, id="goal", compact=True, soft_wrap=True, tab_behavior="focus")
            yield Static(Content("Title (optional)"), classes="dialog-label")
            yield Input(
                self._start["title"], id="title", compact=True, placeholder="default: the goal's first line"
            )
            yield Static(
                Content("Steps (optional, one per line; empty: the planner writes them)"),
                classes="dialog-label",
            )
            yield TextArea(
                self._start["steps"], id="steps", compact=True, soft_wrap=True, tab_behavior="focus"
            )
            yield Static(Content("Checks (optional, one per line)"), classes="dialog-label")
            yield TextArea(
                self._start["checks"], id="checks", compact=True, soft_wrap=True, tab_behavior="focus"
            )
            yield Static(Content(CHECK_HELP), classes="dialog-hint")
            yield Static(Content(""), classes="dialog-error -empty", id="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (Esc)", id="cancel", compact=True)
                yield Button(f"{self._submit} (ctrl+s)", id="create", variant="primary", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#goal", TextArea).focus()

    def action_submit(self) -> None:
        try:
            form = build_form(
                self.query_one("#goal", TextArea).text,
                self.query_one("#title", Input).value,
                self.query_one("#steps", TextArea).text,
                self.query_one("#checks", TextArea).text,
            )
        except FormError as e:
            error = self.query_one("#error", Static)
            error.update(Content(str(e)))
            error.remove_class("-empty")
            return
        self.dismiss(form)

    def _typed(self) -> bool:
        """Anything in the form changed from what it opened with (a goal from a chat message, a
        task being edited)."""
        now = {name: self.query_one(f"#{name}", TextArea).text for name in ("steps", "checks")}
        now["title"] = self.query_one("#title", Input).value
        return self.query_one("#goal", TextArea).text != self._goal or now != self._start

    def action_dismiss_none(self) -> None:
        if not self._typed():
            self.dismiss(None)
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                Content("Discard this task?" if self._submit == "Create" else "Discard your changes?"),
                Content(
                    "What you typed in the form is lost."
                    if self._submit == "Create"
                    else "What you changed in the form is lost; the task stays as it was."
                ),
                yes_means="discards it",
                no_means="goes back to the form",
            ),
            answer,
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "create":
            self.action_submit()
        else:
            self.action_dismiss_none()


class EditTaskScreen(NewTaskScreen):
    """The same dialog on an existing task: its fields filled in, and the key saves."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Save", id="dialog.submit", priority=True),
    ]

    def __init__(self, task_id: str, goal: str, *, title: str, steps: str, checks: str) -> None:
        super().__init__(
            goal,
            title=title,
            steps=steps,
            checks=checks,
            heading=f"Edit task {task_id}",
            submit="Save",
            origin_note=(
                "Steps before the first one you change keep what they did; the task goes on from "
                "there when resumed. Empty steps: the planner writes new ones."
            ),
        )
