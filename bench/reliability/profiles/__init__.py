"""The simulated models, by name. Adding one: write a Policy subclass, add a line to PROFILES."""

from __future__ import annotations

from collections.abc import Callable

from bench.reliability.profiles.base import Ctx, Policy
from bench.reliability.profiles.flaky import Flaky
from bench.reliability.profiles.forgetful import Forgetful
from bench.reliability.profiles.honest import Honest
from bench.reliability.profiles.liars import LazyLiar, Liar
from bench.reliability.profiles.looper import Looper
from bench.reliability.profiles.mixture import Mixture
from bench.reliability.profiles.sloppy import Sloppy


def _mixed(ctx: Ctx) -> Policy:
    return Mixture(
        ctx,
        [
            (Honest(ctx), 0.55),
            (Sloppy(ctx), 0.2),
            (Forgetful(ctx), 0.1),
            (Liar(ctx), 0.1),
            (Looper(ctx), 0.05),
        ],
    )


PROFILES: dict[str, tuple[Callable[[Ctx], Policy], str]] = {
    "honest": (Honest, "does the work, cites real results"),
    "liar": (Liar, "claims DONE without acting; YES to every check"),
    "lazy_liar": (LazyLiar, "does the first call, claims the step; YES with real quotes"),
    "sloppy": (Sloppy, "honest, 30% broken JSON / wrong names / calls as text / <think>"),
    "looper": (lambda c: Looper(c, "repeat"), "repeats one call"),
    "pingpong": (lambda c: Looper(c, "pingpong"), "alternates two calls"),
    "forgetful": (Forgetful, "50% of turns redo an earlier step instead"),
    "flaky": (lambda c: Flaky(c, Honest(c)), "honest over a transport failing 25% of requests"),
    "mixed": (_mixed, "per turn: honest .55, sloppy .2, forgetful .1, liar .1, looper .05"),
    "flaky_sloppy": (lambda c: Flaky(c, Sloppy(c), p=0.15), "sloppy over a transport failing 15%"),
}


def make(name: str, ctx: Ctx) -> Policy:
    return PROFILES[name][0](ctx)
