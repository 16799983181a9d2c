"""The rules that judge a step, one small named rule a module, in the order they run.

Each rule looks at :class:`~.base.StepFacts` and returns findings; any failed finding rejects the
try (its restored files and one line of why go into the next try). The step's own checks run
before these, and the evidence-citing verifier after them.
"""

from __future__ import annotations

from smallclaw_tui.runner.rules.base import FileChange, Finding, Rule, StepFacts
from smallclaw_tui.runner.rules.changed import NamedFilesChanged
from smallclaw_tui.runner.rules.content import AppendAddsSomething, NotLeftEmpty
from smallclaw_tui.runner.rules.framing import ToolFramingNotContent
from smallclaw_tui.runner.rules.goal_diff import EditWhereTheGoalPoints
from smallclaw_tui.runner.rules.kind import KindFits
from smallclaw_tui.runner.rules.parses import StillParses
from smallclaw_tui.runner.rules.size import SizeSane
from smallclaw_tui.runner.rules.stitched import CopiedLinesWhole
from smallclaw_tui.runner.rules.words import AddOnlyUndeclared, NumbersFromResults, QuotedTextShown

RULES: tuple[Rule, ...] = (
    NamedFilesChanged(),
    KindFits(),
    NotLeftEmpty(),
    ToolFramingNotContent(),
    CopiedLinesWhole(),
    AppendAddsSomething(),
    StillParses(),
    SizeSane(),
    EditWhereTheGoalPoints(),
    AddOnlyUndeclared(),
    NumbersFromResults(),
    QuotedTextShown(),
)


async def judge_step(facts: StepFacts, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    return [finding for rule in rules for finding in await rule.judge(facts)]


__all__ = ["RULES", "FileChange", "Finding", "Rule", "StepFacts", "judge_step"]
