"""The planner's defences against what small models do to a plan (seen on Qwen2.5-Coder 0.5B/1.5B)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from runner_helpers import kind, running
from test_runner_honest import honest

from smallclaw_tui.models import FileContainsCheck, JournalType, StepKind, Task, TaskStatus
from smallclaw_tui.runner.planner import _parse, trusted_plan
from smallclaw_tui.testing.fake_server import ChatRequest, Reply


def _never(_cmd: str) -> bool:
    return False


def test_a_stray_brace_does_not_lose_a_step() -> None:
    # Qwen2.5-Coder-1.5B: `…]} }, {` after the first step; a whole-answer repair dropped that step.
    raw = (
        '```json { "steps": [ { "description": "Create greetings folder", "checks": [] } }, '
        '{ "description": "Create greetings/hello.txt with Hello", "checks": [] }, '
        '{ "description": "Create greetings/bye.txt with Bye", "checks": [] } ] }```'
    )
    assert [s.description for s in _parse(raw)] == [
        "Create greetings folder",
        "Create greetings/hello.txt with Hello",
        "Create greetings/bye.txt with Bye",
    ]


def test_checks_that_guess_what_the_goal_does_not_say_are_dropped_and_reported() -> None:
    goal = "In app.cfg rename the key user to owner"
    steps = _parse(
        json.dumps(
            {
                "steps": [
                    {
                        "description": "Rename the key user to owner in app.cfg",
                        "checks": [
                            {"kind": "file_contains", "path": "app.cfg", "text": "user = owner"},
                            {"kind": "file_contains", "path": "app.cfg", "text": "owner"},
                            {"kind": "file_exists", "path": "notes.md"},
                            {"kind": "command_succeeds", "command": "wc -l app.cfg > keys.txt"},
                        ],
                    },
                    {"description": "Write the keys of app.cfg into keys.txt", "checks": []},
                ]
            }
        )
    )
    plan, dropped = trusted_plan(steps, goal, _never)
    assert plan[0].checks == [FileContainsCheck(path="app.cfg", text="owner")]
    assert len(dropped) == 3
    assert any("'user = owner' is not in the goal" in d for d in dropped)
    assert any("notes.md is not named" in d for d in dropped)
    assert any("need approval or it writes" in d for d in dropped)


def test_a_step_copied_from_the_prompts_example_is_dropped() -> None:
    steps = _parse(
        json.dumps(
            {
                "steps": [
                    {"description": "Write greet.txt with the line 'hi'"},
                    {"description": "Write list.txt with eggs"},
                    {"description": "Add soap to list.txt"},
                ]
            }
        )
    )
    plan, dropped = trusted_plan(steps, "Write eggs to list.txt, then add soap", _never)
    assert [s.description for s in plan] == ["Write list.txt with eggs", "Add soap to list.txt"]
    assert [s.index for s in plan] == [0, 1]
    assert dropped and "copied from the prompt's example" in dropped[0]


async def test_the_runner_journals_what_it_left_out_of_a_plan(workspace: Path) -> None:
    plan = {
        "steps": [
            {
                "description": "write notes/a.txt",
                "checks": [{"kind": "file_contains", "path": "notes/a.txt", "text": "# Notes"}],
            },
            {"description": "write notes/b.txt", "checks": [{"kind": "file_exists", "path": "notes/b.txt"}]},
        ]
    }

    def handler(req: ChatRequest) -> Reply:
        if kind(req) == "plan":
            # The worked example is its own earlier turn, before the real goal.
            users = req.texts("user")
            assert len(users) == 2 and users[-1] == "Goal: Write two notes\n\nThe workspace has no files yet."
            return Reply(text=json.dumps(plan))
        return honest(req)

    async with running(workspace, handler) as (runner, _srv, _events):
        task = await runner.create_task("Write two notes")
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.COMPLETE
    assert task.plan[0].checks == []  # "# Notes" was a guess; step 1 falls back to its implied check
    notes = [e.content for e in task.journal if e.type == JournalType.NOTE]
    assert any("'# Notes' is not in the goal or the step; left out" in n for n in notes)


async def _planned_with(
    workspace: Path, goal: str, plan: dict[str, Any], **overrides: Any
) -> tuple[Task, list[str]]:
    """Run `goal` with a planner that answers `plan` every time; (the task, what it was asked)."""
    asked: list[str] = []

    def handler(req: ChatRequest) -> Reply:
        if kind(req) == "plan":
            asked.append(req.last_user_text)
            return Reply(text=json.dumps(plan))
        return honest(req)

    async with running(workspace, handler, **overrides) as (runner, _srv, _events):
        task = await runner.create_task(goal)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        return await runner.store.load(task.id), asked


async def test_a_one_step_plan_is_asked_again_once_then_it_stands(workspace: Path) -> None:
    one = {"steps": [{"description": "Count the words of poem.txt and write the number to words.txt"}]}
    task, asked = await _planned_with(workspace, "Count the words of poem.txt into words.txt", one)
    assert len(asked) == 2 and "want 2 to 8" in asked[1]
    assert [s.description for s in task.plan] == [one["steps"][0]["description"]]


async def test_a_plan_of_more_than_8_steps_is_asked_again_then_goes_to_the_user(workspace: Path) -> None:
    nine = {"steps": [{"description": f"write part{i}.txt"} for i in range(1, 10)]}
    task, asked = await _planned_with(workspace, "Write the nine parts", nine)
    assert len(asked) == 2 and "at most 8" in asked[1] and "want 2 to 8" not in asked[0]
    assert task.status == TaskStatus.NEEDS_ASSISTANCE and task.plan == []
    assert "could not make a usable plan" in (task.pause_reason or "")
    # The model's own answer is in the journal, for the user to see what it tried.
    assert any("part9.txt" in e.content for e in task.journal)
    assert not list(workspace.glob("part*.txt"))


TOML = "pyproject.toml"
GUESSED_GREP = "grep -q \"version = '2.0.0'\" pyproject.toml"  # the file says version = "1.4.2"


def test_odd_checks_are_dropped_one_by_one_and_the_plan_stands() -> None:
    goal = "Set the version in pyproject.toml to 2.0.0 and note it in CHANGES.md"
    steps = _parse(
        json.dumps(
            {
                "steps": [
                    {
                        "description": "Change the version in pyproject.toml to 2.0.0",
                        "checks": [
                            {"kind": "command_succeeds", "command": GUESSED_GREP},
                            {"kind": "file_contains", "path": TOML, "text": "^v.*2$", "regex": True},
                            {"kind": "file_looks_right", "path": TOML},
                            {"kind": "file_contains", "path": TOML, "text": "2.0.0"},
                        ],
                    },
                    {"description": "Write CHANGES.md with the line '2.0.0'", "checks": None},
                ]
            }
        )
    )
    plan, dropped = trusted_plan(steps, goal, lambda _cmd: True)
    assert plan[0].checks == [FileContainsCheck(path="pyproject.toml", text="2.0.0")]
    assert plan[1].checks == []
    assert len(dropped) == 3
    assert any("\"version = '2.0.0'\" is not in the goal" in d for d in dropped)
    assert any("not a check the runner knows" in d for d in dropped)


async def test_a_plan_that_leaves_out_a_file_the_goal_names_is_not_used(workspace: Path) -> None:
    # Qwen2.5-Coder-1.5B planned only "find the files with TODO" for "… and write its path to todo.txt".
    partial = {"steps": [{"description": "Find all files in src that contain the word 'TODO'"}]}

    def handler(req: ChatRequest) -> Reply:
        if kind(req) == "plan":
            return Reply(text=json.dumps(partial))
        return honest(req)

    # The goal names one file, which alone would be one step without a planner call.
    async with running(workspace, handler, runner__one_file_plans=False) as (runner, _srv, _events):
        task = await runner.create_task("Find which file in src mentions TODO and write its path to todo.txt")
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "no step mentions todo.txt, which the goal names" in (task.pause_reason or "")


async def test_a_planned_create_of_a_file_that_exists_is_held_to_an_edit(workspace: Path) -> None:
    """The 1.5B planned "Write todo.md with the line 'pay rent'" (create) for an existing list; a
    try that wiped the list then passed as a creation. Held to an edit, wiping it is rejected."""
    todo = "# this week\n- [ ] pay rent\n- [ ] call mum\n- [x] renew passport\n- [ ] book dentist\n"
    (workspace / "todo.md").write_text(todo)
    step = {"action": "create", "files": ["todo.md"], "description": "Write todo.md with 'pay rent'"}
    plan = {"steps": [step]}
    # The planner's own create (with one-file plans, the goal would not reach the planner).
    task, _asked = await _planned_with(
        workspace, "tick off pay rent in todo.md", plan, runner__one_file_plans=False
    )
    assert task.plan[0].kind == StepKind.EDIT
    assert any("held to an edit" in e.content for e in task.journal)


async def test_a_step_that_names_the_goal_file_in_its_files_mentions_it(workspace: Path) -> None:
    """Qwen2.5-Coder-1.5B planned "Rename the key 'user' to 'owner'" with files ["app.cfg"] for
    a goal about app.cfg; the plan was thrown away because no step's words named app.cfg."""
    (workspace / "app.cfg").write_text("user=admin\ntimeout=30\n")
    plan = {
        "steps": [
            {"action": "edit", "files": ["app.cfg"], "description": "Rename the key 'user' to 'owner'"},
            {"action": "edit", "files": ["app.cfg"], "description": "Raise the timeout to 60"},
            {"action": "create", "files": ["keys.txt"], "description": "Write the keys to keys.txt"},
        ]
    }
    goal = "In app.cfg rename the key user to owner and raise timeout to 60, then list the keys in keys.txt"
    task, asked = await _planned_with(workspace, goal, plan, runner__one_file_plans=False)
    assert len(asked) == 1
    assert [s.files for s in task.plan] == [["app.cfg"], ["app.cfg"], ["keys.txt"]]
    assert "no step mentions" not in (task.pause_reason or "")


