"""A goal about one file runs as one step with the goal's own words, without a planner call; the
edit of one small file is answered as its whole new text."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from runner_helpers import SORTER, kind, run_to_idle, running, worker

from smallclaw_tui.models import JournalType, PlanStep, StepKind, TaskStatus
from smallclaw_tui.runner.one_file_plan import the_one_file
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

WHOLE = "You edit one file"

NOTES = "# notes\n- we recieve it monday\n- they recieve it friday\n"


def test_the_one_file_a_goal_names_is_found_by_path_name_or_stem() -> None:
    files = ["CHANGELOG.md", "pyproject.toml", "lists/groceries.txt", ".env", "src/a.txt", "app.py"]
    assert the_one_file("the changelog needs a 1.3.0 entry", files) == "CHANGELOG.md"
    assert the_one_file("bump the version in pyproject to 0.4.0", files) == "pyproject.toml"
    assert the_one_file("stick oat milk at the end of groceries.txt", files) == "lists/groceries.txt"
    assert the_one_file("PORT=9000 in .env please", files) == ".env"
    assert the_one_file("new file docs/setup.md, only line: make", files) == "docs/setup.md"
    # Several files, none, a short stem, a download: the planner's case.
    assert the_one_file("copy src/a.txt to dst/a.txt", files) is None
    assert the_one_file("back up .env as .env.bak", files) is None
    assert the_one_file("make the app faster", files) is None
    assert the_one_file("fetch https://example.com/x.txt into x.txt", files) is None


FIXED = NOTES.replace("recieve", "receive")


def _fixer(asked: list[str]) -> Callable[[ChatRequest], Reply]:
    def handler(req: ChatRequest) -> Reply:
        asked.append(kind(req))
        if SORTER in req.system_text:
            return Reply(text="CHANGE")
        if kind(req) == "plan":
            raise AssertionError("no planner call for a goal about one file")
        if WHOLE in req.system_text:
            return Reply(text=f"Here it is:\n```markdown\n{FIXED}```")
        return worker(lambda r: Reply(text="DONE"))(req)

    return handler


async def test_a_goal_about_one_file_is_one_step_in_its_own_words(workspace: Path) -> None:
    (workspace / "notes.md").write_text(NOTES)
    asked: list[str] = []
    async with running(workspace, _fixer(asked)) as (runner, _srv, _ev):
        goal = "notes.md says recieve instead of receive, fix them all"
        task = await runner.create_task(goal)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        done = runner.tasks[task.id]
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert [(s.description, s.kind, s.files) for s in done.plan] == [(goal, StepKind.EDIT, ["notes.md"])]
    assert (workspace / "notes.md").read_text() == FIXED
    assert asked.count("plan") == 1  # the one-word question, not a plan
    calls = [e.content for e in done.journal if e.type == JournalType.TOOL_CALL]
    assert len(calls) == 1 and calls[0].startswith("write_file")  # checkpointed and journaled as a call


async def test_a_whole_file_answer_that_destroys_the_file_is_undone_and_sampled_again(
    workspace: Path,
) -> None:
    """The answer of the first try keeps one line of six: the size rule rejects it, the file is put
    back, and the next try samples at the retry temperature; its right answer stands."""
    (workspace / "notes.md").write_text(NOTES * 3)
    answers = iter(["```\n- we receive it monday\n```", f"```\n{FIXED * 3}```"])
    options: list[dict[str, object]] = []
    seen: list[str] = []

    def handler(req: ChatRequest) -> Reply:
        if WHOLE in req.system_text:
            options.append(dict(req.options))
            seen.append((workspace / "notes.md").read_text())
            return Reply(text=next(answers))
        return worker(lambda r: Reply(text="DONE"))(req)

    step = PlanStep(index=0, description="fix recieve everywhere", kind=StepKind.EDIT, files=["notes.md"])
    async with running(workspace, handler) as (runner, _srv, _ev):
        task = await runner.create_task("fix the typo", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        done = runner.tasks[task.id]
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert seen == [NOTES * 3, NOTES * 3]  # the second try saw the file as it was, not the wreck
    assert options[1].get("temperature") == 0.7 and isinstance(options[1].get("seed"), int)
    assert (workspace / "notes.md").read_text() == FIXED * 3
    assert any("the edit left" in e.content for e in done.journal if e.type == JournalType.VERIFY)


async def test_a_whole_file_answer_without_the_text_changes_nothing(workspace: Path) -> None:
    (workspace / "notes.md").write_text(NOTES)

    def handler(req: ChatRequest) -> Reply:
        if WHOLE in req.system_text:
            return Reply(text="I replaced every recieve with receive.")
        return worker(lambda r: Reply(text="DONE"))(req)

    step = PlanStep(index=0, description="fix recieve everywhere", kind=StepKind.EDIT, files=["notes.md"])
    async with running(workspace, handler, runner__max_step_attempts=2) as (runner, _srv, _ev):
        task = await runner.create_task("fix the typo", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        stuck = runner.tasks[task.id]
    assert stuck.status == TaskStatus.NEEDS_ASSISTANCE
    assert "the answer held no ``` block with the new text of notes.md" in (stuck.pause_reason or "")
    assert (workspace / "notes.md").read_text() == NOTES


async def test_a_goal_that_only_reads_its_one_file_goes_to_the_planner(workspace: Path) -> None:
    (workspace / "app.log").write_text("ERROR disk full\nINFO ok\n")
    plans: list[str] = []

    def handler(req: ChatRequest) -> Reply:
        if SORTER in req.system_text:
            return Reply(text="LOOK")
        if kind(req) == "plan":
            plans.append(req.last_user_text)
            return Reply(
                text='{"steps": [{"action": "read", "files": ["app.log"], "description": "Read app.log"}]}'
            )
        return worker(lambda r: Reply.tool("read_file", {"path": "app.log"}))(req)

    async with running(workspace, handler) as (runner, _srv, _ev):
        task = await runner.create_task("report the errors in app.log")
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        done = runner.tasks[task.id]
    assert plans, "the planner plans a goal that does not change its file"
    assert done.plan[0].kind == StepKind.READ
    assert (workspace / "app.log").read_text() == "ERROR disk full\nINFO ok\n"


async def test_a_goal_that_names_a_new_file_is_planned(workspace: Path) -> None:
    """Only a file that is there is edited in the goal's own words: a file to make gets the
    planner's imperative step (the 1.5B narrated "make a .gitignore" instead of writing it)."""
    plans: list[str] = []

    def handler(req: ChatRequest) -> Reply:
        if SORTER in req.system_text:
            raise AssertionError("no question for a file that is not there")
        if kind(req) == "plan":
            plans.append(req.last_user_text)
            step = {"action": "create", "files": ["docs/install.md"], "description": "Write docs/install.md"}
            return Reply(text=json.dumps({"steps": [step]}))
        return worker(
            lambda r: Reply.tool("write_file", {"path": "docs/install.md", "content": "run make install\n"})
        )(req)

    async with running(workspace, handler) as (runner, _srv, _ev):
        task = await runner.create_task("new file docs/install.md, only line: run make install")
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        done = runner.tasks[task.id]
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert plans and done.plan[0].kind == StepKind.CREATE
    assert (workspace / "docs/install.md").read_text() == "run make install\n"


