"""Task actions in the command palette (ctrl+p): the same actions as the keys, plus "open task"."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from smallclaw_tui.tui.ports import RunnerPort
from smallclaw_tui.tui.text import flat

if TYPE_CHECKING:
    from smallclaw_tui.models import Task

Command = tuple[str, Callable[[], Any], str]


class CommandHost(Protocol):
    """What the palette needs of the app. A protocol, not the app class: the app lists this
    provider in its COMMANDS, so importing the app here would close an import circle."""

    runner: RunnerPort

    def selected_task(self) -> Task | None: ...

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None: ...

    def open_task(self, task_id: str) -> None: ...

    def action_new_task(self) -> None: ...

    def action_filter(self) -> None: ...

    def action_archive_done(self) -> None: ...

    def action_zoom(self) -> None: ...

    def action_help(self) -> None: ...


class TaskCommands(Provider):
    @property
    def _app(self) -> CommandHost:
        return cast(CommandHost, self.app)

    def _commands(self) -> list[Command]:
        app = self._app
        out: list[Command] = [("New task…", app.action_new_task, "create a background task")]
        task = app.selected_task()
        if task is not None:
            title = flat(task.title)
            for action, verb, what in (
                ("approve_task", "Approve command of", "review and approve the command it waits on"),
                ("pause_task", "Pause", "pause at the next round boundary"),
                ("resume_task", "Resume", "resume, with an optional note for the model"),
                ("cancel_task", "Cancel", "cancel for good (asks first)"),
                ("undo_task", "Undo the changes of", "put back every file it changed (asks first)"),
                ("edit_task", "Edit", "change its goal, title, steps or checks"),
                (
                    "archive_task",
                    "Archive",
                    "move it off the board (`smallclaw task unarchive` brings it back)",
                ),
            ):
                if app.check_action(action, ()):
                    out.append((f"{verb}: {title}", getattr(app, f"action_{action}"), what))
        out += [
            (
                "Archive all done and cancelled tasks",
                app.action_archive_done,
                "clear them off the board (asks first)",
            ),
            ("Filter the board", app.action_filter, "show only tasks matching some text"),
            ("Zoom the focused pane", app.action_zoom, "give the focused pane the whole screen"),
            ("Keys", app.action_help, "every key, its id and how to remap it"),
        ]
        return out

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            # Titles are data: Content(...) keeps them literal (the matcher's highlight parses markup).
            yield DiscoveryHit(Content(text), callback, text=text, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        app = self._app
        commands = self._commands()
        for task in list(app.runner.tasks.values()):
            commands.append(
                (
                    f"Open task: {flat(task.title)} ({flat(task.id)})",
                    partial(app.open_task, task.id),
                    task.status.value,
                )
            )
        for text, callback, help_text in commands:
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, Content(text), callback, text=text, help=help_text)
