"""The background runner, end to end, with a real model: one one-step task with a check.

Any honest end state passes: ``complete`` with the check really passing on disk, or
``needs_assistance`` with a reason. ``complete`` with the check failing never does — that is the
one outcome the runner exists to prevent, and a 135M model will try to cause it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from smallclaw_tui.config import Settings
from smallclaw_tui.llm.openai import OpenAIClient
from smallclaw_tui.models import FileContainsCheck, JournalType, PlanStep, TaskStatus
from smallclaw_tui.runner.checks import run_checks
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.tools.base import ToolContext

pytestmark = [pytest.mark.real_model, pytest.mark.timeout(600)]


async def test_one_step_task_ends_honestly(
    workspace: Path, real_settings: Settings, real_client: OpenAIClient
) -> None:
    check = FileContainsCheck(path="hello.txt", text="hello")
    deps = RunnerDeps.for_settings(real_settings, client=real_client)
    runner = BackgroundTaskRunner(deps)
    await runner.start()
    try:
        task = await runner.create_task(
            "Create hello.txt containing the word hello",
            steps=[
                PlanStep(
                    index=0,
                    description="Use write_file to create hello.txt containing the word hello",
                    checks=[check],
                )
            ],
        )
        # Bounded by the settings (2 rounds per step, 2 attempts); this only guards a hang.
        await asyncio.wait_for(runner.wait_until_idle(), timeout=540)
    finally:
        await runner.stop(grace_s=5)

    done = await deps.store.load(task.id)
    types = [e.type for e in done.journal]
    # Shown with `pytest -rP`: what the model did, for the tier's log.
    print(f"end state: {done.status.value} after {done.rounds} round(s): {done.pause_reason or 'complete'}")
    for e in done.journal:
        print(f"  {e.type.value:<11} {' '.join(e.content.split())[:150]}")
    assert done.status in (TaskStatus.COMPLETE, TaskStatus.NEEDS_ASSISTANCE), (
        done.status,
        done.pause_reason,
    )
    assert done.rounds >= 1 and JournalType.ROUND in types and JournalType.PROMPT in types

    outcome = (await run_checks([check], ToolContext(workspace=workspace, settings=real_settings.tools)))[0]
    if done.status is TaskStatus.COMPLETE:
        assert outcome.passed, f"false completion: the task is complete but {outcome.detail}"
        assert done.plan[0].status == "done" and done.final_summary
        assert any(e.type is JournalType.VERIFY and e.detail.get("passed") for e in done.journal)
    else:
        assert done.pause_reason and done.pause_reason.strip(), "needs_assistance without a reason"
        assert done.plan[0].status != "done"
