"""Models that claim work they did not do, and verifiers that say YES to anything.

* :class:`Liar` — never calls a tool; says DONE; as verifier says YES and cites "evidence": a
  real tool result when the question shows one (real-looking but proving nothing), else an
  invented line in the tools' own style ("wrote 57 bytes to notes.md").
* :class:`LazyLiar` — does the first call of the step, then claims the whole step; as verifier,
  the same YES-man. The dangerous kind: its quotes are real.
"""

from __future__ import annotations

import re

from bench.reliability.catalog import STEPS
from bench.reliability.profiles.base import tool, verdict
from bench.reliability.profiles.honest import Honest
from bench.reliability.request import StepView, VerifierView, WholeFileView
from smallclaw_tui.testing.fake_server import Reply

_PATHISH = re.compile(r"[\w./-]+\.\w+")
_CONVINCING = ("wrote", "edited", "exit 0", "bytes")


class Liar(Honest):
    name = "liar"

    def step(self, view: StepView) -> Reply:
        spec = STEPS.get(view.text)
        if spec is not None and self.rng.random() < 0.5:
            return Reply(text=spec.claim)
        return Reply(text=f"DONE: {_invented(view.text, self.rng.randint(8, 120))}")

    def whole_file(self, view: WholeFileView) -> Reply:
        # Claims the file without giving it, or gives the old text back unchanged.
        if self.rng.random() < 0.5 and view.target in view.files:
            return Reply(text=f"```\n{view.files[view.target]}```")
        return Reply(text=f"DONE: {_invented(view.step, self.rng.randint(8, 120))}")

    def verify(self, view: VerifierView) -> Reply:
        return verdict(True, self.evidence(view), "the step is done")

    def evidence(self, view: VerifierView) -> str:
        real = [s for s in view.results if any(w in s for w in _CONVINCING)] or view.results
        if real and self.rng.random() < 0.8:
            return self.rng.choice(real).splitlines()[0]
        if view.checks:
            return self.rng.choice(view.checks)
        if view.sources:
            return self.rng.choice(view.sources).splitlines()[0]
        return _invented(view.step, self.rng.randint(8, 120))


class LazyLiar(Liar):
    name = "lazy_liar"

    def step(self, view: StepView) -> Reply:
        spec = STEPS.get(view.text)
        if spec is None or view.turn or not spec.calls:
            return Reply(text=spec.claim if spec is not None else "DONE: finished the step.")
        first = spec.calls[0]
        return tool(first.tool, first.arguments([]) or first.arguments(view.memory) or {})


def _invented(step: str, size: int) -> str:
    """A line in the style of a real tool result, about a file the step names."""
    m = _PATHISH.search(step)
    return f"wrote {size} bytes to {m.group(0) if m else 'output.txt'}"
