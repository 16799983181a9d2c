"""Asking once, in the step's own conversation, for a file the step owes and the try left
unwritten (:mod:`.owed`), and writing the answer where the step says."""

from __future__ import annotations

import asyncio

from smallclaw_tui.models import JournalType, PlanStep
from smallclaw_tui.runner import owed, whole_file
from smallclaw_tui.runner.checks import run_checks
from smallclaw_tui.runner.peek import peek
from smallclaw_tui.runner.recheck import UNDONE_PATHS
from smallclaw_tui.runner.shortcuts import Shortcuts


class OwedWrite(Shortcuts):
    async def _owed_file(self, step: PlanStep) -> str | None:
        """The first file the step owes that this try did not change (for a step without a kind,
        only one whose check fails now)."""
        changes = await asyncio.to_thread(self.checkpoints.attempt_changes)
        changed = {path for path, before, after in changes if before != after}
        for path in owed.declared(step):
            if path in changed:
                continue
            if step.kind is None:
                outcomes = await run_checks(list(owed.file_checks(step, path)), self.tool_ctx)
                if all(o.passed for o in outcomes):
                    continue
            return path
        return None

    async def _pay_owed_write(self, step: PlanStep) -> None:
        """When the try left a file the step owes unwritten, ask for its whole text and write it;
        the step is then judged as usual. Files the try made that nothing names are undone first."""
        rs = self.s.runner
        if not rs.whole_file_edits:
            return
        path = await self._owed_file(step)
        if path is None:
            return
        text = await peek(self.s.workspace, path, limit=rs.prompt_file_chars + 1)
        if text is not None and len(text) > rs.prompt_file_chars:
            return  # a file not shown whole cannot be answered whole
        names = owed.named(step, self.task.prompt)
        changes = await asyncio.to_thread(self.checkpoints.attempt_changes)
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
        temperature, seed = self._sampling(step)
        room = whole_file.max_tokens([text or "", *self._shown_texts(step)], self.s.llm.num_predict)
        reply, calls = await self._ask_model(
            lambda: self.session.follow_up(asked, num_predict=room, temperature=temperature, seed=seed),
            "model error",
        )
        await self.journal(JournalType.MODEL, reply[:4000])
        new = whole_file.new_text(reply, text or "")
        if new is None:
            new = owed.text_from_calls(calls, path)
        if new is not None:
            await self._write_whole(path, text, new)

    def _shown_texts(self, step: PlanStep) -> list[str]:
        """What this try's successful tool results showed: a file made from them can be as long."""
        return [
            e.content
            for e in self._journal_of(step)
            if e.type == JournalType.TOOL_RESULT and e.detail.get("ok") is True
        ]