async def test_a_look_answer_gives_way_when_the_plan_writes_the_one_file(workspace: Path) -> None:
    """Qwen2.5-Coder-1.5B, held-out drop-bob: asked one word it said LOOK for "bob left, remove his
    line from team.txt", then planned "Write team.txt with the line 'bob'" with a check that bob
    is there. The plan's own kinds say the goal writes the file: it is the one-file edit."""
    team = "alice - design\nbob - backend\ncarol - qa\n"
    (workspace / "team.txt").write_text(team)

    def handler(req: ChatRequest) -> Reply:
        if SORTER in req.system_text:
            return Reply(text="LOOK")
        if kind(req) == "plan":
            step = {
                "action": "create",
                "files": ["team.txt"],
                "description": "Write team.txt with the line 'bob'",
                "checks": [{"kind": "file_contains", "path": "team.txt", "text": "bob"}],
            }
            return Reply(text=json.dumps({"steps": [step]}))
        if WHOLE in req.system_text:
            return Reply(text="```\nalice - design\ncarol - qa\n```")
        return worker(lambda r: Reply(text="DONE"))(req)

    done, _srv = await run_to_idle(workspace, handler, None, goal="bob left, remove his line from team.txt")
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert [s.description for s in done.plan] == ["bob left, remove his line from team.txt"]
    assert (workspace / "team.txt").read_text() == "alice - design\ncarol - qa\n"


async def test_the_planners_second_answer_is_sampled_with_a_recorded_seed(workspace: Path) -> None:
    """At temperature 0 the 1.5B gave the same unusable plan twice, word for word (held-out count-py)."""
    options: list[dict[str, object]] = []

    def handler(req: ChatRequest) -> Reply:
        if kind(req) == "plan":
            options.append(dict(req.options))
            return Reply(text='{"steps": [{"action": "read", "files": ["src"], "description": "List src"}]}')
        return worker(lambda r: Reply(text="DONE"))(req)

    async with running(workspace, handler, runner__seed=41) as (runner, _srv, _ev):
        await runner.create_task("how many python files are in src? the number in py_count.txt")
        await asyncio.wait_for(runner.wait_until_idle(), 30)
    assert len(options) == 2
    assert options[0].get("seed") is None  # the first answer samples as configured
    assert options[1].get("temperature") == 0.7 and options[1].get("seed") == 41
