"""What earlier steps found out: the output of the commands they ran and of their command checks.

A step that writes a number down ("write the word count to words.txt") after a step that counted
needs what was counted. The 1.5B, shown the poem but not the `wc -w` output an earlier check had
printed, wrote 3 for a six-word poem, twice. These lines are facts the runner saw, quoted; they
are also numbers the counting rule accepts (:mod:`.rules.words`).
"""

from __future__ import annotations

from smallclaw_tui.models import JournalEntry, JournalType, PlanStep, StepStatus, Task
from smallclaw_tui.runner.writes import files_written

_OUTPUT_CHARS = 200
_SHELL_RESULT = "[run_shell] exit 0\n"


def earlier_outputs(task: Task, limit: int = 3) -> list[str]:
    """ "`cmd` printed: …" for the last `limit` commands of finished steps that printed something
    and succeeded (the step's own run_shell calls and its passed command checks)."""
    done = {s.index for s in task.plan if s.status == StepStatus.DONE and s.index < task.current_step}
    commands: dict[str, str] = {}
    out: list[str] = []
    for e in task.journal:
        if e.step not in done:
            continue
        if e.type == JournalType.TOOL_CALL and e.detail.get("name") == "run_shell":
            commands[str(e.detail.get("call_id") or "")] = str(e.detail.get("command") or "")
        elif e.type == JournalType.TOOL_RESULT and e.content.startswith(_SHELL_RESULT):
            command = commands.get(str(e.detail.get("call_id") or ""), "")
            printed = " ".join(e.content[len(_SHELL_RESULT) :].split())
            if command and printed:
                out.append(_line(command, printed))
        elif e.type == JournalType.VERIFY and e.detail.get("passed") is True:
            checked, shown = e.detail.get("command"), e.detail.get("output")
            if isinstance(checked, str) and isinstance(shown, str) and shown:
                out.append(_line(checked, shown))
    return list(dict.fromkeys(out))[-limit:]


def recap_line(step: PlanStep, this_try: list[JournalEntry]) -> str:
    """A finished step for later prompts and the summary, in facts: the files its accepted try
    wrote. Not the verifier's reason: those are a small model's words, and the next step copies
    them (status-flow on the 1.5B: the verifier said "draft/status.txt has been written" of a
    write to status.txt, and the next step, shown that, edited draft/status.txt)."""
    wrote = files_written(this_try)
    what = f"wrote {', '.join(wrote)}" if wrote else "wrote no file"
    return f"step {step.index + 1} ({step.description}): done, {what}"[:300]


def _line(command: str, printed: str) -> str:
    if len(printed) > _OUTPUT_CHARS:
        printed = printed[:_OUTPUT_CHARS] + "…"
    return f"`{command}` printed: {printed}"
