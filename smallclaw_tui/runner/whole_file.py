"""An edit of one small file, answered as the file's whole new text instead of a tool call.

Measured on Qwen2.5-Coder-1.5B (held-out set, the 13 goals about one existing file, temperature 0;
bench/real/TUNING.md §10): shown the file and the goal and asked for the complete new text in one
fenced block, it got 10 of 13 end states right. Through the edit tools on the same goals it got
about 5: `replace_text` with an `old` text the file does not hold, the same failing call twice,
a step narrated instead of called. The answer is plain text, so nothing of the file goes through
JSON escaping.

The runner writes the text through the `write_file` tool, so the write is checkpointed,
journaled and judged by the step rules like any other call.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from smallclaw_tui.models import PlanStep, StepKind

SYSTEM = (
    "You edit one file for a user. Reply with the complete new text of the file in one ``` block "
    "and nothing else."
)

# An append keeps its own tool (append_file measures well). A create is answered the same way,
# shown the files it may be made from ("pull the WARN lines from server.log into warnings.txt");
# one that needs a tool's answer (a count, a listing) is still held to it by the step rules.
KINDS = frozenset({StepKind.EDIT, StepKind.REPLACE, StepKind.CREATE})

# Tries answered as the whole file; a try after them goes through the tools. Sampled again at 0.7,
# the 1.5B's second whole-file answer repeated its first mistake (typo-recieve left the same
# "recieve", hosts-insert added db2 at the end again), where replace_text with `all` and
# insert_after after the db1 line are one call each.
TRIES = 2

# The last bare fence line closes the block (a markdown file may hold fences of its own); else a
# fence at the end of the last line, as small models also write it ("- receipts go to finance```").
_FENCE = re.compile(r"```[^\n`]*\n(.*)^[ \t]*```[ \t]*$", re.S | re.M)
_FENCE_ANYWHERE = re.compile(r"```[^\n`]*\n(.*?)```", re.S)


def applies(step: PlanStep, text: str | None, max_chars: int, *, sources: int = 0) -> bool:
    """Is this step answered as a whole file? One named file: for an edit or a rewrite it exists
    and is shown whole; for a create it does not exist yet, and `sources` files it can be made
    from are shown. A create with nothing to show needs what only a tool can find ("which file
    mentions TODO"): asked for the text, the 1.5B made one up (TUNING §10, suite find-todo)."""
    if step.kind not in KINDS or len(step.files) != 1 or step.attempts >= TRIES:
        return False
    if step.kind is StepKind.CREATE:
        return text is None and sources > 0
    return text is not None and len(text) <= max_chars


def _block(path: str, text: str) -> list[str]:
    return [f"The current text of {path}:", "```", text.rstrip("\n"), "```", ""]


def prompt(
    goal: str,
    step: PlanStep,
    path: str,
    text: str | None,
    feedback: str = "",
    sources: list[tuple[str, str]] | None = None,
    *,
    found: list[str] | None = None,
) -> str:
    """`text` None: `path` is to be created, from `sources` (other files the goal or step names).
    `found`: what earlier steps' commands printed (:mod:`.findings`)."""
    parts: list[str] = []
    for src, src_text in sources or []:
        parts += _block(src, src_text)
    if found:
        parts += ["Earlier steps found:", *(f"- {line}" for line in found), ""]
    parts += _block(path, text) if text is not None else [f"{path} does not exist yet.", ""]
    parts.append(f"Goal: {goal.strip()}")
    if step.description.strip() != goal.strip():
        parts.append(f"This step: {step.description.strip()}")
    if feedback:
        parts.append(f"Your last answer was not accepted: {feedback}")
    parts += ["", f"Write the complete new text of {path}."]
    if sources:
        # Held-out grab-warns on the 1.5B: "the WARN lines" came back without their timestamps,
        # and an ERROR line was rewritten as a WARN one.
        parts.append("A line taken from a file above is copied exactly as it is there, whole.")
    return "\n".join(parts)


# A reply with no block is taken as the file when most of its lines are lines of the old file (or
# of the files a new one is made from):
# the 1.5B, sampled again at 0.7, answered the edited file bare (held-out typo-recieve). Prose
# ("I replaced every recieve") shares no line with it and is still refused.
MIN_BARE_OVERLAP = 0.6


def new_text(reply: str, old: str, sources: Sequence[str] = ()) -> str | None:
    """The file text in the reply's fenced block (or the bare reply, see above), with the old
    file's final line break; None when the reply holds no file. `sources`: the files a new file is
    made from, whose lines a bare reply may copy as the old file's."""
    m = _FENCE.search(reply) or _FENCE_ANYWHERE.search(reply)
    shown = "\n".join([old, *sources])
    if m is not None:
        text = m.group(1).rstrip("\n")
    elif shown.strip() and _overlap(reply, shown) >= MIN_BARE_OVERLAP:
        # Half a fence is still not file text (the 0.5B closed a block it never opened).
        lines = reply.strip("\n").splitlines()
        while lines and lines[0].strip().startswith("```"):
            lines.pop(0)
        while lines and lines[-1].strip().startswith("```"):
            lines.pop()
        text = "\n".join(lines)
    else:
        return None
    return text + "\n" if old.endswith("\n") or not old else text


def _overlap(reply: str, old: str) -> float:
    """The share of the reply's non-blank lines that are lines of the old file."""
    lines = [ln.strip() for ln in reply.splitlines() if ln.strip()]
    known = {ln.strip() for ln in old.splitlines()}
    return sum(ln in known for ln in lines) / len(lines) if lines else 0.0


def max_tokens(shown: list[str], floor: int) -> int:
    """Room for the longest text shown and a little more: a cut-off answer would be a truncated
    file (a file made from a source, such as a backup, can be as long as the source)."""
    return max(floor, max(map(len, shown), default=0) // 2 + 128)


def changed_lines(path: str, old: str, new: str, limit: int = 800) -> str:
    """The lines the write removed and added, as diff lines, within `limit` characters."""
    lines = [
        ln.rstrip("\n")
        for ln in difflib.unified_diff(old.splitlines(True), new.splitlines(True), n=0)
        if ln.startswith(("+", "-")) and not ln.startswith(("+++", "---"))
    ]
    shown = "\n".join(lines) or "(no line changed)"
    if len(shown) > limit:
        shown = shown[:limit] + "\n…"
    return f"changed lines of {path}:\n{shown}"
