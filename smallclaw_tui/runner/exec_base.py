"""The executor's ground floor: its state, the journal and saves, the ways out of a task (needs
you, cancel, pause), transport retries and the restore of an unfinished try. The rest of the
executor is built on it, one concern a module: :mod:`.turn_journal` (what the model does, as it
happens), :mod:`.judging` (is the step done?), :mod:`.finishing` (the end of a task)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import NoReturn, TypeVar

from smallclaw_tui.agent.events import (
    TurnEvent,
)
from smallclaw_tui.agent.loop_guard import LoopGuard
from smallclaw_tui.agent.session import ChatSession
from smallclaw_tui.llm.base import LLMError, ModelClient, TransportError
from smallclaw_tui.models import (
    JournalEntry,
    JournalType,
    PendingApproval,
    PlanStep,
    Task,
    TaskStatus,
)
from smallclaw_tui.runner.backoff import delays
from smallclaw_tui.runner.checkpoints import Checkpoints
from smallclaw_tui.runner.control import TaskControl
from smallclaw_tui.runner.delivery import deliver_to_origin, needs_you_message
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.events import (
    Delivered,
    JournalAppended,
    NeedsAssistance,
    ServerState,
    TaskPaused,
    TaskUpdated,
)
from smallclaw_tui.runner.gate import GatedClient, ModelGate
from smallclaw_tui.runner.outage import UNREACHABLE_PREFIX
from smallclaw_tui.runner.progress import Progress
from smallclaw_tui.runner.prompts import TASK_SYSTEM
from smallclaw_tui.runner.recheck import EndCheck
from smallclaw_tui.runner.verifier import Asker
from smallclaw_tui.runner.writes import try_start
from smallclaw_tui.textsafe import redact_url
from smallclaw_tui.tools.base import ToolContext

REQUEUED = "the runner stopped; the task continues at the next start"
_T = TypeVar("_T")


class Stop(Exception):
    """Leave the round loop; the task's status has already been set."""


class Unreachable(Exception):
    pass


@dataclass(slots=True)
class Activity:
    buffer: str = ""
    last: float = 0.0
    lines: list[str] = field(default_factory=list)


class ExecutorBase:
    def __init__(self, deps: RunnerDeps, task: Task, control: TaskControl) -> None:
        self.deps = deps
        self.s = deps.settings
        self.task = task
        self.control = control
        self.progress = Progress(deps.bus.publish, task.id)
        self.client: ModelClient = GatedClient(
            deps.client, deps.gate, ModelGate.BACKGROUND, on_tokens=self.progress.add_tokens
        )
        self.tool_ctx = ToolContext(
            workspace=self.s.workspace,
            settings=self.s.tools,
            approver=None,  # nobody is at the keyboard for a background task: ask by pausing
            approved_commands=set(task.approved_commands),
        )
        self.activity = Activity()
        # The one file a goal names, when the model said the goal only looks at it (see _plan).
        self.looked_at: str | None = None
        # How this round's verifier question is put in the round's own conversation (None: a
        # fresh prompt). Set by the round; used only with `runner.verify_in_step`.
        self.verify_asker: Asker | None = None
        # A conversation of the verifier's own that opens as the round's did (system text and
        # tools), or None. Set by a tool round; used only with `runner.verify_shared_prefix`.
        self.shared_asker: Asker | None = None
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
            # How the model answers (native calls, a schema-constrained action, or text): the
            # setting, or auto's pick once a probe ran (`smallclaw doctor` shows it).
            tool_mode=self.s.llm.tool_mode,
        )

    async def journal(self, type_: JournalType, content: str, **detail: object) -> JournalEntry:
        entry = JournalEntry(type=type_, content=content, detail=dict(detail), step=self.task.current_step)
        await self.deps.store.append_journal(self.task, entry)
        self.deps.bus.publish(JournalAppended(self.task.id, entry))
        return entry

    async def save(self) -> None:
        self.task.resume_context.guard = self.guard.to_dict()
        await self.deps.store.save(self.task)
        self.deps.bus.publish(TaskUpdated(self.task))

    async def needs_assistance(self, reason: str, *, pending: str | None = None) -> NoReturn:
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
        raise Stop

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
            raise Stop
        if c.pause_requested:
            self.task.transition(TaskStatus.PAUSED, reason=c.pause_note or "paused by the user")
            await self.journal(JournalType.PAUSE, c.pause_note or "paused by the user")
            await self.save()
            self.deps.bus.publish(TaskPaused(self.task.id, self.task.pause_reason or "paused"))
            raise Stop
        if c.shutdown:
            # The user stopped the runner, not the task: it carries on at the next start, as
            # after a crash (or waits for the user, when `on_crash` says so).
            if self.s.runner.on_crash == "resume":
                self.task.transition(TaskStatus.QUEUED)
                await self.journal(JournalType.NOTE, REQUEUED)
                await self.save()
                raise Stop
            reason = "the runner was stopped; resume to continue"
            self.task.transition(TaskStatus.PAUSED, reason=reason)
            await self.journal(JournalType.PAUSE, reason)
            await self.save()
            self.deps.bus.publish(TaskPaused(self.task.id, reason))
            raise Stop

    async def _ask_model(self, call: Callable[[], Awaitable[_T]], what: str) -> _T:
        """A model call with transport retries; past them, or on a model error (`what`: "model
        error while planning"), the task stops in needs-you."""
        try:
            return await self._with_retries(call)
        except Unreachable as e:
            await self.needs_assistance(str(e))
        except LLMError as e:
            await self.needs_assistance(f"{what}: {e}")

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
                    raise Unreachable(f"{UNREACHABLE_PREFIX} at {where} after {tries} tries: {e}") from e
                wait = waits[attempt]
                attempt += 1
                await self.journal(JournalType.RETRY, f"transport error, retry {attempt} in {wait:.1f}s: {e}")
                if await self.control.sleep(wait):
                    await self._honour_requests()
                continue
            self.deps.bus.publish(ServerState("ready"))
            return value

    def _sampling(self, step: PlanStep) -> tuple[float | None, int | None]:
        """(temperature, seed) for this round. The first try samples as configured; a try after a
        rejected one samples at `retry_temperature` with a seed fixed by the task, step and try, so
        the run can be reproduced: at temperature 0 the same prompt repeats the same mistake."""
        rs = self.s.runner
        if step.attempts == 0 or rs.retry_temperature <= 0:
            return None, None
        return rs.retry_temperature, rs.seed + 1000 * step.index + step.attempts

    async def _restore_attempt(self, why: str) -> None:
        done = await asyncio.to_thread(self.checkpoints.restore_attempt)
        if done:
            text = f"{why}; undid its writes: " + "; ".join(done)
            await self.journal(JournalType.NOTE, text, restored=done)

    def _journal_of(self, step: PlanStep) -> list[JournalEntry]:
        return [e for e in self.task.journal if e.step == step.index]

    def _this_try(self, step: PlanStep) -> list[JournalEntry]:
        """The step's journal since its last rejected try."""
        entries = self._journal_of(step)
        return entries[try_start(entries) :]

    async def _on_turn_event(self, event: TurnEvent) -> None:
        raise NotImplementedError  # see TurnJournal
