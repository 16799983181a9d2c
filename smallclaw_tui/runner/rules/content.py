"""What a write left in a file, judged without reading the step's words.

- A step that makes or rewrites a file leaves something in it. Measured on Qwen2.5-Coder-1.5B: a
  "copy settings.json to settings.json.bak" and a "download … into reports/" each created an empty
  file and said DONE; a check that the file exists passed both.
- Text added at the end that the file already held adds nothing. Measured: asked to add a line that
  step 1 had already written, the 1.5B appended it a second time, and its check (the line is there)
  passed before and after.
"""

from __future__ import annotations

from smallclaw_tui.models import StepKind
from smallclaw_tui.runner.rules.base import Finding, StepFacts


class NotLeftEmpty:
    name = "empty"

    async def judge(self, facts: StepFacts) -> list[Finding]:
        if facts.step.kind not in (StepKind.CREATE, StepKind.REPLACE):
            return []
        return [
            Finding(False, f"{c.path} is empty after this step; it should hold what the step makes")
            for c in facts.changed()
            if c.after is not None and not c.after.strip()
        ]


class AppendAddsSomething:
    name = "repeat"

    async def judge(self, facts: StepFacts) -> list[Finding]:
        out: list[Finding] = []
        for c in facts.changed():
            if not c.before or c.after is None or not c.after.startswith(c.before):
                continue
            added = [ln.strip() for ln in c.after[len(c.before) :].splitlines() if ln.strip()]
            held = {ln.strip() for ln in c.before.splitlines()}
            if added and all(ln in held for ln in added):
                out.append(
                    Finding(
                        False,
                        f"the text added to {c.path} was already there ({added[0]!r}); "
                        "if the file already holds what the step asks, reply DONE without writing",
                        already_held=True,
                    )
                )
        return out
