"""The declared kind fits what the try did: an append only adds at the end, a read writes nothing,
a create leaves its files behind. (Measured on Qwen2.5-Coder-1.5B: asked to add a line, it
rewrote the file with the line alone.)"""

from __future__ import annotations

from smallclaw_tui.models import StepKind
from smallclaw_tui.runner.peek import peek
from smallclaw_tui.runner.rules.base import Finding, StepFacts


class KindFits:
    name = "kind"

    async def judge(self, facts: StepFacts) -> list[Finding]:
        kind = facts.step.kind
        out: list[Finding] = []
        if kind is StepKind.APPEND:
            for c in facts.changed():
                if c.before is None:
                    continue  # appending to a file that did not exist makes it
                if c.after is not None and c.after.startswith(c.before.rstrip("\n")):
                    out.append(Finding(True, f"{c.path} keeps all it held, with the new text after it"))
                else:
                    why = f"{c.path} no longer starts with what it held; an append only adds at the end"
                    out.append(Finding(False, why))
        elif kind is StepKind.READ:
            for c in facts.changed():
                out.append(Finding(False, f"this step only reads, but {c.path} was changed"))
        elif kind is StepKind.CREATE:
            for path in facts.named_files():
                if await peek(facts.workspace, path, limit=1) is None:
                    out.append(Finding(False, f"{path} does not exist; this step creates it"))
        return out
