"""The narrow surface of the runner the app uses. Widgets render state and post intents; they
never touch the runner's internals, so a test or a demo can hand the app any object that fits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from smallclaw_tui.models import Origin, PlanStep, Task
    from smallclaw_tui.runner.bus import EventBus
    from smallclaw_tui.runner.checkpoints import UndoOutcome
    from smallclaw_tui.runner.deps import RunnerDeps
    from smallclaw_tui.store.quarantine import QuarantineReport
    from smallclaw_tui.store.tasks import TaskStore
    from smallclaw_tui.task_edit import TaskEdit


class RunnerPort(Protocol):
    tasks: dict[str, Task]
    problems: list[QuarantineReport]
    store: TaskStore
    bus: EventBus

    async def start(self) -> None: ...

    async def stop(self, *, grace_s: float = 10.0) -> None: ...

    async def create_task(
        self,
        prompt: str,
        *,
        title: str | None = None,
        steps: list[PlanStep] | None = None,
        origin: Origin | None = None,
    ) -> Task: ...

    async def pause(self, task_id: str, note: str | None = None) -> None: ...

    async def resume(self, task_id: str, note: str | None = None) -> None: ...

    async def cancel(self, task_id: str, note: str | None = None) -> None: ...

    async def approve(self, task_id: str, note: str | None = None) -> None: ...

    async def deny(self, task_id: str, note: str | None = None) -> None: ...

    async def undo(self, task_id: str) -> UndoOutcome: ...

    async def archive(self, task_id: str, note: str | None = None) -> Task: ...

    async def edit(self, task_id: str, edit: TaskEdit) -> Task: ...


class TelegramPort(Protocol):
    """What the app needs of the Telegram adapter: its state for the status bar, and stop."""

    @property
    def state(self) -> str: ...  # "connecting", "online", "offline", "token rejected", "stopped"

    def describe(self) -> str: ...

    async def stop(self, *, grace_s: float | None = None) -> None: ...


# Starts Telegram next to the runner (after runner.start()); None when it is not configured.
StartTelegram = Callable[[], Awaitable[TelegramPort | None]]


@dataclass(frozen=True, slots=True)
class Loaded:
    """What the app runs on: made by a :data:`Load` after the first paint, or handed in whole."""

    deps: RunnerDeps
    runner: RunnerPort
    start_telegram: StartTelegram | None = None


# Reads the settings and builds the runner; called in a thread once the first frame is on screen,
# so pydantic, httpx and the runner are imported while the user already sees the board. Raises
# ConfigError (or any error) to close the app with that one line.
Load = Callable[[], Loaded]
