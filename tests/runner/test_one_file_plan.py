"""A goal about one file runs as one step with the goal's own words, without a planner call; the
goal review can be asked both ways so that a reviewer that says YES to everything cannot pass."""

from __future__ import annotations

import asyncio
from pathlib import Path

from runner_helpers import REVIEW, SORTER, kind, running, worker

from smallclaw_tui.models import StepKind, TaskStatus
from smallclaw_tui.runner.one_file_plan import the_one_file
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

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


def _fixer(asked: list[str]) -> object:
    def handler(req: ChatRequest) -> Reply:
        asked.append(kind(req))
        if SORTER in req.system_text:
            return Reply(text="CHANGE")
        if kind(req) == "plan":
            raise AssertionError("no planner call for a goal about one file")
        return worker(
            lambda r: Reply.tool(
                "replace_text", {"path": "notes.md", "old": "recieve", "new": "receive", "all": True}
            )
        )(req)

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
    assert (workspace / "notes.md").read_text() == NOTES.replace("recieve", "receive")
    assert asked.count("plan") == 1  # the one-word question, not a plan


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


async def test_a_goal_that_names_a_new_file_is_one_create_step_without_a_question(workspace: Path) -> None:
    asked: list[str] = []

    def handler(req: ChatRequest) -> Reply:
        asked.append(kind(req))
        return worker(
            lambda r: Reply.tool("write_file", {"path": "docs/install.md", "content": "run make install\n"})
        )(req)

    async with running(workspace, handler) as (runner, _srv, _ev):
        task = await runner.create_task("new file docs/install.md, only line: run make install")
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        done = runner.tasks[task.id]
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert done.plan[0].kind == StepKind.CREATE and "plan" not in asked


def _reviewed_by(review: str, wrong_answer: str) -> object:
    def handler(req: ChatRequest) -> Reply:
        if REVIEW in req.system_text:
            if "Is something wrong" in req.last_user_text:
                return Reply(text=f"VERDICT: {wrong_answer}\nREASON: {review}")
            return Reply(text="VERDICT: YES\nREASON: looks right")
        return _fixer([])(req)  # type: ignore[operator]

    return handler


async def test_a_reviewer_that_says_yes_both_ways_does_not_complete_the_task(workspace: Path) -> None:
    (workspace / "notes.md").write_text(NOTES)
    async with running(workspace, _reviewed_by("one is left", "YES"), runner__goal_review_both_ways=True) as (
        runner,
        _srv,
        _ev,
    ):
        task = await runner.create_task("notes.md says recieve instead of receive, fix them all")
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        stuck = runner.tasks[task.id]
    assert stuck.status == TaskStatus.NEEDS_ASSISTANCE
    assert "asked whether something is wrong, it said yes: one is left" in (stuck.pause_reason or "")


async def test_a_reviewer_that_finds_nothing_wrong_completes_the_task(workspace: Path) -> None:
    (workspace / "notes.md").write_text(NOTES)
    async with running(workspace, _reviewed_by("nothing", "NO"), runner__goal_review_both_ways=True) as (
        runner,
        _srv,
        _ev,
    ):
        task = await runner.create_task("notes.md says recieve instead of receive, fix them all")
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        done = runner.tasks[task.id]
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
