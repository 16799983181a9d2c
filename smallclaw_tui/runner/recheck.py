"""What must still hold when every step is done: each step's checks (unless a later step was
meant to change what they read), what each step wrote (unless a later step was meant to change
it), and what the goal's own words require. A forgetful small model redoing old work undoes an
earlier step by accident; this is where that is caught, before "complete".

Which later step "meant" to change a file is still read from the steps' words
(:mod:`smallclaw_tui.runner.intent`), measured on the reliability suite (bench/real/TUNING.md).
"""

from __future__ import annotations

import re
from pathlib import Path

from smallclaw_tui.models import (
    Check,
    CommandSucceedsCheck,
    FileContainsCheck,
    JournalEntry,
    JournalType,
    PlanStep,
    StepKind,
    StepStatus,
    Task,
)
from smallclaw_tui.runner.checks import implied_checks, implied_text_checks, quoted_texts, run_checks
from smallclaw_tui.runner.earlier import named_files
from smallclaw_tui.runner.intent import Intent, intent, mentions, names_path, paths_in
from smallclaw_tui.runner.peek import peek
from smallclaw_tui.runner.writes import (
    accepted_texts,
    files_written,
    first_befores,
    kept,
    norm_path,
    overlaps,
    same_key_changed,
    writes,
)
from smallclaw_tui.tools.base import ToolContext

# A declared kind says how much of its files a step may change; words are read only without one.
_KIND_INTENT = {
    StepKind.APPEND: Intent.ADD,
    StepKind.EDIT: Intent.CHANGE,
    StepKind.REPLACE: Intent.REPLACE,
    StepKind.CREATE: Intent.REPLACE,
    # A command that writes a file (`grep WARN log > warnings.txt`) writes what it outputs, whatever
    # an earlier step put there (measured: a run step after a placeholder was held to the placeholder).
    StepKind.RUN: Intent.REPLACE,
}


def _names(step: PlanStep, path: str) -> bool:
    if step.files:
        return norm_path(path) in {norm_path(f) for f in step.files}
    return names_path(step.description, path)


def _how(step: PlanStep, path: str) -> Intent | None:
    if step.kind is not None:
        return _KIND_INTENT.get(step.kind)  # a read step means to change no file
    return intent(step.description, path)


def _with_quoted(checks: list[Check], step: PlanStep, targets: set[str]) -> list[Check]:
    """`checks`, and a check for each text the step quotes in the one of `targets` it names (the
    last text only for a step that changes text)."""
    quoted = implied_text_checks(
        step.description, targets, last_only=intent(step.description) is Intent.CHANGE
    )
    return checks + [c for c in quoted if c not in checks]


# The journal detail key of the files the goal named that were missing at the start.
MISSING_AT_START = "missing_at_start"


def missing_at_start(journal: list[JournalEntry]) -> set[str]:
    """The files the goal named that were not in the workspace when the task started."""
    return {
        str(p) for e in journal if e.type == JournalType.NOTE for p in e.detail.get(MISSING_AT_START) or []
    }


_LITERAL = re.compile(r"[A-Za-z0-9_.\-]*\d[A-Za-z0-9_.\-]*")


def goal_literals(goal: str) -> list[str]:
    """Words of the goal with a digit and a letter or dot, less file names: values a change
    introduces (a host, an address, a version), not positions ("line 3") or counts."""
    out: list[str] = []
    for m in _LITERAL.finditer(goal):
        word = m.group(0).strip(".-")
        if not re.search(r"[A-Za-z.]", word) or not re.search(r"\d", word) or paths_in(word):
            continue
        out.append(word)
    return list(dict.fromkeys(out))


