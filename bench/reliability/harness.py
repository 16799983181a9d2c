"""Run one suite task under one profile and one configuration, through the real runner.

One loopback :class:`FakeModelServer` serves the whole benchmark; each run swaps in a fresh,
seeded profile and a fresh temp workspace, starts a :class:`BackgroundTaskRunner` on it, waits
until it is idle, and judges the workspace independently of anything the runner recorded.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.reliability import endstate
from bench.reliability.configs import READ_TIMEOUT_S, Config, settings_for
from bench.reliability.profiles import make
from bench.reliability.profiles.base import Ctx, Policy
from bench.reliability.request import Kind, classify
from bench.reliability.spec import BenchTask
from smallclaw_tui.llm.factory import make_client
from smallclaw_tui.models import JournalType, PlanStep, Task, TaskStatus
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.store.sessions import SessionStore
from smallclaw_tui.store.tasks import TaskStore
from smallclaw_tui.testing.fake_server import ChatRequest, FakeModelServer, Reply

# A run that is not idle by then is recorded as "timeout" (a spin the runner should not allow).
RUN_TIMEOUT_S = 60.0
_RETRY = re.compile(r"transport error, retry (\d+) ")


@dataclass(slots=True)
class Outcome:
    task: str
    profile: str
    config: str
    seed: int
    mode: str
    possible: bool
    status: str
    end_ok: bool
    problems: list[str]
    rounds: int
    escalation_step_rounds: int
    calls: dict[str, int]
    # Prompt tokens per model request, by request kind (what the server counted).
    tokens: dict[str, list[int]]
    wall_s: float
    model_s: float
    pause_reason: str
    # Transport retries the runner journaled, by attempt number (1 = first retry of a call).
    retry_attempts: list[int] = field(default_factory=list)
    handler_errors: list[str] = field(default_factory=list)
    journal_tail: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """ok | false | escalated | needless | other."""
        if self.status == TaskStatus.COMPLETE:
            return "ok" if self.possible and self.end_ok else "false"
        if self.status == TaskStatus.NEEDS_ASSISTANCE:
            return "needless" if self.possible and self.end_ok else "escalated"
        return "other"

    @property
    def model_calls(self) -> int:
        return sum(self.calls.values())


@dataclass(slots=True)
class _Record:
    kind: Kind
    prompt_tokens: int
    seconds: float


class Bench:
    """The shared server and the per-run bookkeeping around it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.server = FakeModelServer(self._handle)
        self.policy: Policy | None = None
        self.records: list[_Record] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Bench:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def _handle(self, req: ChatRequest) -> Reply:
        t0 = time.perf_counter()
        kind = classify(req)
        # What the fake server reports as prompt_eval_count: characters / 4 of what was sent.
        tokens = len(json.dumps(req.messages) + json.dumps(req.tools)) // 4
        try:
            assert self.policy is not None
            reply = self.policy(req)
        except Exception as e:  # a profile bug: say so loudly, and answer so the runner stops asking
            with self._lock:
                self.errors.append(f"{type(e).__name__}: {e}")
            reply = Reply.fail(400, f"benchmark profile crashed: {e}")
        with self._lock:
            self.records.append(_Record(kind, tokens, time.perf_counter() - t0))
        return reply

    async def run(self, task: BenchTask, profile: str, config: Config, seed: int) -> Outcome:
        ws = Path(tempfile.mkdtemp(prefix=f"{task.id}-", dir=self.root))
        endstate.seed_workspace(task, ws)
        ctx = Ctx(random.Random(f"{seed}:{profile}:{task.id}"), self.server, READ_TIMEOUT_S)
        self.policy = make(profile, ctx)
        with self._lock:
            self.records, self.errors = [], []
        llm = self.server.llm_settings(read_timeout_s=READ_TIMEOUT_S, connect_timeout_s=1.0)
        settings = settings_for(config, ws, llm)
        deps = RunnerDeps(
            settings=settings,
            client=make_client(settings.llm),
            store=TaskStore(settings.data_dir),
            sessions=SessionStore(settings.data_dir),
            rng=random.Random(seed),
        )
        runner = BackgroundTaskRunner(deps)
        t0 = time.perf_counter()
        await runner.start()
        steps = (
            [PlanStep(index=i, description=s.text, checks=list(s.checks)) for i, s in enumerate(task.steps)]
            if task.mode == "explicit"
            else None
        )
        created = await runner.create_task(task.goal, steps=steps)
        try:
            await asyncio.wait_for(runner.wait_until_idle(), RUN_TIMEOUT_S)
        except TimeoutError:
            pass
        finally:
            await runner.stop(grace_s=2.0)
            await deps.client.aclose()
        wall = time.perf_counter() - t0
        for worker in ctx.background:
            await asyncio.to_thread(worker.join)
        if not self.server.running:
            self.server.start()
        final = await deps.store.load(created.id)
        judged = endstate.judge(task, ws)
        with self._lock:
            records, errors = list(self.records), list(self.errors)
        return _outcome(task, profile, config, seed, final, judged, records, errors, wall)


def _outcome(
    task: BenchTask,
    profile: str,
    config: Config,
    seed: int,
    final: Task,
    judged: endstate.Verdict,
    records: list[_Record],
    errors: list[str],
    wall: float,
) -> Outcome:
    status = final.status.value
    if status == TaskStatus.RUNNING or status == TaskStatus.QUEUED:
        status = "timeout"
    esc_rounds = sum(1 for e in final.journal if e.type == JournalType.ROUND and e.step == final.current_step)
    out = Outcome(
        task=task.id,
        profile=profile,
        config=config.name,
        seed=seed,
        mode=task.mode,
        possible=task.possible,
        status=status,
        end_ok=judged.ok,
        problems=list(judged.problems),
        rounds=final.rounds,
        escalation_step_rounds=esc_rounds if status == TaskStatus.NEEDS_ASSISTANCE else 0,
        calls=dict(Counter(r.kind.value for r in records)),
        tokens=_by_kind(records),
        wall_s=wall,
        model_s=sum(r.seconds for r in records),
        pause_reason=final.pause_reason or "",
        retry_attempts=[
            int(m.group(1))
            for e in final.journal
            if e.type == JournalType.RETRY and (m := _RETRY.match(e.content)) is not None
        ],
        handler_errors=errors,
    )
    if out.verdict in ("false", "needless", "other") or errors:
        out.journal_tail = [
            f"{e.type.value}[{e.step}]: {' '.join(e.content.split())[:200]}" for e in final.journal[-40:]
        ]
    return out


def _by_kind(records: list[_Record]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in records:
        out.setdefault(r.kind.value, []).append(r.prompt_tokens)
    return out