def test_a_step_that_only_makes_the_folder_of_a_later_file_is_folded_into_it() -> None:
    """The 1.5B planned "Create greetings folder" (files ["greetings"]) before writing
    greetings/hello.txt; asked to write the step's file, it made a *file* named greetings, and the
    next step could not put hello.txt in it. Writing a file makes its folder, so the step goes."""
    steps = _parse(
        json.dumps(
            {
                "steps": [
                    {
                        "action": "create",
                        "files": ["greetings"],
                        "description": "Create greetings folder",
                        "checks": [{"kind": "file_exists", "path": "greetings"}],
                    },
                    {"action": "create", "files": ["greetings/hello.txt"], "description": "Write hello.txt"},
                    {"action": "create", "files": ["greetings/bye.txt"], "description": "Write bye.txt"},
                ]
            }
        )
    )
    goal = "Create a greetings folder with hello.txt saying Hello and bye.txt saying Bye"
    plan, dropped = trusted_plan(steps, goal, _never)
    assert [s.files for s in plan] == [["greetings/hello.txt"], ["greetings/bye.txt"]]
    assert [s.index for s in plan] == [0, 1]
    assert any("greetings" in d and "folder" in d for d in dropped)


def _read_step(path: str, text: str, description: str) -> dict[str, Any]:
    """A planned read step of `path`, checked to hold `text`."""
    check = {"kind": "file_contains", "path": path, "text": text}
    return {"action": "read", "files": [path], "description": description, "checks": [check]}


