"""The step rules judge a try from facts: the declared kind and files, what each file held before
the try and holds now. Unit tests on the facts, then through the real runner on loopback (with the
edit tools: `runner.whole_file_edits` off where a test scripts tool calls for an edit step)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from runner_helpers import kind, running, worker

from smallclaw_tui.models import FileContainsCheck, JournalType, PlanStep, StepKind, Task, TaskStatus
from smallclaw_tui.runner.rules import FileChange, StepFacts, judge_step
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

CONFIG = json.dumps({"name": "app", "debug": True, "port": 8080, "tags": ["a", "b"]}, indent=2) + "\n"


def facts(tmp: Path, step: PlanStep, *changes: FileChange) -> StepFacts:
    task = Task(title="t", prompt="goal", plan=[step])
    return StepFacts(task=task, step=step, workspace=tmp, entries=[], this_try=[], changes=list(changes))


async def failed(f: StepFacts) -> list[str]:
    return [x.detail for x in await judge_step(f) if not x.passed]


async def test_a_json_file_that_no_longer_parses_fails_whatever_the_words(tmp_path: Path) -> None:
    step = PlanStep(index=0, description="turn debug off", kind=StepKind.EDIT, files=["config.json"])
    bad = await failed(facts(tmp_path, step, FileChange("config.json", CONFIG, "'debug: false'")))
    assert any("config.json no longer parses (JSON" in d for d in bad)
    # The same change of a file that never parsed is not this step's fault.
    ok = await failed(facts(tmp_path, step, FileChange("config.json", "{oops", "{oops!")))
    assert not any("parses" in d for d in ok)


async def test_an_append_step_that_replaced_the_file_fails(tmp_path: Path) -> None:
    step = PlanStep(index=0, description="put eggs on the list", kind=StepKind.APPEND, files=["todo.md"])
    bad = await failed(facts(tmp_path, step, FileChange("todo.md", "- milk\n", "- eggs\n")))
    assert bad == ["todo.md no longer starts with what it held; an append only adds at the end"]
    good = await failed(facts(tmp_path, step, FileChange("todo.md", "- milk", "- milk\n- eggs\n")))
    assert good == []


async def test_a_writing_step_whose_file_did_not_change_fails(tmp_path: Path) -> None:
    step = PlanStep(index=0, description="fix the typo", kind=StepKind.EDIT, files=["pkg/__init__.py"])
    assert await failed(facts(tmp_path, step)) == [
        "pkg/__init__.py was not written in this try; this step must change it"
    ]
    same = FileChange("pkg/__init__.py", "x = 1\n", "x = 1\n")
    assert await failed(facts(tmp_path, step, same)) == [
        "pkg/__init__.py was written but holds the same text as before"
    ]


async def test_an_edit_that_deletes_most_of_a_file_fails(tmp_path: Path) -> None:
    before = "".join(f"line {i}: some text that matters\n" for i in range(20))
    step = PlanStep(index=0, description="x", kind=StepKind.EDIT, files=["notes.txt"])
    bad = await failed(facts(tmp_path, step, FileChange("notes.txt", before, "line 0\n")))
    assert any("an edit changes part of a file" in d for d in bad)
    # A declared rewrite may shrink the file: that is what replace means.
    step.kind = StepKind.REPLACE
    assert await failed(facts(tmp_path, step, FileChange("notes.txt", before, "line 0\n"))) == []


async def test_a_read_step_that_writes_fails_and_the_rules_ignore_the_wording(tmp_path: Path) -> None:
    # The words say "add"; the declared kind says read: the kind is what counts.
    step = PlanStep(index=0, description="add up the numbers", kind=StepKind.READ, files=["n.txt"])
    assert await failed(facts(tmp_path, step, FileChange("n.txt", "1\n", "2\n"))) == [
        "this step only reads, but n.txt was changed"
    ]


async def test_the_runner_restores_and_rejects_a_json_edit_that_breaks_the_file(workspace: Path) -> None:
    """Seen on fresh goals: config.json replaced by the text 'debug: false' and the task marked
    complete. Now the try is rejected (the verifier is a yes-man here), and the file restored."""
    (workspace / "config.json").write_text(CONFIG)

    def lazy(req: ChatRequest) -> Reply:
        return Reply.tool(
            "write_file", {"path": "config.json", "content": "'debug: false'", "overwrite": True}
        )

    def yes_man(req: ChatRequest) -> Reply:
        if kind(req) == "verify":
            return Reply(text="VERDICT: YES\nEVIDENCE: R1: wrote\nREASON: done")
        return worker(lazy)(req)

    step = PlanStep(index=0, description="turn debug off", kind=StepKind.EDIT, files=["config.json"])
    async with running(workspace, yes_man, runner__max_step_attempts=2, runner__whole_file_edits=False) as (
        runner,
        srv,
        _ev,
    ):
        task = await runner.create_task("turn debug off in config.json, keep the rest", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = runner.tasks[task.id]
        step_requests = [r for r in srv.chat_requests if kind(r) == "step" and not r.tool_results]

    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "no longer parses" in (task.pause_reason or "")
    assert (workspace / "config.json").read_text() == CONFIG
    # The second try was sampled, not repeated: temperature and a recorded seed went to the server.
    first, second = step_requests[0].options, step_requests[-1].options
    assert first.get("temperature") != 0.7 and "seed" not in first  # the configured sampling
    assert second.get("temperature") == 0.7 and isinstance(second.get("seed"), int)
    rounds = [e for e in task.journal if e.type == JournalType.ROUND]
    assert rounds[-1].detail == {"temperature": 0.7, "seed": second["seed"]}


async def test_the_step_prompt_shows_the_named_files_text_with_its_line_breaks(workspace: Path) -> None:
    (workspace / "todo.md").write_text("- milk\n- bread\n")
    prompts: list[str] = []

    def appender(req: ChatRequest) -> Reply:
        prompts.append(req.last_user_text)
        return Reply.tool("append_file", {"path": "todo.md", "text": "- eggs"})

    step = PlanStep(index=0, description="put eggs on it", kind=StepKind.APPEND, files=["todo.md"])
    async with running(workspace, worker(appender)) as (runner, _srv, _ev):
        task = await runner.create_task("eggs", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        assert runner.tasks[task.id].status == TaskStatus.COMPLETE, runner.tasks[task.id].pause_reason
    assert "The current text of todo.md (2 lines):\n- milk\n- bread\n\n" in prompts[0]
    assert "<<<" not in prompts[0]  # delimiters were copied into files
    assert (workspace / "todo.md").read_text() == "- milk\n- bread\n- eggs\n"


async def test_the_goal_is_judged_on_the_diff_and_a_no_shows_it(workspace: Path) -> None:
    """Every step passes its checks, but the plan rewrote the goal: the review of the whole diff
    says NO, the task needs the user with the diff in the reason, and a resume accepts it."""
    (workspace / "config.json").write_text(CONFIG)
    reviews: list[str] = []

    def rewriter(req: ChatRequest) -> Reply:
        if "You review a change" in req.system_text:
            reviews.append(req.last_user_text)
            return Reply(text="VERDICT: NO\nREASON: the other keys were removed")
        if kind(req) == "verify":
            return Reply(text="VERDICT: YES\nEVIDENCE: R1: wrote\nREASON: written")
        if kind(req) == "summary":
            return Reply(text="ok")
        if req.tool_results:
            return Reply(text="DONE")
        return Reply.tool(
            "write_file", {"path": "config.json", "content": '{"debug": false}\n', "overwrite": True}
        )

    step = PlanStep(
        index=0,
        description="Write config.json with debug false",
        kind=StepKind.REPLACE,
        files=["config.json"],
    )
    async with running(workspace, rewriter, runner__whole_file_edits=False) as (runner, _srv, _ev):
        task = await runner.create_task(
            "turn debug off in config.json and keep everything else", steps=[step]
        )
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        stuck = runner.tasks[task.id]
        assert stuck.status == TaskStatus.NEEDS_ASSISTANCE
        assert "the other keys were removed" in (stuck.pause_reason or "")
        assert '-  "port": 8080,' in (stuck.pause_reason or "")  # the diff is in the reason
        assert reviews and reviews[0].startswith(
            "Goal: turn debug off in config.json and keep everything else"
        )
        await runner.resume(task.id)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        assert runner.tasks[task.id].status == TaskStatus.COMPLETE
    assert len(reviews) == 1  # the user's resume accepted the change; not asked again


async def test_a_run_step_that_rewrites_an_earlier_steps_file_is_not_held_to_the_old_text(
    workspace: Path,
) -> None:
    """Measured on Qwen2.5-Coder-1.5B (held-out grab-warns): step 1 made warnings.txt with a
    placeholder, step 2 ran `grep WARN server.log > warnings.txt`; the end check then wanted the
    placeholder back. A command's output file is what the command wrote."""
    (workspace / "server.log").write_text("INFO up\nWARN disk\nINFO ok\n")

    def act(req: ChatRequest) -> Reply:
        if "Current step (1 of 2)" in req.last_user_text:
            return Reply.tool("write_file", {"path": "warnings.txt", "content": "placeholder\n"})
        return Reply.tool("run_shell", {"command": "grep WARN server.log > warnings.txt"})

    steps = [
        PlanStep(index=0, description="make warnings.txt", kind=StepKind.CREATE, files=["warnings.txt"]),
        PlanStep(index=1, description="fill it", kind=StepKind.RUN, files=["warnings.txt"]),
    ]
    async with running(workspace, worker(act), runner__whole_file_edits=False) as (runner, _srv, _ev):
        task = await runner.create_task("collect the WARN lines of server.log in warnings.txt", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        done = runner.tasks[task.id]
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert (workspace / "warnings.txt").read_text() == "WARN disk\n"


async def test_a_declared_edit_may_rewrite_its_own_file_but_no_other(workspace: Path) -> None:
    """write_file refuses to replace a file without overwrite; a step that declares it edits the
    file may (measured: the 1.5B answered BLOCKED to the refusal on 4 held-out tasks). The kind
    rules still judge what it wrote, and another file stays protected."""
    (workspace / "settings.ini").write_text("[net]\ntimeout = 3\nretries = 5\n")
    (workspace / "other.ini").write_text("[x]\na = 1\n")
    results: list[str] = []

    def act(req: ChatRequest) -> Reply:
        if not results:
            results.append("asked")
            return Reply.tool("write_file", {"path": "other.ini", "content": "[x]\na = 2\n"})
        return Reply.tool(
            "write_file", {"path": "settings.ini", "content": "[net]\ntimeout = 30\nretries = 5\n"}
        )

    def handler(req: ChatRequest) -> Reply:
        if kind(req) == "step" and req.tool_results and "already exists" in req.tool_results[-1]:
            results.append(req.tool_results[-1])
            return act(req)
        return worker(act)(req)

    step = PlanStep(index=0, description="timeout 30", kind=StepKind.EDIT, files=["settings.ini"])
    async with running(workspace, handler, runner__whole_file_edits=False) as (runner, _srv, _ev):
        task = await runner.create_task("timeout in settings.ini should be 30", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        done = runner.tasks[task.id]
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert (workspace / "settings.ini").read_text() == "[net]\ntimeout = 30\nretries = 5\n"
    assert (workspace / "other.ini").read_text() == "[x]\na = 1\n"
    assert any("other.ini already exists" in r for r in results)


async def test_blocked_after_a_successful_change_is_judged_on_the_files(workspace: Path) -> None:
    """Measured on the 1.5B (held-out bump-pyproject): its retry's replace_text succeeded, then it
    answered with the runner's own feedback, "BLOCKED: your call failed …". The edit was right; the
    runner undid it and asked the user. Now the files decide."""
    (workspace / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0.3.9"\n')

    def handler(req: ChatRequest) -> Reply:
        if kind(req) == "verify":
            return worker(lambda r: Reply(text="unused"))(req)
        if kind(req) == "summary":
            return Reply(text="ok")
        if req.tool_results:
            return Reply(text="BLOCKED: your call failed ([replace_text] 'old' text not found)")
        return Reply.tool(
            "replace_text", {"path": "pyproject.toml", "old": 'version = "0.3.9"', "new": 'version = "0.4.0"'}
        )

    step = PlanStep(
        index=0,
        description="bump the version",
        kind=StepKind.EDIT,
        files=["pyproject.toml"],
        checks=[FileContainsCheck(path="pyproject.toml", text='version = "0.4.0"')],
    )
    async with running(workspace, handler, runner__whole_file_edits=False) as (runner, _srv, _ev):
        task = await runner.create_task("bump the version in pyproject to 0.4.0", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        done = runner.tasks[task.id]
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert 'version = "0.4.0"' in (workspace / "pyproject.toml").read_text()


async def test_a_created_file_left_empty_fails(tmp_path: Path) -> None:
    step = PlanStep(index=0, description="copy it", kind=StepKind.CREATE, files=["settings.json.bak"])
    (tmp_path / "settings.json.bak").write_text("")
    assert await failed(facts(tmp_path, step, FileChange("settings.json.bak", None, ""))) == [
        "settings.json.bak is empty after this step; it should hold what the step makes"
    ]
    (tmp_path / "settings.json.bak").write_text("{}\n")
    assert await failed(facts(tmp_path, step, FileChange("settings.json.bak", None, "{}\n"))) == []


async def test_an_append_of_text_the_file_already_held_fails(tmp_path: Path) -> None:
    step = PlanStep(index=0, description="second line")  # no kind: it holds for any step
    bad = await failed(
        facts(
            tmp_path,
            step,
            FileChange(
                "README.md", "# Demo\nRun it with make.\n", "# Demo\nRun it with make.\n\nRun it with make."
            ),
        )
    )
    assert bad and bad[0].startswith("the text added to README.md was already there ('Run it with make.')")
    new = FileChange("README.md", "# Demo\n", "# Demo\nRun it with make.\n")
    assert await failed(facts(tmp_path, step, new)) == []


async def test_a_task_that_changed_no_file_is_still_reviewed_against_its_goal(workspace: Path) -> None:
    (workspace / "notes.md").write_text("we recieve it\n")
    asked: list[str] = []

    def handler(req: ChatRequest) -> Reply:
        if "You review a change" in req.system_text:
            asked.append(req.last_user_text)
            return Reply(text="VERDICT: NO\nREASON: nothing was fixed")
        return worker(lambda r: Reply.tool("read_file", {"path": "notes.md"}))(req)

    step = PlanStep(index=0, description="read notes.md", kind=StepKind.READ, files=["notes.md"])
    async with running(workspace, handler) as (runner, _srv, _ev):
        task = await runner.create_task("fix the typo recieve everywhere in notes.md", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        done = runner.tasks[task.id]
    assert done.status == TaskStatus.NEEDS_ASSISTANCE
    assert "nothing was fixed" in (done.pause_reason or "")
    assert "(no file was changed)" in asked[0]


async def test_a_new_file_that_does_not_parse_is_named_as_new(tmp_path: Path) -> None:
    step = PlanStep(index=0, description="make it", kind=StepKind.CREATE, files=["conf.json"])
    found = await failed(facts(tmp_path, step, FileChange("conf.json", None, "{debug: no")))
    assert any("conf.json does not parse (JSON:" in f and "written new in this step" in f for f in found), (
        found
    )
    assert not any("did before" in f for f in found)


async def test_a_line_stitched_from_several_source_lines_fails(tmp_path: Path) -> None:
    """Held-out grab-warns on the 1.5B: "WARN db timeout" for the log's "ERROR db timeout" passed
    every check, the verifier and the goal review."""
    log = "10:00:04 WARN disk at 81%\n10:01:15 ERROR db timeout\n10:02:30 WARN disk at 90%\n"
    (tmp_path / "server.log").write_text(log)
    task = Task(title="t", prompt="pull the WARN lines from server.log into warnings.txt")
    step = PlanStep(index=0, description="Write warnings.txt", kind=StepKind.CREATE, files=["warnings.txt"])
    task.plan = [step]

    def made(text: str) -> StepFacts:
        change = FileChange("warnings.txt", None, text)
        return StepFacts(task=task, step=step, workspace=tmp_path, entries=[], this_try=[], changes=[change])

    bad = await failed(made("WARN disk at 81%\nWARN db timeout\n"))
    assert any("warnings.txt line 2 ('WARN db timeout') is in no line of server.log" in d for d in bad)
    # Whole lines, parts of one line, and lines with words of their own are not stitched.
    assert not any(
        "no line of" in d for d in await failed(made("10:00:04 WARN disk at 81%\nWARN disk at 90%\n"))
    )
    assert not any("no line of" in d for d in await failed(made("2 warnings about the disk\n")))
    # Joined from two files, a line may take words from both.
    (tmp_path / "roles.txt").write_text("ERROR desk\n")
    task.prompt = "pull the WARN lines from server.log and the desks from roles.txt into warnings.txt"
    assert not any("no line of" in d for d in await failed(made("WARN db timeout\n")))


def test_no_right_end_state_of_the_held_out_set_is_stitched() -> None:
    """Checked, as goal_diff and the goal literals were, against every file a right end state
    makes from the task's own files."""
    from bench.reliability.heldout import HELDOUT, RIGHT
    from smallclaw_tui.runner.rules.stitched import stitched_lines

    checked = 0
    for task in HELDOUT:
        for path, text in RIGHT[task.id].items():
            if text and path not in task.files and task.files:
                checked += 1
                for source in task.files.values():
                    assert stitched_lines(text, source) == [], (task.id, path)
    assert checked >= 5


def test_no_right_end_state_of_the_suite_is_stitched() -> None:
    from bench.reliability.spec import FileIs
    from bench.reliability.suite import SUITE
    from smallclaw_tui.runner.rules.stitched import stitched_lines

    checked = 0
    for task in SUITE:
        for want in task.expect:
            if isinstance(want, FileIs) and want.path not in task.files and task.files:
                checked += 1
                for source in task.files.values():
                    assert stitched_lines(want.text, source) == [], (task.id, want.path)
    assert checked >= 5


async def test_the_step_prompt_names_every_check_the_judge_will_run(workspace: Path) -> None:
    """The runner also checks the text a step quotes; a prompt that named only the plan's weaker
    check led the 1.5B to write exactly that ('moved to dst', not 'moved to dst/a.txt': suite
    copy-file), refused twice by a check it was never shown."""
    (workspace / "src").mkdir()
    (workspace / "src" / "a.txt").write_text("alpha\n")
    prompts: list[str] = []

    def writer(req: ChatRequest) -> Reply:
        prompts.append(req.last_user_text)
        return Reply.tool(
            "write_file", {"path": "src/a.txt", "content": "moved to dst/a.txt\n", "overwrite": True}
        )

    step = PlanStep(
        index=0,
        description="Replace the content of src/a.txt with the line 'moved to dst/a.txt'",
        checks=[FileContainsCheck(path="src/a.txt", text="moved to dst")],
    )
    async with running(workspace, worker(writer)) as (runner, _srv, _ev):
        task = await runner.create_task("leave a note", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        assert runner.tasks[task.id].status == TaskStatus.COMPLETE, runner.tasks[task.id].pause_reason
    shown = next(line for line in prompts[0].splitlines() if line.startswith("Afterwards the runner checks"))
    assert "src/a.txt contains 'moved to dst'" in shown
    assert "src/a.txt contains 'moved to dst/a.txt'" in shown
