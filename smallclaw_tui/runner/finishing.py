"""The end of a task: earlier steps re-checked, the goal judged on the diff, the summary written
and delivered."""

from __future__ import annotations

import asyncio

from smallclaw_tui.llm.base import LLMError
from smallclaw_tui.models import (
    ChatMessage,
    JournalType,
    Role,
    TaskStatus,
)
from smallclaw_tui.runner import goal_review
from smallclaw_tui.runner.delivery import completion_message
from smallclaw_tui.runner.events import (
    TaskCompleted,
)
from smallclaw_tui.runner.exec_base import ExecutorBase, Unreachable
from smallclaw_tui.runner.prompts import fallback_summary, summary_prompt


class Finishing(ExecutorBase):
    async def _final_recheck(self) -> None:
        """Before calling the task complete, run earlier steps' checks again and check the goal's
        own requirements (:class:`~smallclaw_tui.runner.recheck.EndCheck`). A broken result pauses
        the task with the reason; it does not reopen the step, since redoing it on top of later
        work would do more damage."""
        if self.s.runner.verification != "checks_evidence":
            return
        broken = await self.end.broken_step()
        if broken is not None:
            index, why = broken
            await self.journal(JournalType.VERIFY, f"final re-check of step {index + 1} FAILED: {why}")
            await self.needs_assistance(
                f"step {index + 1}'s result no longer holds at the end ({why}); "
                "a later step changed it. Check the files, then resume or cancel"
            )
        unmet = await self.end.goal_unmet()
        if unmet:
            why = "; ".join(unmet)
            await self.journal(JournalType.VERIFY, f"final check of the goal FAILED: {why}")
            await self.needs_assistance(
                f"every step was verified, but the goal is not met ({why}); "
                "the plan may have missed part of it. Add a step or resume with a note"
            )

    async def _goal_review(self) -> None:
        """The goal, judged on the diff of everything the task changed (:mod:`.goal_review`)."""
        rc = self.task.resume_context
        if not self.s.runner.goal_review or self.s.runner.verification != "checks_evidence":
            return
        if rc.goal_reviewed:
            return  # the review said NO, the user looked and resumed: their call stands
        diff = await asyncio.to_thread(self.checkpoints.diff)
        if not diff.strip():
            # Asked too: a plan of two "read" steps for "fix the typo everywhere" changed nothing
            # and completed (Qwen2.5-Coder-1.5B, held-out typo-recieve).
            diff = goal_review.NO_CHANGE
        self.progress.start("reviewing the goal")
        verdict = await self._ask_model(
            lambda: goal_review.review(
                self.client, goal=self.task.prompt, diff=diff, model=self.s.llm.verifier_model
            ),
            "model error while reviewing the goal",
        )
        await self.journal(
            JournalType.VERIFY,
            f"goal review {'YES' if verdict.yes else 'NO'}: {verdict.reason}",
            raw=verdict.raw[:1000],
            passed=verdict.yes,
            diff=diff[:4000],
        )
        if not verdict.yes:
            rc.goal_reviewed = True
            await self.needs_assistance(
                f"every step passed, but the change may not be what the goal asks ({verdict.reason}). "
                "Look at the diff; resume to accept it, or `task undo` to put the files back.\n"
                + goal_review.clipped(diff)
            )

    async def _complete(self) -> None:
        task = self.task
        summary = ""
        self.progress.start("summarizing")
        try:
            result = await self._with_retries(
                lambda: self.client.chat(
                    [
                        ChatMessage(role=Role.SYSTEM, content="You write short, factual summaries."),
                        ChatMessage(role=Role.USER, content=summary_prompt(task)),
                    ],
                    None,
                    num_predict=300,
                    think=False,
                )
            )
            summary = result.text.strip()
        except (Unreachable, LLMError) as e:
            await self.journal(JournalType.ERROR, f"summary call failed ({e}); using the step recap")
        # The summary takes a while on a small model; a pause or cancel asked for meanwhile
        # still wins over "complete".
        await self._honour_requests()
        summary = summary or fallback_summary(task)
        limit = self.s.runner.summary_max_chars
        task.final_summary = summary if len(summary) <= limit else summary[: limit - 1] + "…"
        task.pending_approval = None
        task.transition(TaskStatus.COMPLETE)
        await self.journal(JournalType.NOTE, "complete")
        await self.save()
        self.deps.bus.publish(TaskCompleted(task.id, task.final_summary))
        await self._deliver(completion_message(task))
