"""Running one task: plan, rounds through the shared chat loop, verification, and every way out.

The executor is the only writer of its task while it runs. Every tool call and result is journaled
(and the task saved) as it happens, so a `kill -9` loses at most the call in flight, which the next
start reports as "outcome unknown".
"""

from __future__ import annotations

import asyncio

from smallclaw_tui.agent.session import TurnResult
from smallclaw_tui.models import (
    JournalType,
    PlanStep,
    StepKind,
    StepStatus,
    Task,
    TaskStatus,
)
from smallclaw_tui.runner import owed, planner, prompts, whole_file
from smallclaw_tui.runner.checks import run_checks
from smallclaw_tui.runner.control import TaskControl
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.earlier import named_files
from smallclaw_tui.runner.events import (
    StepAdvanced,
)
from smallclaw_tui.runner.exec_base import Stop
from smallclaw_tui.runner.finishing import Finishing
from smallclaw_tui.runner.listing import listing_text
from smallclaw_tui.runner.outage import UNREACHABLE_PREFIX
from smallclaw_tui.runner.owed_write import OwedWrite
from smallclaw_tui.runner.peek import peek
from smallclaw_tui.runner.premises import with_unplanned_outputs, without_false_premises
from smallclaw_tui.runner.prompts import step_prompt
from smallclaw_tui.runner.recheck import missing_at_start
from smallclaw_tui.runner.writes import (
    norm_path,
)
from smallclaw_tui.tools.policy import is_allowed

__all__ = ["UNREACHABLE_PREFIX", "execute_task"]


def _rounds(n: int) -> str:
    return f"{n} round" if n == 1 else f"{n} rounds"


async def execute_task(deps: RunnerDeps, task: Task, control: TaskControl) -> None:
    await _Executor(deps, task, control).run()


_BLOCKED_RETRY = "your last call failed:"


