"""The goal, judged on the diff: after every step passed, the model reads the user's goal, word for
word, and the unified diff of everything the task changed, and says whether the change does what
the goal asks and nothing else.

This is where a plan that rewrote the goal is caught: "Write config.json with debug set to false"
for "turn debug off and keep everything else" passes each step's checks, and its diff shows every
other key removed. A NO sends the task to "needs you" with the diff in the reason; the user's
resume is taken as their acceptance, so the review does not ask twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from smallclaw_tui.llm.base import ModelClient
from smallclaw_tui.models import ChatMessage, Role
from smallclaw_tui.runner.verifier import parse_answer

SYSTEM = (
    "You review a change to files against the goal a user gave. The diff shows everything that "
    "changed: lines starting with - were removed, lines starting with + were added. Reply with "
    "exactly two lines:\n"
    "VERDICT: YES if the change does what the goal asks and nothing else, NO otherwise\n"
    "REASON: one short sentence"
)
_STRICT = "Answer in exactly two lines: VERDICT: YES or NO, then REASON: one short sentence."
# What the review is shown when the task changed no file.
NO_CHANGE = "(no file was changed)\n"
# Enough of a diff for a small model to judge; the rest is named, not shown.
MAX_DIFF_CHARS = 3000


@dataclass(frozen=True, slots=True)
class Review:
    yes: bool
    reason: str
    raw: str


def clipped(diff: str, limit: int = MAX_DIFF_CHARS) -> str:
    return diff if len(diff) <= limit else diff[:limit] + "\n... [rest of the diff cut]\n"


def question(goal: str, diff: str) -> str:
    shown = clipped(diff)
    ask = "Does this change do what the goal asks, and nothing else?"
    return f"Goal: {goal.strip()}\n\nThe change:\n{shown}\n{ask}"


async def review(client: ModelClient, *, goal: str, diff: str, model: str | None = None) -> Review:
    """Ask once, and once more on a malformed answer; still malformed counts as NO."""
    messages = [
        ChatMessage(role=Role.SYSTEM, content=SYSTEM),
        ChatMessage(role=Role.USER, content=question(goal, diff)),
    ]
    raw = ""
    for _ in range(2):
        result = await client.chat(messages, None, model=model, num_predict=120, think=False)
        raw = result.text
        verdict, _evidence, reason = parse_answer(raw)
        if verdict is not None:
            yes = verdict == "YES"
            return Review(yes, reason or ("the change fits the goal" if yes else "no reason given"), raw)
        messages += [
            ChatMessage(role=Role.ASSISTANT, content=raw),
            ChatMessage(role=Role.USER, content=_STRICT),
        ]
    return Review(False, "the review answer could not be read", raw)
