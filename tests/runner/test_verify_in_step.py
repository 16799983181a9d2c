"""`runner.verify_in_step`: the verifier's question is the last user turn of the step's own
conversation (or of the whole-file exchange), so a server with a prompt cache reads only it."""

from __future__ import annotations

from pathlib import Path

from runner_helpers import honest_verifier, kind, run_to_idle

from smallclaw_tui.models import FileContainsCheck, PlanStep, StepKind, TaskStatus
from smallclaw_tui.runner.prompts import TASK_SYSTEM
from smallclaw_tui.runner.verifier import IN_STEP_HEAD
from smallclaw_tui.runner.whole_file import SYSTEM as WHOLE
from smallclaw_tui.testing.fake_server import ChatRequest, Reply


async def test_the_question_ends_the_steps_own_conversation(workspace: Path) -> None:
    asked: list[ChatRequest] = []

    def handler(req: ChatRequest) -> Reply:
        if IN_STEP_HEAD in req.last_user_text:
            asked.append(req)
            return honest_verifier(req)
        if kind(req) == "summary":
            return Reply(text="ok")
        if kind(req) == "verify":  # the goal review at the end
            return honest_verifier(req)
        if req.tool_results:
            return Reply(text="DONE: wrote a.txt")
        return Reply.tool("write_file", {"path": "a.txt", "content": "hello"})

    step = PlanStep(
        index=0, description="Write hello into a.txt", checks=[FileContainsCheck(path="a.txt", text="hello")]
    )
    done, _srv = await run_to_idle(
        workspace, handler, [step], goal="say hello in a.txt", runner__verify_in_step=True
    )
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert len(asked) == 1
    req = asked[0]
    # The worker's system message and its step prompt come first; the question is the last turn.
    assert req.system_text.startswith(TASK_SYSTEM)
    users = req.texts("user")
    assert users[0].startswith("Goal: say hello in a.txt") and users[-1].startswith(IN_STEP_HEAD)
    assert req.tool_results, "the step's calls and results are part of the conversation"


async def test_a_whole_file_answer_is_checked_after_the_same_exchange(workspace: Path) -> None:
    (workspace / "notes.txt").write_text("a recieve\n")
    asked: list[ChatRequest] = []

    def handler(req: ChatRequest) -> Reply:
        if IN_STEP_HEAD in req.last_user_text:
            asked.append(req)
            return honest_verifier(req)
        if WHOLE in req.system_text:
            return Reply(text="```\na receive\n```")
        return honest_verifier(req) if kind(req) == "verify" else Reply(text="ok")

    step = PlanStep(index=0, description="fix the typo in notes.txt", kind=StepKind.EDIT, files=["notes.txt"])
    done, _srv = await run_to_idle(
        workspace, handler, [step], goal="fix the typo in notes.txt", runner__verify_in_step=True
    )
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert (workspace / "notes.txt").read_text() == "a receive\n"
    req = asked[0]
    assert req.system_text == WHOLE
    assert [m["role"] for m in req.messages][-3:] == ["user", "assistant", "user"]
