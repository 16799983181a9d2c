"""A step that edits or creates one file is answered as the file's whole text in a fenced block."""

from __future__ import annotations

import asyncio
from pathlib import Path

from runner_helpers import running, worker

from smallclaw_tui.models import JournalType, PlanStep, StepKind, TaskStatus
from smallclaw_tui.runner.whole_file import new_text
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

WHOLE = "You edit one file"
LOG = "10:00 INFO up\n10:01 WARN disk 81%\n10:02 INFO ok\n10:03 WARN slow\n"


def test_the_file_text_is_read_from_the_block_as_small_models_write_it() -> None:
    assert new_text("Here it is:\n```text\na\nb\n```\nDone.", "old\n") == "a\nb\n"
    assert new_text("```\na\nb```", "old\n") == "a\nb\n"  # the fence at the end of the last line
    # A markdown file with a fence of its own: the last bare fence closes the block.
    assert new_text("```md\n# t\n```py\nx = 1\n```\nend\n```\n", "old\n") == "# t\n```py\nx = 1\n```\nend\n"
    assert new_text("```\nno final newline\n```", "old") == "no final newline"  # as the old file was
    assert new_text("I changed it as asked.", "old\n") is None


async def test_a_file_to_create_is_written_from_the_files_the_goal_names(workspace: Path) -> None:
    (workspace / "server.log").write_text(LOG)
    asked: list[str] = []

    def handler(req: ChatRequest) -> Reply:
        if WHOLE in req.system_text:
            asked.append(req.last_user_text)
            return Reply(text="```\n10:01 WARN disk 81%\n10:03 WARN slow\n```")
        return worker(lambda r: Reply(text="DONE"))(req)

    step = PlanStep(
        index=0,
        description="Write the WARN lines to warnings.txt",
        kind=StepKind.CREATE,
        files=["warnings.txt"],
    )
    async with running(workspace, handler) as (runner, _srv, _ev):
        task = await runner.create_task("pull the WARN lines from server.log into warnings.txt", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        done = runner.tasks[task.id]
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert (workspace / "warnings.txt").read_text() == "10:01 WARN disk 81%\n10:03 WARN slow\n"
    assert (workspace / "server.log").read_text() == LOG
    # The result the verifier cites and the user reads says what changed, not only a byte count.
    result = next(e.content for e in done.journal if e.type == JournalType.TOOL_RESULT)
    assert "changed lines of warnings.txt:\n+10:01 WARN disk 81%\n+10:03 WARN slow" in result
    assert asked[0].startswith(
        f"The current text of server.log:\n```\n{LOG.rstrip()}\n```\n\nwarnings.txt does not exist yet."
    )
