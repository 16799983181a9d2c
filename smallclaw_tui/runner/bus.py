"""An async event bus: any number of subscribers, publishing never blocks the publisher."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from smallclaw_tui.runner.events import RunnerEvent

log = logging.getLogger(__name__)

Callback = Callable[[RunnerEvent], Awaitable[None] | None]


class Subscription:
    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self.queue: asyncio.Queue[RunnerEvent | None] = asyncio.Queue()

    def close(self) -> None:
        self._bus._subs.discard(self)
        self.queue.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[RunnerEvent]:
        while True:
            event = await self.queue.get()
            if event is None:
                return
            yield event


class EventBus:
    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        self._callbacks: list[Callback] = []
        self._pending: set[asyncio.Task[Any]] = set()

    def subscribe(self) -> Subscription:
        """A queue-backed subscription: `async for event in sub: ...`; unbounded, so nothing is lost."""
        sub = Subscription(self)
        self._subs.add(sub)
        return sub

    def on(self, callback: Callback) -> None:
        """Call `callback` for every event. Async callbacks run as tasks; errors are logged, not raised."""
        self._callbacks.append(callback)

    def publish(self, event: RunnerEvent) -> None:
        for sub in list(self._subs):
            sub.queue.put_nowait(event)
        for cb in self._callbacks:
            try:
                result = cb(event)
            except Exception:  # a broken subscriber must never stop the runner
                log.exception("event subscriber failed")
                continue
            if result is not None:
                task = asyncio.ensure_future(result)
                self._pending.add(task)
                task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("event subscriber failed: %s", task.exception())

    async def drain(self) -> None:
        """Wait for async callbacks in flight (used at shutdown and in tests)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
