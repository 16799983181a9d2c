"""A step that says it changes files really changes them: the files it names saw a write that
changed their text. Seen on fresh goals: a retry answered "DONE: edited pkg/__init__.py" with no
call at all, and the verifier said YES."""

from __future__ import annotations

import re

from smallclaw_tui.models import WRITING_KINDS
from smallclaw_tui.runner.rules.base import Finding, StepFacts
from smallclaw_tui.runner.writes import first_befores

# What a step's words give literally: quoted texts and numbers. Not its verbs.
_QUOTED = re.compile(r"""'([^'\n]+)'|"([^"\n]+)"|`([^`\n]+)`""")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)*(?![\w.])")


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


def _literals(description: str) -> list[str]:
    quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(description)]
    return list(dict.fromkeys(quoted + _NUMBER.findall(_QUOTED.sub(" ", description))))


def _done_earlier(facts: StepFacts, path: str) -> str:
    """The step's literals, when the file now holds every one and an earlier step of this task
    put at least one there; else "". Small models do two steps at once: the 1.5B, asked to rename
    a key, also raised the timeout, and the next step ("Raise the timeout to 60") could only answer
    the file as it was, and was refused twice (suite rename-key)."""
    now = next((c.after for c in facts.changes if c.path == path), None)
    # Only a file an earlier step wrote: what it held before the task's first write to it.
    starts = first_befores(facts.task.journal, before_step=facts.task.current_step)
    start = (starts[path] or "") if path in starts else None
    literals = _literals(facts.step.description)
    if now is None or start is None or not literals or not all(t in now for t in literals):
        return ""
    if all(t in start for t in literals):
        return ""
    return ", ".join(repr(t) for t in literals)
