"""Running one task: plan, rounds through the shared chat loop, verification, and every way out.

The executor is the only writer of its task while it runs. Every tool call and result is journaled
(and the task saved) as it happens, so a `kill -9` loses at most the call in flight, which the next
start reports as "outcome unknown".
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from smallclaw_tui.agent.events import (
    ContextInfo,
    LoopNotice,
    Nudged,
    TextChunk,
    ToolFinished,
    ToolStarted,
    TurnEvent,
    UsageInfo,
)
from smallclaw_tui.agent.loop_guard import LoopGuard
from smallclaw_tui.agent.session import ChatSession, TurnResult
from smallclaw_tui.llm.base import LLMError, ModelClient, TransportError
from smallclaw_tui.models import (
    ChatMessage,
    JournalEntry,
    JournalType,
    PendingApproval,
    PlanStep,
    Role,
    StepStatus,
    Task,
    TaskStatus,
    utcnow,
)
from smallclaw_tui.runner import goal_review, planner, prompts, verifier
from smallclaw_tui.runner.backoff import delays
from smallclaw_tui.runner.checkpoints import Checkpoints
from smallclaw_tui.runner.checks import run_checks
from smallclaw_tui.runner.control import TaskControl
from smallclaw_tui.runner.delivery import completion_message, deliver_to_origin, needs_you_message
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.events import (
    Delivered,
    JournalAppended,
    ModelActivity,
    ModelUsage,
    NeedsAssistance,
    ServerState,
    StepAdvanced,
    TaskCompleted,
    TaskPaused,
    TaskUpdated,
    ToolCallFinished,
    ToolCallStarted,
    Verification,
)
from smallclaw_tui.runner.gate import GatedClient, ModelGate
from smallclaw_tui.runner.intent import paths_in
from smallclaw_tui.runner.peek import peek
from smallclaw_tui.runner.prompts import TASK_SYSTEM, fallback_summary, step_prompt, summary_prompt
from smallclaw_tui.runner.recheck import EndCheck
from smallclaw_tui.runner.rules import FileChange, StepFacts, judge_step
from smallclaw_tui.runner.writes import (
    norm_path,
    targets,
    write_record,
)
from smallclaw_tui.textsafe import redact_url
from smallclaw_tui.tools.base import ToolContext
from smallclaw_tui.tools.policy import is_allowed

UNREACHABLE_PREFIX = "model server unreachable"
_T = TypeVar("_T")
_ACTIVITY_EVERY_S = 0.25
_ACTIVITY_KEEP = 300  # characters of streamed text kept for the activity line


class _Stop(Exception):
    """Leave the round loop; the task's status has already been set."""


class _Unreachable(Exception):
    pass


@dataclass(slots=True)
class _Activity:
    buffer: str = ""
    last: float = 0.0
    lines: list[str] = field(default_factory=list)


def _rounds(n: int) -> str:
    return f"{n} round" if n == 1 else f"{n} rounds"


async def execute_task(deps: RunnerDeps, task: Task, control: TaskControl) -> None:
    await _Executor(deps, task, control).run()


