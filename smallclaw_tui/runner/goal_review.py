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
# Asked both ways, the system text is the same and the question comes last, so the second
# question reuses the server's cache of the first; only its answer differs.
SYSTEM_BOTH_WAYS = (
    "You review a change to files against the goal a user gave. The diff shows everything that "
    "changed: lines starting with - were removed, lines starting with + were added. Answer the "
    "question after the diff in exactly two lines:\n"
    "VERDICT: YES or NO\n"
    "REASON: one short sentence"
)
ASK_FITS = "Does this change do what the goal asks, and nothing else?"
# The same judgement with the other answer expected: a reviewer that says YES to whatever it is
# shown (Qwen2.5-Coder-1.5B answered a bare YES to every wrong diff of issue 12's runs) cannot
# pass both.
ASK_WRONG = (
    "Is something wrong with this change: a part of the goal it does not do, or a change the goal "
    "did not ask for?"
)
_STRICT = "Answer in exactly two lines: VERDICT: YES or NO, then REASON: one short sentence."
# What the review is shown when the task changed no file.
NO_CHANGE = "(no file was changed)\n"
UNREADABLE = "the review answer could not be read"
# Enough of a diff for a small model to judge; the rest is named, not shown.
MAX_DIFF_CHARS = 3000


@dataclass(frozen=True, slots=True)
class Review:
    yes: bool
    reason: str
    raw: str


def clipped(diff: str, limit: int = MAX_DIFF_CHARS) -> str:
    return diff if len(diff) <= limit else diff[:limit] + "\n... [rest of the diff cut]\n"


def question(goal: str, diff: str, ask: str = ASK_FITS) -> str:
    shown = clipped(diff)
    return f"Goal: {goal.strip()}\n\nThe change:\n{shown}\n{ask}"


async def review(
    client: ModelClient, *, goal: str, diff: str, model: str | None = None, both_ways: bool = False
) -> Review:
    """`both_ways`: a YES stands only if the reviewer, asked whether something is wrong with the
    same change, says NO."""
    if not both_ways:
        return await _ask(client, SYSTEM, question(goal, diff), model)
    fits = await _ask(client, SYSTEM_BOTH_WAYS, question(goal, diff, ASK_FITS), model)
    if not fits.yes:
        return fits
    wrong = await _ask(client, SYSTEM_BOTH_WAYS, question(goal, diff, ASK_WRONG), model)
    raw = f"{fits.raw}\n--- asked whether something is wrong:\n{wrong.raw}"
    if wrong.raw and wrong.yes:
        return Review(False, f"asked whether something is wrong, it said yes: {wrong.reason}", raw)
    if not wrong.yes and wrong.reason == UNREADABLE:
        return Review(False, UNREADABLE, raw)
    return Review(True, fits.reason, raw)


async def _ask(client: ModelClient, system: str, asked: str, model: str | None) -> Review:
    """Ask once, and once more on a malformed answer; still malformed counts as NO."""
    messages = [
        ChatMessage(role=Role.SYSTEM, content=system),
        ChatMessage(role=Role.USER, content=asked),
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
    return Review(False, UNREADABLE, raw)
