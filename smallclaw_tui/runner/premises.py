"""What a plan takes for granted, checked before it runs.

A planned read step whose own check already fails on a file it reads, while the file is there,
is left out of the plan: reading changes nothing, so the check could never pass, and the step
would spend its tries and send the task to the user before the steps that do the goal (suite
find-todo on the 1.5B: "Read README.txt and find the line containing 'TODO'", checked "README.txt
contains 'TODO'", for a goal about the files in src/).

A file that is not there keeps its step: a missing input is the user's to know about ("Read
report.pdf" for a goal that summarizes it), and its failure must reach them. So does a file the
goal names: then the check is the goal's own premise ("copy the line with 'v2' from notes.txt"),
and a notes.txt without 'v2' is the user's to hear about too.

A planned read step whose words name a file the goal names, which the workspace lacked and no step
of the plan writes, loses its 'read' (:func:`with_unplanned_outputs`): the plan has no other
place to make it (suite rename-key: "List all keys in keys.txt", declared a read of app.cfg). It
is then judged as a step without a kind: checked for the file, which it owes only if the model,
asked, says the step makes it, so a missing input ("Read missing.txt") is still never made up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from smallclaw_tui.models import WRITING_KINDS, Check, FileContainsCheck, FileExistsCheck, PlanStep, StepKind
from smallclaw_tui.runner.checks import CheckOutcome
from smallclaw_tui.runner.intent import names_path, paths_in
from smallclaw_tui.runner.writes import norm_path

RunChecks = Callable[[list[Check]], Awaitable[list[CheckOutcome]]]


async def _false_premise(step: PlanStep, goal: str, written: set[str], run: RunChecks) -> str | None:
    """Why the read step can never pass, or None. `written`: the files earlier steps write (the
    read may be checking their work, which is not done yet)."""
    if step.kind is not StepKind.READ:
        return None
    for check in step.checks:
        if not isinstance(check, FileContainsCheck) or names_path(goal, check.path, in_any_folder=True):
            continue
        if norm_path(check.path) in written:
            continue
        there, holds = await run([FileExistsCheck(path=check.path), check])
        if there.passed and not holds.passed:
            return f"its check {check.describe()!r} fails, and a read step cannot change {check.path}"
    return None


async def without_false_premises(
    steps: list[PlanStep], goal: str, run: RunChecks
) -> tuple[list[PlanStep], list[str]]:
    """The steps kept (renumbered), and what was left out, in words."""
    kept: list[PlanStep] = []
    dropped: list[str] = []
    written: set[str] = set()
    for step in steps:
        why = await _false_premise(step, goal, written, run)
        if why is None:
            kept.append(step.model_copy(update={"index": len(kept)}))
        else:
            dropped.append(f"step {step.description!r}: {why}")
        if step.kind in WRITING_KINDS:
            written |= {norm_path(f) for f in step.files}
    return kept, dropped


def with_unplanned_outputs(steps: list[PlanStep], missing: set[str]) -> tuple[list[PlanStep], list[str]]:
    """The steps, each read step whose words name a file of `missing` (the goal's files the
    workspace lacked) that no step writes re-declared without a kind and checked for that file;
    and what was changed, in words."""
    written = {norm_path(f) for s in steps if s.kind in WRITING_KINDS for f in s.files}
    out: list[PlanStep] = []
    notes: list[str] = []
    for step in steps:
        named = paths_in(step.description) if step.kind is StepKind.READ else []
        owes = [p for p in dict.fromkeys(map(norm_path, named)) if p in missing and p not in written]
        if not owes:
            out.append(step)
            continue
        checks = list(step.checks) + [FileExistsCheck(path=p) for p in owes]
        files = list(dict.fromkeys([*step.files, *owes]))
        out.append(step.model_copy(update={"kind": None, "checks": checks, "files": files}))
        notes.append(
            f"step {step.index + 1} ({step.description!r}) is planned as a read, but no step of the "
            f"plan writes {', '.join(owes)}, which the goal names: it is judged as a step without a kind"
        )
    return out, notes
