"""Requests from the user to a task that is running right now, applied at its next safe point."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass(slots=True)
class TaskControl:
    pause_note: str | None = None
    pause_requested: bool = False
    cancel_requested: bool = False
    cancel_note: str | None = None
    shutdown: bool = False
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def stop_requested(self) -> bool:
        return self.pause_requested or self.cancel_requested or self.shutdown

    def request_pause(self, note: str | None) -> None:
        self.pause_requested = True
        self.pause_note = note
        self._wake.set()

    def request_cancel(self, note: str | None) -> None:
        self.cancel_requested = True
        self.cancel_note = note
        self._wake.set()

    def request_shutdown(self) -> None:
        self.shutdown = True
        self._wake.set()

    async def sleep(self, seconds: float) -> bool:
        """Sleep, but wake early on a stop request. Returns True when woken by one."""
        if self.stop_requested:
            return True
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True