class _Executor(OwedWrite, Finishing):
    """One task's run as a short story: plan, then for each step a round — prompt, act (the model's
    turn, journaled as it happens), judge — and advance or retry; at the end, re-check and finish."""

    async def run(self) -> None:
        task = self.task
        task.transition(TaskStatus.RUNNING)
        await self.save()
        try:
            await self._honour_requests()
            await self._note_missing_goal_files()
            if not task.plan:
                await self._plan()
                task.resume_context.plan_to_review = self.s.runner.review_plans and bool(task.plan)
            if task.resume_context.plan_to_review:
                task.resume_context.plan_to_review = False  # a resume means the plan is accepted
                steps = "; ".join(f"{s.index + 1}. {s.description}" for s in task.plan)
                await self.needs_assistance(
                    f"the plan waits for you: resume (r) runs it as it is, edit (e) changes it. {steps}"
                )
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
        except Stop:
            return

    async def _plan(self) -> None:
        self.progress.start("planning")
        if self.s.runner.one_file_plans and await self._one_file_plan():
            return
        await self.journal(JournalType.NOTE, "planning the task")
        listing = await asyncio.to_thread(listing_text, self.s.workspace)
        outcome = await self._ask_model(
            lambda: planner.make_plan(
                self.client,
                self.task.prompt,
                model=self.s.llm.planner_model,
                command_ok=self._looks_only,
                listing=listing,
                retry_temperature=self.s.runner.retry_temperature,
                seed=self.s.runner.seed,
            ),
            "model error while planning",
        )
        for raw in outcome.raw_replies:
            await self.journal(JournalType.MODEL, raw[:4000], role="planner")
        path = self.looked_at
        if (
            path is not None
            and outcome.steps
            and any(s.kind in owed.WRITES and path in map(norm_path, s.files) for s in outcome.steps)
        ):
            # Asked one word, the model said the goal only reads the file; its own plan writes it
            # ("bob left, remove his line from team.txt": LOOK, then "Write team.txt with the line
            # 'bob'"). The plan's declared kinds are the surer of the two: the goal changes it.
            await self._one_file_step(path, ", and the plan writes it")
            return
        if outcome.steps is None:
            await self.needs_assistance(
                f"could not make a usable plan ({outcome.error}); add steps by hand or reword the goal"
            )
            return
        steps, unreachable = await without_false_premises(
            outcome.steps, self.task.prompt, lambda checks: run_checks(checks, self.tool_ctx)
        )
        steps, redeclared = with_unplanned_outputs(steps, missing_at_start(self.task.journal))
        plan_text = "; ".join(f"{s.index + 1}. {s.description}" for s in steps)
        await self.journal(JournalType.NOTE, f"plan: {plan_text or '(no step left)'}")
        for why in [*outcome.dropped, *unreachable]:
            await self.journal(JournalType.NOTE, f"planner's {why}; left out")
        for why in redeclared:
            await self.journal(JournalType.NOTE, why)
        if not steps:
            await self.needs_assistance(
                "every step of the plan reads a file for text it does not hold: " + "; ".join(unreachable)
            )
        self.task.plan = steps
        self.task.current_step = 0
        await self.save()

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
        self.verify_asker = self.shared_asker = None
        files = await self._step_files(step)
        if step.kind is StepKind.CREATE and files and all(text is not None for _p, text in files):
            # A create whose files are there is an edit, and the try may not delete most of them:
            # the plan guessed the workspace wrong ("Write todo.md with the line 'pay rent'" for an
            # existing list), or an earlier step made them ("Write list.txt with the line 'soap'"
            # after three steps built the list; write_file refused, and the 1.5B gave up).
            step.kind = StepKind.EDIT
            there = ", ".join(p for p, _text in files)
            await self.journal(
                JournalType.NOTE, f"step {step.index + 1} creates {there}, which exists: held to an edit"
            )
        # A step that declares it rewrites, edits or appends to its files may replace them whole:
        # the 1.5B, refused, answered BLOCKED instead of adding `overwrite` (held-out set). The
        # checkpoint, the kind rules (an append keeps what was there, an edit most of it, a file
        # still parses) and the checks judge what it wrote.
        rewrites = step.kind in (StepKind.REPLACE, StepKind.EDIT, StepKind.APPEND)
        self.tool_ctx.may_replace = frozenset(norm_path(f) for f in step.files) if rewrites else frozenset()
        sampling = self._sampling(step)
        await self.journal(
            JournalType.ROUND,
            f"round {task.rounds} (step {step.index + 1}, try {rc.step_rounds})",
            **({"temperature": sampling[0], "seed": sampling[1]} if sampling[0] is not None else {}),
        )
        self.progress.start(f"step {step.index + 1}/{len(task.plan)} try {rc.step_rounds}", round=True)
        if rs.whole_file_edits and len(files) == 1:
            path, whole = files[0]
            sources = await self._sources(step, path) if whole is None else []
            if whole_file.applies(step, whole, rs.prompt_file_chars, sources=len(sources)):
                await self._whole_file_round(step, path, whole, sampling, sources)
                return
        prompt = step_prompt(
            task, files=files, file_chars=rs.prompt_file_chars, checks=self.end.shown_checks(step)
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

        result = await self._ask_model(attempt, "model error")
        self.verify_asker = self._ask_in_session
        self.shared_asker = self._asker_apart()
        self._flush_activity()
        if result.text:
            await self.journal(JournalType.MODEL, result.text[:4000])
        await self._after_turn(step, result)

    async def _step_files(self, step: PlanStep) -> list[tuple[str, str | None]]:
        """The files the step names (declared by the plan, else path-shaped words in its text),
        with their current text: a model that sees the file copies its anchors instead of
        guessing them, and appends to what is there instead of rewriting it."""
        # One character past the budget: the prompt then knows the file goes on, and a whole-file
        # round knows it may not answer for the whole file.
        limit = self.s.runner.prompt_file_chars + 1
        return [(path, await peek(self.s.workspace, path, limit=limit)) for path in named_files(step)[:3]]

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
            if await asyncio.to_thread(self.checkpoints.attempt_changed):
                # The words say blocked, the files say something was done (the 1.5B echoed the
                # runner's own feedback, "BLOCKED: your call failed", after a successful edit):
                # the step is judged on what happened, like any claim.
                await self._verify(step, "(the worker said it was blocked; judge only by the results)")
                return
            failed = self._last_failure(step)
            # Once fed back, a second BLOCKED is the model's answer, however many tries are left.
            again = self.task.resume_context.verifier_feedback.startswith(_BLOCKED_RETRY)
            if failed is None or again or step.attempts + 1 >= self.s.runner.max_step_attempts:
                await self.needs_assistance(f"the model says it is blocked: {text[:300]}")
            # Blocked right after a call of its own failed — a tool that does not exist, wrong
            # arguments, the step's check run too early: small models give up at once there.
            # That is a failed try with the failure fed back; a second BLOCKED goes to the user.
            # Short, and not in the model's own words: a long quote came back as its next answer.
            await self._reject(step, f"{_BLOCKED_RETRY} {failed[:160]}. Fix the call and do the step")
            return
        await self._pay_owed_write(step)
        await self._verify(step, text)

    def _last_failure(self, step: PlanStep) -> str | None:
        """The last tool result of this round, when it was a failure."""
        entries = self._journal_of(step)
        last_round = max((i for i, e in enumerate(entries) if e.type == JournalType.ROUND), default=-1)
        results = [e for e in entries[last_round + 1 :] if e.type == JournalType.TOOL_RESULT]
        if not results or results[-1].detail.get("ok") is not False:
            return None
        return " ".join(results[-1].content.split())[:200]