class EndCheck:
    def __init__(self, task: Task, workspace: Path, tool_ctx: ToolContext) -> None:
        self.task = task
        self.workspace = workspace
        self.tool_ctx = tool_ctx

    async def broken_step(self) -> tuple[int, str] | None:
        """The first step whose result no longer holds, and why."""
        for step in self.task.plan:
            checks = [c for c in self.checks_for(step) if await self.superseded(step, c) is None]
            outcomes = await run_checks(checks, self.tool_ctx)
            broken = [o.detail for o in outcomes if not o.passed and not o.needs_approval]
            # What the step wrote counts too, checks or not: a check that only asks for the file
            # to exist does not see a later "add" that overwrote it (Qwen2.5-Coder-1.5B did). A
            # file a failed check already names is not reported twice.
            failed = {
                norm_path(o.check.path)
                for o in outcomes
                if not o.passed and not isinstance(o.check, CommandSucceedsCheck)
            }
            lost = await self.lostwrites(step)
            broken += [why for why in lost if why.split(" ", 1)[0] not in failed]
            if broken:
                return step.index, "; ".join(broken)
        return None

    def checks_for(self, step: PlanStep) -> list[Check]:
        """The step's own checks (or the files its words say it produces), plus the texts it quotes
        in the one file it named and wrote — the part of a step that weak checks leave open."""
        checks: list[Check] = list(step.checks) or list(implied_checks(step.description))
        return _with_quoted(checks, step, self.written_by(step.index))

    def shown_checks(self, step: PlanStep) -> list[Check]:
        """What a try of the step will be checked on, as far as it is known before the try: its
        own checks, and the texts it quotes in the one file it names outside its quotes (which
        :meth:`checks_for` adds once the try wrote that file). For the prompt: shown only the
        plan's 'src/a.txt contains "moved to dst"', the 1.5B wrote exactly that for "the line
        'moved to dst/a.txt'" and was refused twice by a check it never saw (suite copy-file)."""
        quotes = quoted_texts(step.description)
        named = {p for p in named_files(step) if not any(p in q for q in quotes)}
        return _with_quoted(list(step.checks), step, named)

    def written_by(self, step_index: int) -> set[str]:
        """The files the step wrote, less those the runner undid as written in the wrong place."""
        return set(files_written([e for e in self.task.journal if e.step == step_index]))

    async def superseded(self, step: PlanStep, check: Check) -> str | None:
        """The later step meant to change what `check` reads, if any: its check is history now.

        A check describes the state right after its step; "write draft" then "change draft to
        final" is the plan working, not an undo. A later step counts as meaning to only when it
        wrote the file, names it in its description, and its words allow what the check lost: a
        step that only adds keeps every text an earlier step put there, and a step that changes
        parts excuses only what it changed (see `_changed_on_purpose`).
        """
        reads = (
            {norm_path(check.path)}
            if not isinstance(check, CommandSucceedsCheck)
            else {norm_path(w) for w in check.command.split()}
        )
        for later in self.task.plan[step.index + 1 :]:
            named = {p for p in self.written_by(later.index) & reads if _names(later, p)}
            if not named:
                continue
            # A command may compare the whole file: any change a later step was meant to make counts.
            if isinstance(check, CommandSucceedsCheck) or await self.changed_on_purpose(
                [later], check.path, check.text if isinstance(check, FileContainsCheck) else None
            ):
                return f"step {later.index + 1} changed {', '.join(sorted(named))}"
        return None

    def replaced_in(self, step_index: int, path: str) -> list[str]:
        return [
            str(e.detail["replaced"])
            for e in self.task.journal
            if e.step == step_index
            and e.type == JournalType.TOOL_RESULT
            and isinstance(e.detail.get("replaced"), str)
            and norm_path(str(e.detail.get("wrote") or "")) == path
        ]

    async def changed_on_purpose(self, later: list[PlanStep], path: str, text: str | None) -> bool:
        """Did one of these later steps, which wrote the file, mean to change `text` in it (or, with
        no text, the file's existence)? A step that replaces the file means anything; one that only
        adds means nothing; one that changes parts means what it names ("change 'draft' to
        'final'"), what its edits replaced, or a value under the same key (`port = 8000`)."""
        now: str | None = None
        for s in later:
            if not _names(s, path):
                continue
            how = _how(s, path)
            if how is Intent.REPLACE:
                return True
            if how is not Intent.CHANGE:
                continue
            if text is None:
                if mentions(s.description, path):  # "rename a.txt to b.txt"
                    return True
                continue
            if mentions(s.description, text):
                return True
            if any(overlaps(text, r) for r in self.replaced_in(s.index, path)):
                return True
            if now is None:
                now = await peek(self.workspace, path) or ""
            if same_key_changed(text, now):
                return True
        return False

    async def lostwrites(self, step: PlanStep) -> list[str]:
        """What the step wrote that is gone at the end, unless a later step that names the file
        was meant to change it (by the same rule as `_superseded`)."""
        last: dict[str, str] = {}
        for e in self.task.journal:
            if e.step == step.index and e.type == JournalType.TOOL_RESULT:
                last.update(writes(e))
        lost: list[str] = []
        for path, text in last.items():
            later = [s for s in self.task.plan[step.index + 1 :] if path in self.written_by(s.index)]
            if not later:
                continue
            now = await peek(self.workspace, path)
            if now is None:
                if not await self.changed_on_purpose(later, path, None):
                    lost.append(f"{path} is gone")
                continue
            for ln in text.splitlines()[:20]:
                if ln.strip() and ln not in now and not await self.changed_on_purpose(later, path, ln):
                    lost.append(f"{path} no longer contains {ln!r}")
                    break
        return lost

    async def goal_unmet(self) -> list[str]:
        """What the goal's own words require at the end, beyond the plan: the files it says to
        produce exist, and a file it says to add to still holds what it held before the task. A
        planner that drops half the goal, or rewords "add" as "write", is caught here (seen with
        Qwen2.5-Coder-1.5B: a one-step plan that only searched; "Write the header line" for "Add")."""
        goal = self.task.prompt
        written = {p for step in self.task.plan for p in self.written_by(step.index)}
        outcomes = await run_checks(list(implied_checks(goal)), self.tool_ctx)
        unmet = [
            o.detail
            for o in outcomes
            if not o.passed
            and not o.needs_approval
            # "a greetings folder with hello.txt": the goal did not say where hello.txt goes.
            and not any(w.endswith("/" + o.check.path) for w in written if hasattr(o.check, "path"))
        ]
        firsts = first_befores(self.task.journal)
        unmet += await self._never_made(written)
        unmet += await self._literals_missing(written, firsts)
        for path, before in firsts.items():
            if before is None or not names_path(goal, path) or intent(goal, path) is not Intent.ADD:
                continue
            now = await peek(self.workspace, path) or ""
            if not kept(before, now):
                unmet.append(f"the goal adds to {path}, but it no longer holds what it held before")
        return unmet

    async def _literals_missing(self, written: set[str], firsts: dict[str, str | None]) -> list[str]:
        """The goal's new literals that no file the task wrote holds at the end: a name or number
        with a digit and a letter or dot ("db2", "10.0.0.12", "2.0.0"), not a file name, that no
        file held before the task. Held-out hosts-insert on the 1.5B: "put db2 10.0.0.12 right under
        the db1 line" ended as `db1 10.0.0.12`, every rule passed (the db1 line is where the goal
        points) and so did the review. A value an accepted step wrote counts, gone or not: "take
        plan.txt from v1 to v2" wrote v1 and then moved on from it (suite plan-versions)."""
        before = "\n".join(t for t in firsts.values() if t)
        wanted = [t for t in goal_literals(self.task.prompt) if t not in before]
        if not wanted or not written:
            return []
        done = {s.index for s in self.task.plan if s.status == StepStatus.DONE}
        now = "\n".join([await peek(self.workspace, p) or "" for p in sorted(written)])
        now += "\n" + "\n".join(accepted_texts(self.task.journal, done))
        return [
            f"the goal names {t!r}, and no file the task changed holds it" for t in wanted if t not in now
        ]

    async def _never_made(self, written: set[str]) -> list[str]:
        """Files the goal names that were missing at the start and still are, and that no step
        wrote under any folder: an input that never existed, not an output."""
        out = []
        for path in sorted(missing_at_start(self.task.journal)):
            if await peek(self.workspace, path, limit=1) is not None:
                continue
            if any(w == path or w.endswith("/" + path) for w in written):
                continue
            out.append(f"the goal names {path}, which is not in the workspace, and no step made it")
        return out
