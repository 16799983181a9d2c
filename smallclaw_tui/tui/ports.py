"""The narrow surface of the runner the app uses. Widgets render state and post intents; they
never touch the runner's internals, so a test or a demo can hand the app any object that fits."""

from __future__ import annotations

from typing import Protocol

from smallclaw_tui.models import Origin, PlanStep, Task
from smallclaw_tui.runner.bus import EventBus
from smallclaw_tui.store.quarantine import QuarantineReport
from smallclaw_tui.store.tasks import TaskStore


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
