"""An edit changes part of a file: one that deletes most of it did something else (a rewrite with
only the new part, a truncation)."""

from __future__ import annotations

from smallclaw_tui.models import StepKind
from smallclaw_tui.runner.rules.base import Finding, StepFacts

# Below this a file is too small for a share to mean much ("a\nb\n" → "a\n" halves it).
MIN_CHARS = 120
# An edit that leaves less than this share of the file is taken as destroying it.
MIN_KEPT = 0.5


class SizeSane:
    name = "size"

    async def judge(self, facts: StepFacts) -> list[Finding]:
        if facts.step.kind is not StepKind.EDIT:
            return []
        out: list[Finding] = []
        for c in facts.changed():
            if c.before is None or len(c.before) < MIN_CHARS:
                continue
            after = len(c.after or "")
            if after < MIN_KEPT * len(c.before):
                out.append(
                    Finding(
                        False,
                        f"the edit left {after} of the {len(c.before)} characters of {c.path}; "
                        "an edit changes part of a file, it does not delete most of it",
                    )
                )
        return out
