"""A step that says it changes files really changes them: the files it names saw a write that
changed their text. Seen on fresh goals: a retry answered "DONE: edited pkg/__init__.py" with no
call at all, and the verifier said YES."""

from __future__ import annotations

from smallclaw_tui.models import WRITING_KINDS
from smallclaw_tui.runner.earlier import done_earlier
from smallclaw_tui.runner.rules.base import Finding, StepFacts


class NamedFilesChanged:
    name = "changed"

    async def judge(self, facts: StepFacts) -> list[Finding]:
        kind = facts.step.kind
        if kind not in WRITING_KINDS:
            return []
        changed = {c.path for c in facts.changed()}
        written = {c.path for c in facts.changes}
        named = facts.named_files()
        if not named:
            if changed:
                return [Finding(True, f"this try changed {', '.join(sorted(changed))}")]
            return [Finding(False, f"this step must change a file ({kind}), and no file changed")]
        out: list[Finding] = []
        for path in named:
            if path in changed:
                out.append(Finding(True, f"{path} was changed by this step"))
            elif path in written and (by := _done_earlier(facts, path)):
                out.append(
                    Finding(True, f"{path} already holds {by} (an earlier step of this task wrote it)")
                )
            elif path in written:
                out.append(Finding(False, f"{path} was written but holds the same text as before"))
            else:
                out.append(Finding(False, f"{path} was not written in this try; this step must change it"))
        return out


def _done_earlier(facts: StepFacts, path: str) -> str:
    now = next((c.after for c in facts.changes if c.path == path), None)
    return done_earlier(facts.task, facts.step, path, now)
