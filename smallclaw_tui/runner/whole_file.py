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

import re

from smallclaw_tui.models import PlanStep, StepKind

SYSTEM = (
    "You edit one file for a user. Reply with the complete new text of the file in one ``` block "
    "and nothing else."
)

# Only kinds that may rewrite the file: an append keeps its own tool (append_file measures well),
# and a create may need a tool's answer first (a count, a listing).
KINDS = frozenset({StepKind.EDIT, StepKind.REPLACE})

_FENCE = re.compile(r"```[^\n`]*\n(.*?)^[ \t]*```", re.S | re.M)


def applies(step: PlanStep, text: str | None, max_chars: int) -> bool:
    """Is this step answered as a whole file? One named file that exists and is shown whole."""
    return step.kind in KINDS and len(step.files) == 1 and text is not None and len(text) <= max_chars


def prompt(goal: str, step: PlanStep, path: str, text: str, feedback: str = "") -> str:
    parts = [f"The current text of {path}:", "```", text.rstrip("\n"), "```", "", f"Goal: {goal.strip()}"]
    if step.description.strip() != goal.strip():
        parts.append(f"This step: {step.description.strip()}")
    if feedback:
        parts.append(f"Your last answer was not accepted: {feedback}")
    parts += ["", f"Write the complete new text of {path}."]
    return "\n".join(parts)


def new_text(reply: str, old: str) -> str | None:
    """The file text in the reply's fenced block, with the old file's final line break; None when
    the reply holds no block."""
    m = _FENCE.search(reply)
    if m is None:
        return None
    text = m.group(1).rstrip("\n")
    return text + "\n" if old.endswith("\n") or not old else text


def max_tokens(text: str, floor: int) -> int:
    """Room for the whole file and a little more: a cut-off answer would be a truncated file."""
    return max(floor, len(text) // 2 + 128)
