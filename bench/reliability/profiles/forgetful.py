"""A model that loses track of the plan: with probability `p` per turn it redoes an earlier
step instead of the current one, then reports the current step as done.

Redoing a step that wrote a file a later step changed undoes that change — the trap the suite's
"write, then edit, then something else" tasks are built around.
"""

from __future__ import annotations

from typing import Any

from bench.reliability.catalog import STEPS
from bench.reliability.profiles.honest import Honest
from bench.reliability.request import StepView
from bench.reliability.spec import Step
from smallclaw_tui.testing.fake_server import Reply


class Forgetful(Honest):
    name = "forgetful"

    def __init__(self, ctx: Any, p: float = 0.5) -> None:
        super().__init__(ctx)
        self.p = p
        self._instead: Step | None = None

    def step(self, view: StepView) -> Reply:
        current = STEPS.get(view.text)
        if view.new_turn:
            earlier = [STEPS[p.text] for p in view.plan if p.done and p.text in STEPS]
            self._instead = self.rng.choice(earlier) if earlier and self.rng.random() < self.p else None
        if self._instead is None or current is None:
            return super().step(view)
        reply = self.work(self._instead, view, redo=True)
        if reply.tool_calls:
            return reply
        return Reply(text=current.claim)  # it believes it did the current step
