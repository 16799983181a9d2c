"""`runner.verify_in_step`: the verifier's question is the last user turn of the step's own
conversation (or of the whole-file exchange), so a server with a prompt cache reads only it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from runner_helpers import honest_verifier, kind, run_to_idle

from smallclaw_tui.models import FileContainsCheck, PlanStep, StepKind, TaskStatus
from smallclaw_tui.runner.goal_review import SYSTEM as REVIEW_SYSTEM
from smallclaw_tui.runner.prompts import TASK_SYSTEM
from smallclaw_tui.runner.verifier import IN_STEP_HEAD
from smallclaw_tui.runner.verifier import SYSTEM as VERIFIER_SYSTEM
from smallclaw_tui.runner.whole_file import SYSTEM as WHOLE
from smallclaw_tui.testing.fake_server import ChatRequest, Reply


def _hello_writer(asked: list[ChatRequest], steps: list[ChatRequest]) -> Callable[[ChatRequest], Reply]:
    """Writes hello into a.txt; records the verifier's questions (wherever they are put, the goal
    review at the end aside) and the worker's own requests."""

    def handler(req: ChatRequest) -> Reply:
        if kind(req) == "summary":
            return Reply(text="ok")
        if kind(req) == "verify":
            if not req.system_text.startswith(REVIEW_SYSTEM):
                asked.append(req)
            return honest_verifier(req)
        steps.append(req)
        if req.tool_results:
            return Reply(text="DONE: wrote a.txt")
        return Reply.tool("write_file", {"path": "a.txt", "content": "hello"})

    return handler


_HELLO = PlanStep(
    index=0, description="Write hello into a.txt", checks=[FileContainsCheck(path="a.txt", text="hello")]
)


async def test_the_question_ends_the_steps_own_conversation(workspace: Path) -> None:
    asked: list[ChatRequest] = []
    done, _srv = await run_to_idle(
        workspace, _hello_writer(asked, []), [_HELLO], goal="say hello in a.txt", runner__verify_in_step=True
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


async def test_a_shared_prefix_question_opens_as_the_step_did_and_holds_nothing_of_its_turn(
    workspace: Path,
) -> None:
    """`runner.verify_shared_prefix`: the server has the step's system text and tools cached and
    reads only the question; the verifier sees the evidence the question lists, not the worker's
    own messages (in the step's conversation it judged the worker's undone detours: TUNING §24)."""
    asked: list[ChatRequest] = []
    steps: list[ChatRequest] = []
    done, _srv = await run_to_idle(
        workspace,
        _hello_writer(asked, steps),
        [_HELLO],
        goal="say hello in a.txt",
        runner__verify_shared_prefix=True,
    )
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    question = asked[0]
    assert question.system_text == steps[0].system_text and question.system_text.startswith(TASK_SYSTEM)
    assert question.tools == steps[0].tools and question.tools
    assert [m["role"] for m in question.messages] == ["system", "user"]
    assert question.last_user_text.startswith(IN_STEP_HEAD)
    assert "R1" in question.last_user_text  # the write's result is listed as evidence
    assert not question.tool_results


async def test_a_verifier_model_of_its_own_is_asked_apart_from_the_workers_conversation(
    workspace: Path,
) -> None:
    """Both cached-prefix modes put the question to the worker's model: a verifier model that
    was set gets its fresh prompt."""
    for setting in ("runner__verify_in_step", "runner__verify_shared_prefix"):
        (workspace / "a.txt").unlink(missing_ok=True)
        asked: list[ChatRequest] = []
        done, _srv = await run_to_idle(
            workspace,
            _hello_writer(asked, []),
            [_HELLO],
            goal="say hello in a.txt",
            llm__verifier_model="qwen3:4b",  # set, even to the worker's model
            **{setting: True},
        )
        assert done.status == TaskStatus.COMPLETE, done.pause_reason
        assert asked[0].system_text == VERIFIER_SYSTEM, setting


async def test_a_whole_file_answer_keeps_the_fresh_verifier_with_a_shared_prefix(workspace: Path) -> None:
    (workspace / "notes.txt").write_text("a recieve\n")
    asked: list[ChatRequest] = []

    def handler(req: ChatRequest) -> Reply:
        if WHOLE in req.system_text:
            return Reply(text="```\na receive\n```")
        if kind(req) == "verify":
            asked.append(req)
            return honest_verifier(req)
        return Reply(text="ok")

    step = PlanStep(index=0, description="fix the typo in notes.txt", kind=StepKind.EDIT, files=["notes.txt"])
    done, _srv = await run_to_idle(
        workspace, handler, [step], goal="fix the typo in notes.txt", runner__verify_shared_prefix=True
    )
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert asked and not any(IN_STEP_HEAD in r.last_user_text for r in asked)


async def test_by_default_the_question_opens_as_the_step_did(workspace: Path) -> None:
    """The default since tuning 24: the same outcomes as a fresh verifier prompt on both real-model
    task sets, and the server reads only the question (docs/benchmarks.md)."""
    asked: list[ChatRequest] = []
    steps: list[ChatRequest] = []
    done, _srv = await run_to_idle(
        workspace, _hello_writer(asked, steps), [_HELLO], goal="say hello in a.txt"
    )
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    question = asked[0]
    assert question.last_user_text.startswith(IN_STEP_HEAD)
    assert question.system_text == steps[0].system_text and [m["role"] for m in question.messages] == [
        "system",
        "user",
    ]