class _Executor:
    def __init__(self, deps: RunnerDeps, task: Task, control: TaskControl) -> None:
        self.deps = deps
        self.s = deps.settings
        self.task = task
        self.control = control
        self.client: ModelClient = GatedClient(deps.client, deps.gate, ModelGate.BACKGROUND)
        self.tool_ctx = ToolContext(
            workspace=self.s.workspace,
            settings=self.s.tools,
            approver=None,  # nobody is at the keyboard for a background task: ask by pausing
            approved_commands=set(task.approved_commands),
        )
        self.activity = _Activity()
        self.checkpoints = Checkpoints(self.s.data_dir, self.s.workspace, task.id)
        self.end = EndCheck(task, self.s.workspace, self.tool_ctx)
        self.guard = LoopGuard.from_dict(self.s.agent, task.resume_context.guard or None)
        self.session = self._make_session()

    def _make_session(self) -> ChatSession:
        return ChatSession(
            self.task.session_key,
            self.client,
            self.deps.tools,
            self.tool_ctx,
            self.s.agent,
            num_ctx=self.s.llm.num_ctx,
            store=self.deps.sessions,
            system_prompt=TASK_SYSTEM,
            on_event=self._on_turn_event,
            guard=self.guard,
        )

    # --- bookkeeping ----------------------------------------------------------------------------

    async def journal(self, type_: JournalType, content: str, **detail: object) -> JournalEntry:
        entry = JournalEntry(type=type_, content=content, detail=dict(detail), step=self.task.current_step)
        await self.deps.store.append_journal(self.task, entry)
        self.deps.bus.publish(JournalAppended(self.task.id, entry))
        return entry

    async def save(self) -> None:
        self.task.resume_context.guard = self.guard.to_dict()
        await self.deps.store.save(self.task)
        self.deps.bus.publish(TaskUpdated(self.task))

    # --- the way out ----------------------------------------------------------------------------

    async def needs_assistance(self, reason: str, *, pending: str | None = None) -> None:
        if pending is not None:
            self.task.pending_approval = PendingApproval(command=pending)
        else:
            # The task stops in the middle of a step: its half-done writes would sit in the
            # user's files with nothing to show they are unfinished. A wait for approval is not
            # an end: the step goes on from where it is once the user answers.
            await self._restore_attempt("the step did not finish")
        self.task.transition(TaskStatus.NEEDS_ASSISTANCE, reason=reason)
        await self.journal(JournalType.PAUSE, f"needs assistance: {reason}")
        await self.save()
        self.deps.bus.publish(NeedsAssistance(self.task.id, reason, pending))
        await self._deliver(needs_you_message(self.task))
        raise _Stop

    async def _deliver(self, text: str) -> None:
        entry = await deliver_to_origin(self.deps.sessions, self.task, text)
        if entry is not None:
            await self.deps.store.append_journal(self.task, entry)
            self.deps.bus.publish(JournalAppended(self.task.id, entry))
            self.deps.bus.publish(
                Delivered(self.task.id, "chat", bool(entry.detail.get("ok")), entry.content)
            )

    async def _honour_requests(self) -> None:
        c = self.control
        if c.cancel_requested:
            await self._restore_attempt("the task was cancelled")
            self.task.transition(TaskStatus.CANCELLED, reason=c.cancel_note or "cancelled by the user")
            await self.journal(
                JournalType.NOTE, "cancelled" + (f": {c.cancel_note}" if c.cancel_note else "")
            )
            await self.save()
            raise _Stop
        if c.pause_requested:
            self.task.transition(TaskStatus.PAUSED, reason=c.pause_note or "paused by the user")
            await self.journal(JournalType.PAUSE, c.pause_note or "paused by the user")
            await self.save()
            self.deps.bus.publish(TaskPaused(self.task.id, self.task.pause_reason or "paused"))
            raise _Stop
        if c.shutdown:
            reason = "the runner was stopped; resume to continue"
            self.task.transition(TaskStatus.PAUSED, reason=reason)
            await self.journal(JournalType.PAUSE, reason)
            await self.save()
            self.deps.bus.publish(TaskPaused(self.task.id, reason))
            raise _Stop

    # --- main loop ------------------------------------------------------------------------------

    async def run(self) -> None:
        task = self.task
        task.transition(TaskStatus.RUNNING)
        await self.save()
        try:
            await self._honour_requests()
            if not task.plan:
                await self._plan()
            while True:
                await self._honour_requests()
                step = task.active_step
                if step is None:
                    await self._final_recheck()
                    await self._goal_review()
                    await self._complete()
                    return
                if step.status == StepStatus.PENDING:
                    step.status = StepStatus.ACTIVE
                    await self.save()
                    self.deps.bus.publish(StepAdvanced(task.id, step.index, step.description))
                await self._round(step)
        except _Stop:
            return

    async def _plan(self) -> None:
        await self.journal(JournalType.NOTE, "planning the task")
        try:
            outcome = await self._with_retries(
                lambda: planner.make_plan(
                    self.client, self.task.prompt, model=self.s.llm.planner_model, command_ok=self._looks_only
                )
            )
        except _Unreachable as e:
            await self.needs_assistance(str(e))
        except LLMError as e:
            await self.needs_assistance(f"model error while planning: {e}")
        for raw in outcome.raw_replies:
            await self.journal(JournalType.MODEL, raw[:4000], role="planner")
        if outcome.steps is None:
            await self.needs_assistance(
                f"could not make a usable plan ({outcome.error}); add steps by hand or reword the goal"
            )
            return
        self.task.plan = outcome.steps
        self.task.current_step = 0
        plan_text = "; ".join(f"{s.index + 1}. {s.description}" for s in outcome.steps)
        await self.journal(JournalType.NOTE, f"plan: {plan_text}")
        for why in outcome.dropped:
            await self.journal(JournalType.NOTE, f"planner's {why}; left out")
        await self.save()

    async def _rule_outcomes(self, step: PlanStep) -> list[tuple[bool, str]]:
        """What the rules in :mod:`smallclaw_tui.runner.rules` find about this try, as (passed, detail)."""
        entries = self._journal_of(step)
        this_try = max((i for i, e in enumerate(entries) if e.type == JournalType.RETRY), default=-1) + 1
        changes = await asyncio.to_thread(self.checkpoints.attempt_changes)
        facts = StepFacts(
            task=self.task,
            step=step,
            workspace=self.s.workspace,
            entries=entries,
            this_try=entries[this_try:],
            changes=[FileChange(path, before, after) for path, before, after in changes],
        )
        return [(f.passed, f.detail) for f in await judge_step(facts)]

    async def _written_now(self, step: PlanStep, limit: int = 3) -> list[tuple[str, str | None]]:
        """The files the step wrote (at most `limit`), as they are now."""
        out: list[tuple[str, str | None]] = []
        for path in sorted(self.end.written_by(step.index))[:limit]:
            out.append((path, await peek(self.s.workspace, path)))
        return out

    def _looks_only(self, command: str) -> bool:
        """Would this command run as a check without asking, and only look (no redirect)?"""
        return is_allowed(
            command, self.s.tools.shell_allowlist, workspace=self.s.workspace, allow_redirects=False
        )

    async def _round(self, step: PlanStep) -> None:
        task, rs, rc = self.task, self.s.runner, self.task.resume_context
        if task.rounds >= rs.max_rounds_per_task:
            await self.needs_assistance(
                f"the task used its {_rounds(rs.max_rounds_per_task)} without finishing"
            )
        if rc.step_rounds >= rs.max_rounds_per_step:
            await self.needs_assistance(
                f"step {step.index + 1} did not finish within {_rounds(rs.max_rounds_per_step)}"
            )
        task.rounds += 1
        rc.step_rounds += 1
        rc.step_index = task.current_step
        sampling = self._sampling(step)
        await self.journal(
            JournalType.ROUND,
            f"round {task.rounds} (step {step.index + 1}, try {rc.step_rounds})",
            **({"temperature": sampling[0], "seed": sampling[1]} if sampling[0] is not None else {}),
        )
        prompt = step_prompt(
            task, files=await self._step_files(step), file_chars=self.s.runner.prompt_file_chars
        )
        self.activity.buffer = ""  # a new round: the activity line starts over
        await self.journal(JournalType.PROMPT, prompt)
        await self.save()
        if rc.in_flight_tool_call is not None:
            rc.in_flight_tool_call = None  # the prompt told the model; do not repeat the warning

        record = f"[round {task.rounds}] step {step.index + 1}: {step.description}"
        ask_again = prompts.nudge(task) if prompts.needs_a_call(task) else None
        started = False

        async def attempt() -> TurnResult:
            # A retry continues the interrupted turn: the model sees the calls it already made and
            # their results, instead of the stale prompt that would make it do them again.
            nonlocal started
            temperature, seed = sampling
            if started and self.session.mid_turn:
                return await self.session.run_turn(
                    None, send_history=False, temperature=temperature, seed=seed
                )
            started = True
            return await self.session.run_turn(
                prompt,
                send_history=False,
                record_as=record,
                nudge=ask_again,
                temperature=temperature,
                seed=seed,
            )

        try:
            result = await self._with_retries(attempt)
        except _Unreachable as e:
            await self.needs_assistance(str(e))
        except LLMError as e:
            await self.needs_assistance(f"model error: {e}")
        self._flush_activity()
        if result.text:
            await self.journal(JournalType.MODEL, result.text[:4000])
        await self._after_turn(step, result)

    def _sampling(self, step: PlanStep) -> tuple[float | None, int | None]:
        """(temperature, seed) for this round. The first try samples as configured; a try after a
        rejected one samples at `retry_temperature` with a seed fixed by the task, step and try, so
        the run can be reproduced: at temperature 0 the same prompt repeats the same mistake."""
        rs = self.s.runner
        if step.attempts == 0 or rs.retry_temperature <= 0:
            return None, None
        return rs.retry_temperature, rs.seed + 1000 * step.index + step.attempts

    async def _step_files(self, step: PlanStep) -> list[tuple[str, str | None]]:
        """The files the step names (declared by the plan, else path-shaped words in its text),
        with their current text: a model that sees the file copies its anchors instead of
        guessing them, and appends to what is there instead of rewriting it."""
        named = step.files or [p for p in paths_in(step.description) if not p.endswith("/")]
        out: list[tuple[str, str | None]] = []
        for path in named[:3]:
            limit = self.s.runner.prompt_file_chars
            out.append((norm_path(path), await peek(self.s.workspace, path, limit=limit)))
        return out

    async def _after_turn(self, step: PlanStep, result: TurnResult) -> None:
        if result.stop_reason == "stuck":
            await self.journal(JournalType.LOOP, result.stuck_reason or "stuck")
            await self.needs_assistance(result.stuck_reason or "the model is repeating itself")
        if result.stop_reason == "approval":
            cmd = result.pending_command or "?"
            await self.needs_assistance(f"waiting for approval to run: {cmd}", pending=cmd)
        if result.stop_reason == "round_cap":
            await self.journal(JournalType.NOTE, "the model used all tool rounds of this turn; continuing")
            await self.save()
            return
        text = result.text.strip()
        if text.upper().startswith("BLOCKED"):
            failed = self._last_failure(step)
            if failed is None or step.attempts + 1 >= self.s.runner.max_step_attempts:
                await self.needs_assistance(f"the model says it is blocked: {text[:300]}")
            # Blocked right after a call of its own failed — a tool that does not exist, wrong
            # arguments, the step's check run too early: small models give up at once there.
            # That is a failed try with the failure fed back; a second BLOCKED goes to the user.
            await self._reject(
                step,
                f"you said BLOCKED after your call failed ({failed}). If the step can be done with "
                f"the tools you have ({', '.join(self.deps.tools.names())}), do it; if not, say "
                "BLOCKED again and why",
            )
            return
        await self._verify(step, text)

    def _last_failure(self, step: PlanStep) -> str | None:
        """The last tool result of this round, when it was a failure."""
        entries = self._journal_of(step)
        last_round = max((i for i, e in enumerate(entries) if e.type == JournalType.ROUND), default=-1)
        results = [e for e in entries[last_round + 1 :] if e.type == JournalType.TOOL_RESULT]
        if not results or results[-1].detail.get("ok") is not False:
            return None
        return " ".join(results[-1].content.split())[:200]

    # --- verification ---------------------------------------------------------------------------

    def _journal_of(self, step: PlanStep) -> list[JournalEntry]:
        return [e for e in self.task.journal if e.step == step.index]

    def _results(self, step: PlanStep) -> list[verifier.Evidence]:
        """The step's tool results, each with the call that produced it, labelled for the verifier.

        Only a successful result can support a YES: a failed one proves only that something did
        not happen. A call is shown beside its result (what was written, where) and counts only
        through that result; a call with no result yet (in flight at a crash) is not shown.
        """
        calls: dict[str, str] = {}
        pairs: list[tuple[str, str, bool]] = []
        entries = self._journal_of(step)
        this_try = max((i for i, e in enumerate(entries) if e.type == JournalType.RETRY), default=-1) + 1
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
        rules = await self._rule_outcomes(step) if mode == "checks_evidence" else []
        if checks or rules:
            outcomes = await run_checks(checks, self.tool_ctx)
            for o in outcomes:
                await self.journal(
                    JournalType.VERIFY,
                    f"check {'passed' if o.passed else 'FAILED'}: {o.detail}",
                    kind=o.check.kind,
                    passed=o.passed,
                )
            for passed, detail in rules:
                await self.journal(
                    JournalType.VERIFY, f"check {'passed' if passed else 'FAILED'}: {detail}", kind="rule"
                )
            approval = next((o.needs_approval for o in outcomes if o.needs_approval), None)
            if approval is not None:
                await self.needs_assistance(
                    f"a check wants to run a command that needs approval: {approval}", pending=approval
                )
            failed = [o.detail for o in outcomes if not o.passed] + [d for ok, d in rules if not ok]
            if failed:
                await self._reject(step, "check failed: " + "; ".join(failed))
                return
            check_lines = verifier.check_lines([o.detail for o in outcomes] + [d for _ok, d in rules])
        results = self._results(step)
        if mode == "checks_evidence" and not any(r.ok for r in results) and not check_lines:
            # Nothing could support a YES: spare the model the question.
            await self.journal(
                JournalType.VERIFY, "not verified: no successful tool result or check in this step"
            )
            await self._reject(step, "no tool call in this step succeeded, so nothing shows the step is done")
            return
        files = verifier.file_lines(await self._written_now(step))
        try:
            verdict = await self._with_retries(
                lambda: verifier.ask(
                    self.client,
                    model=self.s.llm.verifier_model,
                    step=step.description,
                    results=results,
                    files=files,
                    claim=claim,
                    checks=check_lines,
                    require_evidence=mode == "checks_evidence",
                )
            )
        except _Unreachable as e:
            await self.needs_assistance(str(e))
        except LLMError as e:
            await self.needs_assistance(f"model error while verifying: {e}")
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

    async def _advance(self, step: PlanStep, reason: str) -> None:
        task, rc = self.task, self.task.resume_context
        self.deps.bus.publish(Verification(task.id, step.index, True, reason))
        step.status = StepStatus.DONE
        step.completed_at = utcnow()
        rc.recap.append(f"step {step.index + 1} ({step.description}): done — {reason}"[:300])
        rc.verifier_feedback = ""
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
            self.deps.bus.publish(StepAdvanced(task.id, task.current_step, "all steps done"))

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
            await self.journal(JournalType.VERIFY, "goal review: the task changed no file; nothing to review")
            return
        try:
            verdict = await self._with_retries(
                lambda: goal_review.review(
                    self.client, goal=self.task.prompt, diff=diff, model=self.s.llm.verifier_model
                )
            )
        except _Unreachable as e:
            await self.needs_assistance(str(e))
        except LLMError as e:
            await self.needs_assistance(f"model error while reviewing the goal: {e}")
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
                + goal_review.question_diff(diff)
            )

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

    async def _restore_attempt(self, why: str) -> None:
        done = await asyncio.to_thread(self.checkpoints.restore_attempt)
        if done:
            text = f"{why}; undid its writes: " + "; ".join(done)
            await self.journal(JournalType.NOTE, text, restored=done)

    # --- completion -----------------------------------------------------------------------------

    async def _complete(self) -> None:
        task = self.task
        summary = ""
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
        except (_Unreachable, LLMError) as e:
            await self.journal(JournalType.ERROR, f"summary call failed ({e}); using the step recap")
        summary = summary or fallback_summary(task)
        limit = self.s.runner.summary_max_chars
        task.final_summary = summary if len(summary) <= limit else summary[: limit - 1] + "…"
        task.pending_approval = None
        task.transition(TaskStatus.COMPLETE)
        await self.journal(JournalType.NOTE, "complete")
        await self.save()
        self.deps.bus.publish(TaskCompleted(task.id, task.final_summary))
        await self._deliver(completion_message(task))

    # --- transport retries ----------------------------------------------------------------------

    async def _with_retries(self, call: Callable[[], Awaitable[_T]]) -> _T:
        rs = self.s.runner
        waits = delays(
            rs.retry_max_attempts if rs.retries else 0, rs.retry_base_s, rs.retry_max_s, self.deps.rng
        )
        attempt = 0
        while True:
            try:
                value = await call()
            except TransportError as e:
                self.deps.bus.publish(ServerState("unreachable", str(e)))
                if attempt >= len(waits):
                    where = redact_url(self.s.llm.base_url)
                    tries = attempt + 1
                    raise _Unreachable(f"{UNREACHABLE_PREFIX} at {where} after {tries} tries: {e}") from e
                wait = waits[attempt]
                attempt += 1
                await self.journal(JournalType.RETRY, f"transport error, retry {attempt} in {wait:.1f}s: {e}")
                if await self.control.sleep(wait):
                    await self._honour_requests()
                continue
            self.deps.bus.publish(ServerState("ready"))
            return value

    # --- chat loop events -----------------------------------------------------------------------

    async def _on_turn_event(self, event: TurnEvent) -> None:
        task, rc = self.task, self.task.resume_context
        if isinstance(event, ToolStarted):
            # Saved before the call is journaled: a crash in between still reports "outcome unknown".
            rc.in_flight_tool_call = event.call
            await self.save()
            args = json.dumps(event.call.arguments, ensure_ascii=False)
            await self.journal(
                JournalType.TOOL_CALL,
                f"{event.call.name} {args[:2000]}",
                call_id=event.call.id,
                name=event.call.name,
                **await self._before_first_write(event.call.name, event.call.arguments),
            )
            self.deps.bus.publish(ToolCallStarted(task.id, event.call))
        elif isinstance(event, ToolFinished):
            rc.in_flight_tool_call = None
            written = targets(event.call.name, event.call.arguments)
            if written:
                await asyncio.to_thread(self.checkpoints.after_write, written)
            out = event.result.output
            await self.journal(
                JournalType.TOOL_RESULT,
                f"[{event.call.name}] {out[:2000]}",
                call_id=event.call.id,
                ok=event.result.ok,
                # Which file a successful write touched and what it put there, so the final re-check
                # knows who changed what (and what an accidental rewrite destroyed).
                **write_record(event.call.name, event.call.arguments, event.result.ok),
                **await self._shellwrites(event.call.name, event.call.arguments, event.result.ok),
            )
            await self.save()
            self.deps.bus.publish(ToolCallFinished(task.id, event.call, event.result.ok, out))
            self._set_activity(f"{event.call.name}: {' '.join(out.split())[:80]}")
        elif isinstance(event, Nudged):
            await self.journal(
                JournalType.MODEL, event.reply[:4000] or "(an empty reply)", nudged=True
            )
            await self.journal(JournalType.NOTE, f"no tool was called; asked again: {event.nudge}")
        elif isinstance(event, LoopNotice):
            await self.journal(JournalType.LOOP, f"{event.action}: {event.message}", pattern=event.pattern)
        elif isinstance(event, TextChunk):
            self.activity.buffer += event.text
            now = time.monotonic()
            if now - self.activity.last >= _ACTIVITY_EVERY_S:
                self._flush_activity()
        elif isinstance(event, ContextInfo):
            if event.truncated:
                await self.journal(
                    JournalType.ERROR,
                    f"context full: the server counted {event.prompt_tokens} of {event.num_ctx} "
                    "tokens; the model may not have seen the whole prompt",
                )
            self.deps.bus.publish(ModelUsage(task.id, event.prompt_tokens, 0, event.num_ctx, None))
        elif isinstance(event, UsageInfo):
            self.deps.bus.publish(
                ModelUsage(
                    task.id,
                    event.prompt_tokens,
                    event.completion_tokens,
                    self.s.llm.num_ctx,
                    event.tokens_per_s,
                )
            )

    async def _before_first_write(self, name: str, args: dict[str, object]) -> dict[str, object]:
        """What the files a call writes held before this step first wrote them, so that a step that
        only adds can be held to keeping it (see `_rule_outcomes`). Empty for other calls."""
        step = self.task.current_step
        seen = {
            str(path)
            for e in self.task.journal
            if e.step == step and e.type == JournalType.TOOL_CALL
            for path in (e.detail.get("befores") or {})
        }
        befores: dict[str, str | None] = {}
        paths = targets(name, args)
        if paths:
            await asyncio.to_thread(self.checkpoints.before_write, paths, step)
        for path in paths:
            if path not in seen and path not in befores:
                befores[path] = await peek(self.s.workspace, path, limit=4000)
        return {"befores": befores} if befores else {}

    async def _shellwrites(self, name: str, args: dict[str, object], ok: bool) -> dict[str, object]:
        """The files a successful shell command redirected into, with what they hold now."""
        if not ok or name != "run_shell":
            return {}
        texts: dict[str, str] = {}
        for path in targets(name, args):
            text = await peek(self.s.workspace, path, limit=2000)
            if text is not None:
                texts[path] = text
        return {"wrote_texts": texts, "command": str(args.get("command", ""))[:2000]} if texts else {}

    def _set_activity(self, text: str) -> None:
        self.deps.bus.publish(ModelActivity(self.task.id, text))

    def _flush_activity(self) -> None:
        """Publish the tail of what the model is writing. The buffer keeps a rolling tail, not just
        the text since the last flush, so the card reads "DONE: did the step", not "d the step"."""
        self.activity.buffer = self.activity.buffer[-_ACTIVITY_KEEP:]  # raw: keeps the spaces at the cut
        text = " ".join(self.activity.buffer.split())
        self.activity.last = time.monotonic()
        if text:
            self._set_activity(text[-100:])
