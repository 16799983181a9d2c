"""A transport that fails: wraps any profile and, with probability `p` per request, breaks the
reply on the wire instead of sending it.

Faults: HTTP 500, an error object mid-stream, the stream cut (clean close or TCP reset), a slow
first token (a model loading; not a failure), a first token slower than the read timeout, and the
server going away (connections refused) for a short or — rarely — a long while. Short outages
fit inside the retry budget the benchmark sets; long ones do not, and must end in
needs_assistance rather than a spin.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from bench.reliability.profiles.base import Ctx, Policy
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

_FAULTS = ("http500", "mid_stream", "cut", "reset", "slow", "timeout", "outage", "long_outage")
_WEIGHTS = (3, 2, 3, 2, 3, 1, 2, 0.4)


class Flaky(Policy):
    name = "flaky"

    def __init__(self, ctx: Ctx, inner: Policy, p: float = 0.25, long_outage_s: float = 1.5) -> None:
        super().__init__(ctx)
        self.inner = inner
        self.p = p
        self.long_outage_s = long_outage_s
        self._down = threading.Lock()

    def __call__(self, req: ChatRequest) -> Reply:
        reply = self.inner(req)
        if self.rng.random() >= self.p:
            return reply
        fault = self.rng.choices(_FAULTS, _WEIGHTS)[0]
        if fault == "http500":
            return Reply.fail(500, "llama runner process has terminated")
        if fault == "mid_stream":
            return replace(reply, error_mid_stream="model runner crashed", chunk_size=4)
        if fault in ("cut", "reset"):
            return replace(
                reply, chunk_size=4, cut_after_chunks=self.rng.randint(0, 2), cut_with_reset=fault == "reset"
            )
        if fault == "slow":
            return replace(reply, delay_first_s=self.rng.uniform(0.05, 0.25))
        if fault == "timeout":
            return replace(reply, delay_first_s=self.ctx.read_timeout_s + 0.2)
        seconds = self.long_outage_s if fault == "long_outage" else self.rng.uniform(0.05, 0.2)
        if self.ctx.server is not None and self._down.acquire(blocking=False):
            worker = threading.Thread(target=self._outage, args=(seconds,), daemon=True)
            self.ctx.background.append(worker)
            worker.start()
        return replace(reply, cut_after_chunks=0, cut_with_reset=True)

    def _outage(self, seconds: float) -> None:
        server = self.ctx.server
        assert server is not None
        try:
            server.stop()
            time.sleep(seconds)
            server.start()
        finally:
            self._down.release()
