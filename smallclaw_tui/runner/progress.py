"""A running task's progress as events: the phase it is in and the tokens the model wrote in it.

The executor names each phase as it starts it; the model client counts tokens as they stream (see
:class:`~smallclaw_tui.runner.gate.GatedClient`), and the count is published at most every
`every_s` so a fast stream costs a few events a second, not one a token.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from smallclaw_tui.runner.events import RunnerEvent, TaskProgress


class Progress:
    def __init__(
        self,
        publish: Callable[[RunnerEvent], object],
        task_id: str,
        *,
        clock: Callable[[], float] = time.time,
        every_s: float = 0.5,
    ) -> None:
        self._publish = publish
        self._task_id = task_id
        self._clock = clock
        self._every_s = every_s
        self.phase = ""
        self.round = False
        self.since = 0.0
        self.tokens = 0
        self._sent = 0.0

    def start(self, phase: str, *, round: bool = False) -> None:
        self.phase, self.round, self.since, self.tokens = phase, round, self._clock(), 0
        self._send()

    def add_tokens(self, n: int) -> None:
        if n <= 0 or not self.phase:
            return
        first = self.tokens == 0
        self.tokens += n
        # The first token is sent at once: it is when the model stopped reading the prompt and
        # began to answer, which on a small box can be a minute in.
        if first or self._clock() - self._sent >= self._every_s:
            self._send()

    def _send(self) -> None:
        self._sent = self._clock()
        self._publish(TaskProgress(self._task_id, self.phase, self.since, self.tokens, self.round))
