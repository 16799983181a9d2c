"""What the runner says to the model. Short and stable: a 4B model reads every word, every round."""

from __future__ import annotations

from collections.abc import Sequence

from smallclaw_tui.models import Check, JournalEntry, JournalType, StepKind, StepStatus, Task
from smallclaw_tui.runner.findings import earlier_outputs

TASK_SYSTEM = (
    "You are a careful assistant doing one step of a task in a workspace, using the tools. "
    "Paths are relative to the workspace. Do only the current step. Call tools to do real work; "
    "never just describe what you would do. When the current step is really done, reply with "
    "'DONE:' and one sentence saying what you did. If you cannot do it, reply 'BLOCKED:' and why. "
    "Your work is checked; claiming work you did not do fails the step."
)

_MARK = {
    StepStatus.DONE: "[x]",
    StepStatus.SKIPPED: "[-]",
    StepStatus.ACTIVE: "[>]",
    StepStatus.PENDING: "[ ]",
}


# The tool that fits a declared kind: a small model picks write_file for everything, and a
# write_file on an existing file replaces what it held.
_HOW = {
    StepKind.CREATE: "Make the file with write_file.",
    StepKind.APPEND: "Add at the end with append_file; keep what the file holds.",
    StepKind.EDIT: (
        "Change only that part: replace_text or insert_after (copy the text exactly from the file "
        "shown below), or write_file with the whole new text; keep the rest as it is."
    ),
    StepKind.REPLACE: "Rewrite the whole file with write_file and overwrite: true.",
    StepKind.READ: "Only look (read_file, list_dir, search_files); change nothing.",
    StepKind.RUN: "Run the command with run_shell.",
}


def _tool_lines(entries: list[JournalEntry], max_chars: int) -> list[str]:
    """The most recent tool results, newest last, within a character budget. Line breaks are kept:
    a model that copies file text from a result into an edit needs them exactly."""
    lines: list[str] = []
    used = 0
    for e in reversed(entries):
        if e.type != JournalType.TOOL_RESULT:
            continue
        text = e.content.strip()
        if len(text) > 600:
            text = text[:600] + f"\n… [{len(text) - 600} chars cut]"
        if used + len(text) > max_chars:
            break
        lines.append(f"- {text}")
        used += len(text)
    return list(reversed(lines))


def file_block(path: str, text: str | None, max_chars: int) -> list[str]:
    """A file's current text for the prompt, whole lines only, or a line saying it is missing."""
    if text is None:
        return [f"{path} does not exist yet."]
    if not text:
        return [f"{path} is empty."]
    if len(text) > max_chars:
        # `text` may be only the start of the file (read up to just past the budget): how much
        # more there is is not known here, so none is claimed.
        shown = text[:max_chars].rsplit("\n", 1)[0]
        return [f"The start of {path} (the rest is not shown):", shown.rstrip("\n"), "…"]
    # No delimiters around the text: the 1.5B copied "<<<" and ">>>" into the file it rewrote
    # (held-out alphabetize). The line count says where the text ends.
    lines = text.count("\n") + (not text.endswith("\n"))
    return [f"The current text of {path} ({lines} line{'s' if lines != 1 else ''}):", text.rstrip("\n")]


def _since_last_retry(entries: list[JournalEntry]) -> list[JournalEntry]:
    last = max((i for i, e in enumerate(entries) if e.type == JournalType.RETRY), default=-1)
    return entries[last + 1 :]


def needs_a_call(task: Task) -> bool:
    """Has this try of the step nothing to show yet? (No tool result in the step, or none since
    its last rejection.) Then the model must call a tool before a DONE can mean anything."""
    entries = [e for e in task.journal if e.step == task.current_step]
    if task.resume_context.verifier_feedback:
        entries = _since_last_retry(entries)
    return not any(e.type == JournalType.TOOL_RESULT for e in entries)


def nudge(task: Task) -> str:
    """Said once in the same turn when the model answers such a try without calling a tool."""
    return (
        f"You called no tool, so nothing is done yet. Call the tool that does step "
        f"{task.current_step + 1} now."
    )


def step_prompt(
    task: Task,
    *,
    recent_chars: int = 1500,
    files: list[tuple[str, str | None]] | None = None,
    file_chars: int = 2000,
    checks: Sequence[Check] | None = None,
) -> str:
    """The prompt of one round of the current step. `files`: the files the step names, with their
    current text (None: missing), shown whole within `file_chars` each so that an edit can copy
    its anchor from there instead of guessing it. `checks`: what the runner will check (default:
    the step's own checks)."""
    step = task.active_step
    assert step is not None
    n, total = task.current_step + 1, len(task.plan)
    rc = task.resume_context
    parts = [f"Goal: {task.prompt.strip()}", "", "Plan:"]
    parts += [f"{_MARK[s.status]} {s.index + 1}. {s.description}" for s in task.plan]
    parts += ["", f"Current step ({n} of {total}): {step.description}"]
    if step.kind is not None:
        parts.append(_HOW[step.kind])
    shown = step.checks if checks is None else checks
    if shown:
        # Not "Done when: command X succeeds": small models then run the check instead of the step.
        parts.append(
            "Afterwards the runner checks (do not run these yourself): "
            + "; ".join(c.describe() for c in shown)
        )
    if rc.recap:
        parts += ["", "Earlier steps:", *(f"- {r}" for r in rc.recap[-4:])]
    found = earlier_outputs(task)
    if found:
        parts += ["", "Earlier steps found:", *(f"- {line}" for line in found)]
    if rc.user_notes:
        parts += ["", "Notes from the user:", *(f"- {note}" for note in rc.user_notes[-3:])]
    if rc.verifier_feedback:
        parts += ["", f"Your last attempt at this step was not accepted: {rc.verifier_feedback}"]
    if rc.in_flight_tool_call is not None:
        c = rc.in_flight_tool_call
        parts += [
            "",
            f"Warning: the runner stopped while {c.name} {c.arguments} was running; its outcome "
            "is unknown. Check the result before repeating it.",
        ]
    for path, text in files or []:
        parts += ["", *file_block(path, text, file_chars)]
    entries = [e for e in task.journal if e.step == task.current_step]
    # A rejected try's writes were undone: its results describe files that no longer look so.
    recent = _tool_lines(_since_last_retry(entries), recent_chars)
    if recent:
        parts += ["", "Tool results so far in this step:", *recent]
    # After a rejection the old results are not listed (their writes were undone): listed, a
    # small model read them as done and said DONE again (Qwen2.5-Coder-1.5B did, every time).
    if recent:
        parts += [
            "",
            f"If these results show step {n} is done, reply DONE: and what you did; else call the next tool.",
        ]
    else:
        # Measured on Qwen2.5-Coder 0.5B/1.5B: "do it, then reply DONE" gets a bare DONE with no
        # tool call; asking for the call alone gets the call (docs/benchmarks.md, real models).
        parts += ["", f"Call the tool that does step {n} now."]
    return "\n".join(parts)


def summary_prompt(task: Task) -> str:
    lines = [f"Goal: {task.prompt.strip()}", "", "Steps done:"]
    lines += [f"- {r}" for r in task.resume_context.recap]
    lines += ["", "Write a 2-4 sentence summary for the user of what was done. Plain text, no preamble."]
    return "\n".join(lines)


def fallback_summary(task: Task) -> str:
    done = "; ".join(task.resume_context.recap) or "all steps verified"
    return f"Completed {len(task.plan)} step(s): {done}"
