"""Is the step done? The step's checks, the rules (:mod:`.rules`), then the verifier's YES with
evidence; and what follows: advance to the next step, or undo the try and sample it again."""

from __future__ import annotations

import asyncio

from smallclaw_tui.agent.loop_guard import LoopGuard
from smallclaw_tui.models import (
    JournalType,
    PlanStep,
    StepStatus,
    utcnow,
)
from smallclaw_tui.runner import verifier
from smallclaw_tui.runner.checks import run_checks
from smallclaw_tui.runner.earlier import held_already, named_files
from smallclaw_tui.runner.events import (
    StepAdvanced,
    Verification,
)
from smallclaw_tui.runner.exec_base import ExecutorBase
from smallclaw_tui.runner.findings import recap_line
from smallclaw_tui.runner.peek import peek
from smallclaw_tui.runner.rules import FileChange, Finding, StepFacts, judge_step
from smallclaw_tui.runner.writes import try_start


class Judging(ExecutorBase):
    async def _rule_outcomes(self, step: PlanStep) -> list[Finding]:
        """What the rules in :mod:`smallclaw_tui.runner.rules` find about this try."""
        entries = self._journal_of(step)
        changes = await asyncio.to_thread(self.checkpoints.attempt_changes)
        facts = StepFacts(
            task=self.task,
            step=step,
            workspace=self.s.workspace,
            entries=entries,
            this_try=entries[try_start(entries) :],
            changes=[FileChange(path, before, after) for path, before, after in changes],
        )
        return await judge_step(facts)

    async def _written_now(self, step: PlanStep, limit: int = 3) -> list[tuple[str, str | None]]:
        """The files the step wrote (at most `limit`), as they are now."""
        out: list[tuple[str, str | None]] = []
        for path in sorted(self.end.written_by(step.index))[:limit]:
            out.append((path, await peek(self.s.workspace, path)))
        return out

    def _results(self, step: PlanStep) -> list[verifier.Evidence]:
        """The step's tool results, each with the call that produced it, labelled for the verifier.

        Only a successful result can support a YES: a failed one proves only that something did
        not happen. A call is shown beside its result (what was written, where) and counts only
        through that result; a call with no result yet (in flight at a crash) is not shown.
        """
        calls: dict[str, str] = {}
        pairs: list[tuple[str, str, bool]] = []
        entries = self._journal_of(step)
        this_try = try_start(entries)
        for i, e in enumerate(entries):
            call_id = str(e.detail.get("call_id") or "")
            if e.type == JournalType.TOOL_CALL:
                calls[call_id] = e.content
            elif e.type == JournalType.TOOL_RESULT:
                ok = e.detail.get("ok") is True
                # Failures of earlier tries are history: shown, a small verifier reads them as
                # "the step failed" even when this try fixed it (Qwen2.5-Coder-1.5B did).
                if ok or i >= this_try:
                    pairs.append((calls.pop(call_id, ""), e.content, ok))
        return verifier.result_lines(pairs)

    async def _verify(self, step: PlanStep, claim: str) -> None:
        mode = self.s.runner.verification
        if mode == "off":
            await self._advance(step, "accepted without verification (verification is off)")
            return
        check_lines: list[verifier.Evidence] = []
        checks = self.end.checks_for(step) if mode == "checks_evidence" else []
        # The runner's own advice followed: the rules judge what a try changed, and this one changed
        # nothing, so only the step's checks are left to hold.
        did = await self._held_as_advised(step) if mode == "checks_evidence" else ""
        rules = await self._rule_outcomes(step) if mode == "checks_evidence" and not did else []
        self.task.resume_context.already_held = any(f.already_held and not f.passed for f in rules)
        if checks or rules:
            outcomes = await run_checks(checks, self.tool_ctx)
            for o in outcomes:
                await self.journal(
                    JournalType.VERIFY,
                    f"check {'passed' if o.passed else 'FAILED'}: {o.detail}",
                    kind=o.check.kind,
                    passed=o.passed,
                    **o.printed(),
                )
            for f in rules:
                await self.journal(
                    JournalType.VERIFY, f"check {'passed' if f.passed else 'FAILED'}: {f.detail}", kind="rule"
                )
            approval = next((o.needs_approval for o in outcomes if o.needs_approval), None)
            if approval is not None:
                await self.needs_assistance(
                    f"a check wants to run a command that needs approval: {approval}", pending=approval
                )
            failed = [o.detail for o in outcomes if not o.passed] + [f.detail for f in rules if not f.passed]
            if failed:
                await self._reject(step, "check failed: " + "; ".join(failed))
                return
            check_lines = verifier.check_lines([o.detail for o in outcomes] + [f.detail for f in rules])
        if did:
            await self.journal(JournalType.VERIFY, f"check passed: {did}", kind="rule")
            await self._advance(step, did)
            return
        results = self._results(step)
        if mode == "checks_evidence" and not any(r.ok for r in results) and not check_lines:
            # Nothing could support a YES: spare the model the question.
            await self.journal(
                JournalType.VERIFY, "not verified: no successful tool result or check in this step"
            )
            await self._reject(step, "no tool call in this step succeeded, so nothing shows the step is done")
            return
        files = verifier.file_lines(await self._written_now(step))
        self.progress.start(f"verifying step {step.index + 1}")
        verdict = await self._ask_model(
            lambda: verifier.ask(
                self.client,
                model=self.s.llm.verifier_model,
                step=step.description,
                results=results,
                files=files,
                claim=claim,
                checks=check_lines,
                require_evidence=mode == "checks_evidence",
                asker=self._verify_asker(),
            ),
            "model error while verifying",
        )
        await self.journal(
            JournalType.VERIFY,
            f"verifier {'YES' if verdict.yes else 'NO'}: {verdict.reason}",
            evidence=verdict.evidence[:500],
            raw=verdict.raw[:1000],
            passed=verdict.yes,
        )
        if verdict.yes:
            quote = " ".join(verdict.evidence.split())[:120]
            await self._advance(step, verdict.reason + (f" (evidence: {quote})" if quote else ""))
        else:
            await self._reject(step, verdict.reason)

    def _verify_asker(self) -> verifier.Asker | None:
        """Where the verifier's question goes (None: a fresh prompt of its own). Both other
        places are the worker model's conversations, so a verifier model of its own is asked
        apart."""
        rs = self.s.runner
        if self.s.llm.verifier_model:
            return None
        if rs.verify_in_step:
            return self.verify_asker
        return self.shared_asker if rs.verify_shared_prefix else None

    async def _held_as_advised(self, step: PlanStep) -> str:
        """After a try refused because what it added was already there (and told to reply DONE
        without writing), a try that changed no file: the named file that holds every literal of
        the step (:mod:`.earlier`), in words; else "". Asked instead, the verifier saw no write
        and said NO (suite readme)."""
        if not self.task.resume_context.already_held:
            return ""
        if await asyncio.to_thread(self.checkpoints.attempt_changed):
            return ""
        for path in named_files(step):
            if by := held_already(step, await peek(self.s.workspace, path)):
                return f"{path} already holds {by}, as the last try found; nothing to add"
        return ""

    async def _advance(self, step: PlanStep, reason: str) -> None:
        task, rc = self.task, self.task.resume_context
        self.deps.bus.publish(Verification(task.id, step.index, True, reason))
        step.status = StepStatus.DONE
        step.completed_at = utcnow()
        entries = self._journal_of(step)
        rc.recap.append(recap_line(step, entries[try_start(entries) :]))
        rc.verifier_feedback = ""
        rc.already_held = False
        rc.step_rounds = 0
        rc.user_notes = []
        await asyncio.to_thread(self.checkpoints.end_attempt)
        # The next step still open (after a reopened step, the later ones may already be done).
        task.current_step = next(
            (s.index for s in task.plan if s.index > step.index and s.status != StepStatus.DONE),
            len(task.plan),
        )
        self.guard = LoopGuard(self.s.agent)  # a new step may legitimately repeat earlier calls
        self.session = self._make_session()
        await self.save()
        if task.active_step is None:
            # The loop announces each step as it activates it; the end has no step to activate.
            self.deps.bus.publish(StepAdvanced(task.id, task.current_step, "all steps done", all_done=True))

    async def _reject(self, step: PlanStep, reason: str) -> None:
        rs, rc = self.s.runner, self.task.resume_context
        self.deps.bus.publish(Verification(self.task.id, step.index, False, reason))
        step.attempts += 1
        rc.verifier_feedback = reason
        if step.attempts >= rs.max_step_attempts:
            await self.needs_assistance(
                f"step {step.index + 1} was not verified after {step.attempts} attempts: {reason}"
            )
        # The next try starts from the files as they were before this one: built on a wrong try,
        # it would inherit the damage (a wiped file stays wiped) and be judged against it.
        await self._restore_attempt("the try was not accepted")
        await self.journal(JournalType.RETRY, f"step {step.index + 1} not accepted ({reason}); trying again")
        await self.save()
