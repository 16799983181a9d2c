from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from runner_helpers import honest_verifier, kind, running

from smallclaw_tui.models import FileContainsCheck, JournalType, PlanStep, StepStatus, TaskStatus
from smallclaw_tui.runner.events import NeedsAssistance, Verification
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

STEP = [
    PlanStep(
        index=0, description="write out.txt saying hi", checks=[FileContainsCheck(path="out.txt", text="hi")]
    )
]


def one_step_honest(req: ChatRequest) -> Reply:
    k = kind(req)
    if k == "verify":
        return honest_verifier(req)
    if k == "summary":
        return Reply(text="Wrote out.txt.")
    if req.tool_results:
        return Reply(text="DONE: wrote out.txt")
    return Reply.tool("write_file", {"path": "out.txt", "content": "hi"})


async def test_liar_never_advances_and_escalates_within_bounded_rounds(workspace: Path) -> None:
    calls = {"n": 0}

    def liar(req: ChatRequest) -> Reply:
        calls["n"] += 1
        if kind(req) == "verify":
            return Reply(text="VERDICT: YES\nEVIDENCE: wrote 2 bytes to greeting\nREASON: it is done")
        if not req.tool_results:
            return Reply.tool("list_dir", {"path": "."})  # one real, harmless call, then a claim
        return Reply(text="DONE: I greeted the user.")

    # No checks and no file named: only the evidence rule stands between the liar and a false completion.
    steps = [PlanStep(index=0, description="greet the user warmly"), PlanStep(index=1, description="more")]
    async with running(workspace, liar, runner__max_step_attempts=2) as (runner, _srv, events):
        task = await runner.create_task("Greet", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert task.plan[0].status != StepStatus.DONE and task.current_step == 0
    assert "not verified after 2 attempts" in (task.pause_reason or "")
    assert "cited evidence is not in the tool results" in (task.pause_reason or "")
    assert task.rounds <= 2 and calls["n"] <= 8  # bounded: two rounds of two calls, two questions
    assert [v.passed for v in events if isinstance(v, Verification)] == [False, False]


async def test_a_claim_with_no_successful_tool_call_is_rejected_without_asking(workspace: Path) -> None:
    kinds: list[str] = []

    def liar(req: ChatRequest) -> Reply:
        kinds.append(kind(req))
        if kind(req) == "verify":
            return Reply(text="VERDICT: YES\nEVIDENCE: done\nREASON: ok")
        if not req.tool_results:
            return Reply.tool("read_file", {"path": "report.pdf"})  # fails: no such file
        return Reply(text="DONE: summarized the report")

    steps = [PlanStep(index=0, description="summarize the report")]
    async with running(workspace, liar) as (runner, _srv, _events):
        task = await runner.create_task("Summarize", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "nothing shows the step is done" in (task.pause_reason or "")
    assert "verify" not in kinds


async def test_a_step_that_names_a_file_to_write_must_leave_it_behind(workspace: Path) -> None:
    def liar(req: ChatRequest) -> Reply:
        if kind(req) == "verify":
            return Reply(text="VERDICT: YES\nEVIDENCE: .: 0 folders, 0 files\nREASON: ok")
        if not req.tool_results:
            return Reply.tool("list_dir", {"path": "."})
        return Reply(text="DONE")

    steps = [PlanStep(index=0, description="Write the summary into report.md")]
    async with running(workspace, liar) as (runner, _srv, _events):
        task = await runner.create_task("Summarize", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "report.md does not exist" in (task.pause_reason or "")


async def test_liar_with_checks_fails_on_the_checks_without_asking_the_verifier(workspace: Path) -> None:
    kinds: list[str] = []

    def liar(req: ChatRequest) -> Reply:
        kinds.append(kind(req))
        return Reply(
            text="VERDICT: YES\nEVIDENCE: done\nREASON: ok" if kind(req) == "verify" else "DONE: did it"
        )

    async with running(workspace, liar) as (runner, _srv, _events):
        task = await runner.create_task("Write out.txt", steps=STEP)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "check failed: out.txt does not exist" in (task.pause_reason or "")
    assert "verify" not in kinds
    verify_entries = [e.content for e in task.journal if e.type == JournalType.VERIFY]
    assert verify_entries and all("FAILED" in c for c in verify_entries)


async def test_looper_ends_in_needs_assistance_naming_the_call(workspace: Path) -> None:
    (workspace / "a.txt").write_text("x")

    def looper(req: ChatRequest) -> Reply:
        return Reply.tool("read_file", {"path": "a.txt"})

    async with running(workspace, looper) as (runner, srv, events):
        task = await runner.create_task("Read a.txt", steps=STEP)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
        n_requests = len(srv.chat_requests)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "read_file" in (task.pause_reason or "") and "a.txt" in (task.pause_reason or "")
    assert any(isinstance(e, NeedsAssistance) and "read_file" in e.reason for e in events)
    assert any(e.type == JournalType.LOOP for e in task.journal)
    assert n_requests <= 8  # stuck at the 6th identical call: cycles burned are bounded


async def test_server_that_fails_a_few_times_then_recovers_completes(workspace: Path) -> None:
    faults = iter(
        [
            Reply.fail(500, "model runner crashed"),
            Reply(text="partial", cut_after_chunks=1),
            Reply.fail(503, "loading"),
        ]
    )

    def flaky(req: ChatRequest) -> Reply:
        return next(faults, None) or one_step_honest(req)

    async with running(workspace, flaky) as (runner, _srv, _events):
        task = await runner.create_task("Write out.txt", steps=STEP)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.COMPLETE
    assert (workspace / "out.txt").read_text() == "hi"
    retries = [e for e in task.journal if e.type == JournalType.RETRY]
    assert len(retries) == 3 and "transport error" in retries[0].content


async def test_refused_connection_then_server_comes_back(workspace: Path) -> None:
    async with running(workspace, one_step_honest, runner__retry_base_s=0.2, runner__retry_max_s=0.2) as (
        runner,
        srv,
        _events,
    ):
        srv.stop()
        task = await runner.create_task("Write out.txt", steps=STEP)
        await asyncio.sleep(0.3)  # let it hit the refused port at least once
        srv.start()
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.COMPLETE
    assert any("refused" in e.content.lower() for e in task.journal if e.type == JournalType.RETRY)


async def test_server_that_stays_down_pauses_with_bounded_retries_and_no_busy_loop(workspace: Path) -> None:
    async with running(
        workspace,
        one_step_honest,
        runner__retry_max_attempts=4,
        runner__retry_base_s=0.1,
        runner__retry_max_s=0.3,
    ) as (runner, srv, _events):
        srv.stop()
        started = time.monotonic()
        task = await runner.create_task("Write out.txt", steps=STEP)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        elapsed = time.monotonic() - started
        task = await runner.store.load(task.id)
        url = runner.settings.llm.base_url
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert (task.pause_reason or "").startswith(f"model server unreachable at {url}")
    retries = [e for e in task.journal if e.type == JournalType.RETRY]
    assert len(retries) == 4  # exactly the configured cap, then stop
    # Each retry waited its backoff (base·2^i capped, jitter 0.5–1.0) and really slept it.
    waits = [float(re.search(r" in ([\d.]+)s:", e.content).group(1)) for e in retries]  # type: ignore[union-attr]
    for i, wait in enumerate(waits):
        cap = min(0.3, 0.1 * 2**i)
        assert cap * 0.5 - 0.05 <= wait <= cap + 0.05
    assert sum(waits) * 0.9 <= elapsed < 10


async def test_model_not_found_needs_assistance_not_failed(workspace: Path) -> None:
    async with running(workspace, one_step_honest, llm__model="no-such-model:1b") as (runner, _srv, _events):
        task = await runner.create_task("Write out.txt", steps=STEP)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "no-such-model:1b" in (task.pause_reason or "")
