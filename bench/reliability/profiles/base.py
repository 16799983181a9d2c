"""What every simulated model shares: a seeded context and dispatch on the request kind.

A profile is a :class:`Policy` subclass that overrides the kinds it behaves differently on; the
rest falls through to the honest behaviour. One instance serves one task run, so a profile may
keep state across the requests of that run (the current turn's plan, a loop's phase).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

from bench.reliability.request import (
    Kind,
    StepView,
    VerifierView,
    WholeFileView,
    classify,
    step_view,
    verifier_view,
    whole_file_view,
)
from smallclaw_tui.testing.fake_server import ChatRequest, FakeModelServer, Reply


@dataclass(slots=True)
class Ctx:
    rng: random.Random
    # Needed only by transport faults that take the server down and bring it back.
    server: FakeModelServer | None = None
    read_timeout_s: float = 1.0
    # Outage threads started by a profile; the harness waits for them before judging a run.
    background: list[threading.Thread] = field(default_factory=list)


class Policy:
    name = "policy"

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.rng = ctx.rng

    def __call__(self, req: ChatRequest) -> Reply:
        kind = classify(req)
        if kind is Kind.STEP:
            return self.step(step_view(req))
        if kind is Kind.VERIFIER:
            return self.verify(verifier_view(req))
        if kind is Kind.PLANNER:
            return self.plan(req)
        if kind is Kind.SUMMARY:
            return self.summary(req)
        if kind is Kind.REVIEW:
            return self.review(req)
        if kind is Kind.WHOLE_FILE:
            return self.whole_file(whole_file_view(req))
        return Reply(text="ok")

    def whole_file(self, view: WholeFileView) -> Reply:
        raise NotImplementedError

    def step(self, view: StepView) -> Reply:
        raise NotImplementedError

    def verify(self, view: VerifierView) -> Reply:
        raise NotImplementedError

    def plan(self, req: ChatRequest) -> Reply:
        raise NotImplementedError

    def summary(self, req: ChatRequest) -> Reply:
        raise NotImplementedError

    def review(self, req: ChatRequest) -> Reply:
        """The goal review of the whole diff. Every profile answers it as a yes-man: the simulated
        models cannot judge a diff, and a YES here leaves every false completion to the runner's
        other rules, so the benchmark does not credit the review with catches it did not make."""
        return Reply(text="VERDICT: YES\nREASON: the change does what the goal asks")


def verdict(yes: bool, evidence: str, reason: str) -> Reply:
    return Reply(text=f"VERDICT: {'YES' if yes else 'NO'}\nEVIDENCE: {evidence}\nREASON: {reason}")


def tool(name: str, arguments: dict[str, Any]) -> Reply:
    return Reply.tool(name, arguments)
