"""The queue holds while the model server is down.

Without this, every queued task in turn would spend its retries on a dead server and end in
"needs you" — a whole queue drained in minutes. Once a task has given up on the server, the runner
starts nothing new and asks the server again every `server_probe_s`; when it answers, the queue
moves again (and the runner resumes the tasks the outage stopped, by setting).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from smallclaw_tui.llm.base import ModelClient, TransportError
from smallclaw_tui.runner.bus import EventBus
from smallclaw_tui.runner.events import ServerState

log = logging.getLogger(__name__)

HELD = "new tasks wait until it answers"
# How a task stopped by an outage says so (the executor's words; here, where it is cheap to import).
UNREACHABLE_PREFIX = "model server unreachable"


class ServerWatch:
    def __init__(
        self, client: ModelClient, bus: EventBus, *, interval_s: float, wake: Callable[[], None]
    ) -> None:
        self.client = client
        self.bus = bus
        self.interval_s = interval_s
        self.wake = wake
        self.down = False
        self._probe: asyncio.Task[bool] | None = None
        self._next_probe = 0.0

    @property
    def probing(self) -> bool:
        return self._probe is not None

    def mark_down(self, detail: str, *, probe_now: bool = False) -> None:
        """A task gave up on the server (or one stopped by an outage was found at start)."""
        if not self.down:
            self.bus.publish(ServerState("unreachable", f"{detail}; {HELD}"))
        self.down = True
        now = asyncio.get_running_loop().time()
        self._next_probe = now if probe_now else now + self.interval_s
        if probe_now:
            self.poll()

    def poll(self) -> bool:
        """From the scheduling loop: start a probe when one is due; True once, when the server
        answered again after being down."""
        if not self.down:
            return False
        probe = self._probe
        if probe is not None:
            if not probe.done():
                return False
            self._probe = None
            if not probe.cancelled() and probe.result():
                self.down = False
                self.bus.publish(ServerState("ready"))
                return True
            self._next_probe = asyncio.get_running_loop().time() + self.interval_s
            return False
        if asyncio.get_running_loop().time() >= self._next_probe:
            self._probe = asyncio.create_task(self._ask(), name="smallclaw-server-probe")
            self._probe.add_done_callback(lambda _t: self.wake())
        return False

    async def _ask(self) -> bool:
        try:
            await self.client.list_models()
        except TransportError as e:
            log.debug("model server still unreachable: %s", e)
            return False
        except Exception as e:  # an answer, even an error one, means the server is there
            log.debug("model server answered the probe with an error: %s", e)
        return True

    async def close(self) -> None:
        probe, self._probe = self._probe, None
        if probe is not None:
            probe.cancel()
            await asyncio.gather(probe, return_exceptions=True)
