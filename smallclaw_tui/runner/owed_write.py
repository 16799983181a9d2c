"""Asking once, in the step's own conversation, for a file the step owes and the try left
unwritten (:mod:`.owed`), and writing the answer where the step says."""

from __future__ import annotations

import asyncio
from pathlib import PurePosixPath

from smallclaw_tui.models import ChatMessage, FileContainsCheck, JournalType, PlanStep, Role
from smallclaw_tui.runner import owed, whole_file
from smallclaw_tui.runner.checks import run_checks
from smallclaw_tui.runner.peek import peek
from smallclaw_tui.runner.recheck import missing_at_start
from smallclaw_tui.runner.shortcuts import Shortcuts
from smallclaw_tui.runner.writes import UNDONE_PATHS

# (path, text before this try, text now) of each file the try wrote: Checkpoints.attempt_changes.
Changes = list[tuple[str, str | None, str | None]]


class OwedWrite(Shortcuts):
    async def _owed_file(self, step: PlanStep, changes: Changes) -> str | None:
        """The first file the step owes that this try did not change. For a step without a kind,
        only one whose check fails now, and never one that may be an input: a file the try failed
        to read, or a file the goal names that was missing at the start and that the checks only
        ask to exist ("Read missing.txt", check: missing.txt exists), unless the model, asked in
        one word, says the step makes it. Asked for, an input that was never there would be made
        up, and the end check that catches it defeated."""
        changed = {path for path, before, after in changes if before != after}
        missing = missing_at_start(self.task.journal)
        unread = owed.failed_reads(self._this_try(step))
        made = {PurePosixPath(p).name for p, before, after in changes if before is None and after is not None}
        for path in owed.declared(step):
            if path in changed:
                continue
            if step.kind is None:
                checks = owed.file_checks(step, path)
                outcomes = await run_checks(list(checks), self.tool_ctx)
                if all(o.passed for o in outcomes) or path in unread:
                    continue
                # Unless the try made a file of that very name in another folder ("Write 'v1'
                # into plan.txt" wrote v1/plan.txt): then it is the step's output, misplaced.
                content = any(isinstance(c, FileContainsCheck) for c in checks)
                maybe_input = path in missing and not content and PurePosixPath(path).name not in made
                if maybe_input and not await self._step_makes(step, path):
                    continue
            return path
        return None

    async def _one_word(self, question: str, room: int) -> str:
        reply = await self._ask_model(
            lambda: self.client.chat(
                [
                    ChatMessage(role=Role.SYSTEM, content=owed.ROLE_SYSTEM),
                    ChatMessage(role=Role.USER, content=question),
                ],
                None,
                num_predict=room,
                think=False,
            ),
            "model error",
        )
        return reply.text.strip()

    async def _step_makes(self, step: PlanStep, path: str) -> bool:
        role = await self._one_word(owed.ask_role(step.description, path), 8)
        written = await self._one_word(owed.ask_written(step.description), 24)
        makes = owed.answered_make(role, written, path)
        said = f"{role[:20]!r}, writes {written[:40]!r}"
        await self.journal(
            JournalType.NOTE,
            f"{path} was missing at the start; the model says the step "
            + (f"makes it ({said})" if makes else f"only reads it ({said})"),
        )
        return makes

    async def _pay_owed_write(self, step: PlanStep) -> None:
        """When the try left a file the step owes unwritten, ask for its whole text and write it;
        the step is then judged as usual. Files the try made that nothing names are undone first."""
        rs = self.s.runner
        if not rs.whole_file_edits:
            return
        changes = await asyncio.to_thread(self.checkpoints.attempt_changes)
        path = await self._owed_file(step, changes)
        if path is None:
            return
        text = await peek(self.s.workspace, path, limit=rs.prompt_file_chars + 1)
        if text is not None and len(text) > rs.prompt_file_chars:
            return  # a file not shown whole cannot be answered whole
        names = owed.named(step, self.task.prompt)
        strays = {
            p for p, before, after in changes if before is None and after is not None and p not in names
        }
        undone = await asyncio.to_thread(self.checkpoints.restore_attempt, strays) if strays else []
        note = f"{path} was not written; asked for its text"
        if undone:
            note += "; undid the try's writes to files the step does not name: " + "; ".join(undone)
        await self.journal(JournalType.NOTE, note, restored=undone, **{UNDONE_PATHS: sorted(strays)})
        asked = owed.question(path, text, sorted(strays))
        await self.journal(JournalType.PROMPT, asked)
        self.progress.start(f"step {step.index + 1}: asking for {path}")
        temperature, seed = self._sampling(step)
        room = whole_file.max_tokens([text or "", *self._shown_texts(step)], self.s.llm.num_predict)
        reply, calls = await self._ask_model(
            lambda: self.session.follow_up(asked, num_predict=room, temperature=temperature, seed=seed),
            "model error",
        )
        await self.journal(JournalType.MODEL, reply[:4000])
        new = owed.text_from_calls(calls) if calls else whole_file.new_text(reply, text or "")
        if new is not None and owed.echoes(new, asked, text or ""):
            await self.journal(JournalType.NOTE, f"the answer repeats the question; {path} was not written")
            new = None
        if new is not None:
            await self._write_whole(path, text, new)

    def _shown_texts(self, step: PlanStep) -> list[str]:
        """What this try's successful tool results showed: a file made from them can be as long."""
        return [
            e.content
            for e in self._this_try(step)
            if e.type == JournalType.TOOL_RESULT and e.detail.get("ok") is True
        ]