async def test_a_read_step_whose_own_check_fails_on_the_file_it_reads_is_left_out(workspace: Path) -> None:
    """Suite find-todo on the 1.5B: the plan's first step read README.txt with the check
    "README.txt contains 'TODO'"; the file is there and does not, and reading cannot change that:
    the step failed three tries and the task went to the user before the step that did the goal."""
    (workspace / "README.txt").write_text("nothing here\n")
    (workspace / "src").mkdir()
    (workspace / "src" / "util.py").write_text("# TODO: handle errors\n")
    first = _read_step("README.txt", "TODO", "Read README.txt and find the line containing 'TODO'")
    second = {
        "action": "create",
        "files": ["todo.txt"],
        "description": "Search src for 'TODO' and write the path of the file to todo.txt",
    }
    goal = "Find which file in src mentions TODO and write its path to todo.txt"
    task, _asked = await _planned_with(workspace, goal, {"steps": [first, second]})
    assert [s.description for s in task.plan] == [second["description"]]
    assert task.plan[0].index == 0
    assert any(
        "README.txt contains 'TODO'" in e.content and "a read step cannot change" in e.content
        for e in task.journal
    )


async def test_a_read_step_of_a_file_that_is_not_there_stays_in_the_plan(workspace: Path) -> None:
    """A missing input is the user's to know about (suite summarize-pdf): the read step stays, and
    its failure goes to "needs you" instead of a summary made up from nothing."""
    first = _read_step("report.pdf", "report", "Read report.pdf")
    second = {"action": "create", "files": ["summary.txt"], "description": "Write the summary to summary.txt"}
    goal = "Summarize report.pdf into summary.txt"
    task, _asked = await _planned_with(workspace, goal, {"steps": [first, second]})
    assert [s.description for s in task.plan] == ["Read report.pdf", second["description"]]
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert not (workspace / "summary.txt").exists()


async def test_a_read_step_of_a_file_the_goal_names_keeps_its_failing_check(workspace: Path) -> None:
    """Then the check is the goal's own premise: notes.txt without 'v2' is the user's to hear about."""
    (workspace / "notes.txt").write_text("v1 shipped\n")
    first = _read_step("notes.txt", "v2", "Read notes.txt and find the line with 'v2'")
    second = {"action": "create", "files": ["v2.txt"], "description": "Write the line with 'v2' to v2.txt"}
    goal = "Copy the line with v2 from notes.txt into v2.txt"
    task, _asked = await _planned_with(workspace, goal, {"steps": [first, second]})
    assert len(task.plan) == 2
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert not (workspace / "v2.txt").exists()


async def test_a_read_step_that_checks_an_earlier_steps_file_stays(workspace: Path) -> None:
    """Its check is the only one on the earlier step's work, which is not done yet at planning."""
    (workspace / "notes.txt").write_text("old\n")
    first = {"action": "edit", "files": ["notes.txt"], "description": "Put 'TODO: ship' into notes.txt"}
    second = _read_step("notes.txt", "TODO", "Read notes.txt and find 'TODO'")
    third = {"action": "create", "files": ["todo.txt"], "description": "Write the TODO line to todo.txt"}
    goal = "Mark the work to do and copy it to todo.txt"
    task, _asked = await _planned_with(
        workspace, goal, {"steps": [first, second, third]}, runner__one_file_plans=False
    )
    assert [s.description for s in task.plan] == [
        first["description"],
        second["description"],
        third["description"],
    ]
