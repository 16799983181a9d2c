"""Mixtures: each turn of work is done by one component drawn by weight, and each planner,
verifier or summary request by an independent draw — a model that is mostly fine, sometimes not."""

from __future__ import annotations

from bench.reliability.profiles.base import Ctx, Policy
from bench.reliability.request import Kind, classify, step_view
from smallclaw_tui.testing.fake_server import ChatRequest, Reply


class Mixture(Policy):
    name = "mixture"

    def __init__(self, ctx: Ctx, parts: list[tuple[Policy, float]]) -> None:
        super().__init__(ctx)
        self.parts = parts
        self._turn: Policy | None = None

    def draw(self) -> Policy:
        return self.rng.choices([p for p, _ in self.parts], [w for _, w in self.parts])[0]

    def __call__(self, req: ChatRequest) -> Reply:
        if classify(req) is not Kind.STEP:
            return self.draw()(req)
        if self._turn is None or step_view(req).new_turn:
            self._turn = self.draw()
        return self._turn(req)
