"""Failures the reliability benchmark found (bench/reliability/FINDINGS.md), kept fixed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from runner_helpers import honest_verifier, kind, run_to_idle, running, step_number, worker

from smallclaw_tui.models import FileContainsCheck, FileExistsCheck, JournalType, PlanStep, TaskStatus
from smallclaw_tui.runner.events import ModelActivity
from smallclaw_tui.testing.fake_server import ChatRequest, Reply


async def test_f1_a_retry_continues_the_interrupted_turn_instead_of_replaying_it(workspace: Path) -> None:
    (workspace / "todo.md").write_text("- buy milk\n")
    failed = {"done": False}

    def handler(req: ChatRequest) -> Reply:
        k = kind(req)
        if k == "verify":
            return honest_verifier(req)
        if k == "summary":
            return Reply(text="ok")
        if req.tool_results:
            if not failed["done"]:
                failed["done"] = True
                return Reply.fail(500, "llama runner process has terminated")
            return Reply(text="DONE: added the line")
        return Reply.tool(
            "edit_file", {"path": "todo.md", "old": "- buy milk\n", "new": "- buy milk\n- call bob\n"}
        )

    steps = [
        PlanStep(
            index=0, description="add '- call bob'", checks=[FileContainsCheck(path="todo.md", text="bob")]
        )
    ]
    async with running(workspace, handler) as (runner, _srv, _events):
        task = await runner.create_task("todo", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.COMPLETE
    assert (workspace / "todo.md").read_text() == "- buy milk\n- call bob\n"  # the edit ran once


async def test_f4_a_step_undone_by_accident_later_is_caught_before_completion(workspace: Path) -> None:
    def handler(req: ChatRequest) -> Reply:
        k = kind(req)
        if k == "verify":
            return honest_verifier(req)
        if k == "summary":
            return Reply(text="ok")
        prompt = req.last_user_text
        step = int(prompt.split("Current step (", 1)[1].split(" ", 1)[0])
        done_here = len(req.tool_results)
        if step == 1:
            if done_here:
                return Reply(text="DONE")
            return Reply.tool("write_file", {"path": "a.txt", "content": "one", "overwrite": True})
        # Step 2 forgets itself and clobbers step 1's file along the way.
        if done_here == 0:
            return Reply.tool("write_file", {"path": "b.txt", "content": "two", "overwrite": True})
        if done_here == 1:
            # overwrite: write_file refuses to replace a file without it; this model insists.
            return Reply.tool("write_file", {"path": "a.txt", "content": "zero", "overwrite": True})
        return Reply(text="DONE")

    steps = [
        PlanStep(index=0, description="a", checks=[FileContainsCheck(path="a.txt", text="one")]),
        PlanStep(index=1, description="b", checks=[FileExistsCheck(path="b.txt")]),
    ]
    async with running(workspace, handler) as (runner, _srv, _events):
        task = await runner.create_task("two files", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE  # never "complete" with a.txt wrong
    assert "step 1's result no longer holds" in (task.pause_reason or "")
    assert "a.txt does not contain 'one'" in (task.pause_reason or "")


async def test_f7_a_later_step_that_means_to_change_a_file_is_not_an_undo(workspace: Path) -> None:
    def handler(req: ChatRequest) -> Reply:
        k = kind(req)
        if k == "verify":
            return honest_verifier(req)
        if k == "summary":
            return Reply(text="ok")
        step = int(req.last_user_text.split("Current step (", 1)[1].split(" ", 1)[0])
        if req.tool_results:
            return Reply(text="DONE")
        if step == 1:
            return Reply.tool("write_file", {"path": "status.txt", "content": "draft\n", "overwrite": True})
        return Reply.tool("edit_file", {"path": "status.txt", "old": "draft", "new": "final"})

    steps = [
        PlanStep(
            index=0, description="write draft", checks=[FileContainsCheck(path="status.txt", text="draft")]
        ),
        PlanStep(
            index=1,
            description="change status.txt to final",
            checks=[FileContainsCheck(path="status.txt", text="final")],
        ),
    ]
    async with running(workspace, handler) as (runner, _srv, _events):
        task = await runner.create_task("status", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.COMPLETE
    assert (workspace / "status.txt").read_text() == "final\n"


async def test_f5_a_malformed_verifier_answer_is_asked_again_not_charged_to_the_worker(
    workspace: Path,
) -> None:
    answers = iter(["I think it's fine!", "VERDICT: YES\nEVIDENCE: wrote 2 bytes to out.txt\nREASON: ok"])

    def handler(req: ChatRequest) -> Reply:
        k = kind(req)
        if k == "verify" and "You review a change" in req.system_text:
            return Reply(text="VERDICT: YES\nREASON: the goal review")
        if k == "verify":
            return Reply(text=next(answers))
        if k == "summary":
            return Reply(text="ok")
        if req.tool_results:
            return Reply(text="DONE")
        return Reply.tool("write_file", {"path": "out.txt", "content": "hi", "overwrite": True})

    steps = [PlanStep(index=0, description="greet")]
    async with running(workspace, handler) as (runner, _srv, _events):
        task = await runner.create_task("greet", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.COMPLETE
    assert task.plan[0].attempts == 0
    assert not any(e.type == JournalType.RETRY for e in task.journal)


async def test_f4_an_unchecked_step_clobbered_by_a_later_step_is_caught(workspace: Path) -> None:
    (workspace / "plan.txt").write_text("v0\n")

    def forgetful(req: ChatRequest) -> Reply:
        k = kind(req)
        if k == "verify":
            return honest_verifier(req)
        if k == "summary":
            return Reply(text="ok")
        step = int(req.last_user_text.split("Current step (", 1)[1].split(" ", 1)[0])
        n = len(req.tool_results)
        if step == 1:
            return (
                Reply(text="DONE")
                if n
                else Reply.tool("edit_file", {"path": "plan.txt", "old": "v0", "new": "v2"})
            )
        if n == 0:
            return Reply.tool(
                "write_file", {"path": "plan.txt", "content": "v0\n", "overwrite": True}
            )  # redoes old work
        if n == 1:
            return Reply.tool("write_file", {"path": "ack.md", "content": "ack\n", "overwrite": True})
        return Reply(text="DONE")

    steps = [
        PlanStep(index=0, description="bump the version"),
        PlanStep(index=1, description="acknowledge it"),
    ]
    async with running(workspace, forgetful) as (runner, _srv, _events):
        task = await runner.create_task("bump", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "plan.txt no longer contains 'v2'" in (task.pause_reason or "")


async def test_a_step_that_adds_must_keep_what_an_earlier_step_checked(workspace: Path) -> None:
    # Qwen2.5-Coder-1.5B, asked to add an item after another, replaced the other one; the later
    # step names the file, but "add" never means "remove what was there".
    def act(req: ChatRequest) -> Reply:
        if step_number(req) == 1:
            return Reply.tool(
                "write_file", {"path": "todo.md", "content": "# Todo\n- buy milk\n", "overwrite": True}
            )
        return Reply.tool("edit_file", {"path": "todo.md", "old": "- buy milk", "new": "- call bob"})

    steps = [
        PlanStep(
            index=0,
            description="Create todo.md with the item '- buy milk'",
            checks=[FileContainsCheck(path="todo.md", text="- buy milk")],
        ),
        PlanStep(
            index=1,
            description="Add the item '- call bob' after '- buy milk' in todo.md",
            checks=[FileContainsCheck(path="todo.md", text="- call bob")],
        ),
    ]
    task, _ = await run_to_idle(workspace, worker(act), steps)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "todo.md does not contain '- buy milk'" in (task.pause_reason or "")


async def test_text_a_step_quotes_must_be_in_the_file_even_without_checks(workspace: Path) -> None:
    # No check names '# Todo'; the step's own words do. A model that leaves it out is not done.
    def act(req: ChatRequest) -> Reply:
        return Reply.tool("write_file", {"path": "todo.md", "content": "- buy milk\n", "overwrite": True})

    steps = [
        PlanStep(index=0, description="Create todo.md with a '# Todo' heading and the item '- buy milk'")
    ]
    task, _ = await run_to_idle(workspace, worker(act), steps)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "todo.md does not contain '# Todo'" in (task.pause_reason or "")


async def test_blocked_after_its_own_bad_call_is_a_failed_try_not_a_call_for_help(workspace: Path) -> None:
    # Qwen2.5-Coder-1.5B called a `copy_file` tool that did not exist then, and said BLOCKED.
    def handler(req: ChatRequest) -> Reply:
        if kind(req) == "step" and req.tool_results and "unknown tool" in req.tool_results[-1]:
            return Reply(text="BLOCKED: no such tool")
        return worker(act)(req)

    def act(req: ChatRequest) -> Reply:
        if "not accepted" in req.last_user_text:
            return Reply.tool("write_file", {"path": "b.txt", "content": "x\n", "overwrite": True})
        return Reply.tool("move_file", {"path": "a.txt", "destination": "b.txt"})

    steps = [PlanStep(index=0, description="Move a.txt to b.txt", checks=[FileExistsCheck(path="b.txt")])]
    task, srv = await run_to_idle(workspace, handler, steps)
    assert task.status == TaskStatus.COMPLETE
    retry = [r.last_user_text for r in srv.chat_requests if kind(r) == "step"][-1]
    assert "your last call failed: [move_file] unknown tool 'move_file'" in retry
    assert retry.rstrip().endswith("Call the tool that does step 1 now.")


async def test_a_real_block_goes_to_the_user_after_one_more_try(workspace: Path) -> None:
    def handler(req: ChatRequest) -> Reply:
        if req.tool_results:
            return Reply(text="BLOCKED: missing.txt does not exist")
        return Reply.tool("read_file", {"path": "missing.txt"})

    task, srv = await run_to_idle(workspace, handler, [PlanStep(index=0, description="Read missing.txt")])
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "the model says it is blocked" in (task.pause_reason or "")
    assert task.rounds == 2  # the failure was fed back once; the second BLOCKED stands
    assert sum(1 for r in srv.chat_requests if kind(r) == "step") == 4


async def test_done_without_a_tool_call_is_asked_again_in_the_same_round(workspace: Path) -> None:
    # Qwen2.5-Coder-1.5B: "DONE: created notes/todo.md" with no call, round after round.
    def act(req: ChatRequest) -> Reply:
        if req.last_user_text.startswith("You called no tool"):
            return Reply.tool("write_file", {"path": "out.txt", "content": "hi\n", "overwrite": True})
        return Reply(text="DONE: wrote out.txt")

    check = FileContainsCheck(path="out.txt", text="hi")
    step = PlanStep(index=0, description="write out.txt", checks=[check])
    task, _ = await run_to_idle(workspace, worker(act), [step])
    assert task.status == TaskStatus.COMPLETE and task.rounds == 1
    notes = [e.content for e in task.journal if e.type == JournalType.NOTE]
    assert any(n.startswith("no tool was called; asked again") for n in notes)
    claims = [e for e in task.journal if e.type == JournalType.MODEL and e.detail.get("nudged")]
    assert [e.content for e in claims] == ["DONE: wrote out.txt"]


async def test_a_step_that_adds_may_not_overwrite_what_the_file_held(workspace: Path) -> None:
    # Qwen2.5-Coder-1.5B "added" a header line to a CSV by writing the header alone over the rows.
    (workspace / "people.csv").write_text("ann,31\nbo,42\n")

    def act(req: ChatRequest) -> Reply:
        if "not accepted" in req.last_user_text:
            return Reply.tool(
                "write_file",
                {"path": "people.csv", "content": "name,age\nann,31\nbo,42\n", "overwrite": True},
            )
        return Reply.tool("write_file", {"path": "people.csv", "content": "name,age\n", "overwrite": True})

    steps = [PlanStep(index=0, description="Add the header line 'name,age' to people.csv")]
    task, _ = await run_to_idle(workspace, worker(act), steps)
    first_try = [e.content for e in task.journal if e.type == JournalType.RETRY]
    assert first_try and "people.csv lost 'ann,31'; this step should only add to it" in first_try[0]
    assert task.status == TaskStatus.COMPLETE
    assert (workspace / "people.csv").read_text() == "name,age\nann,31\nbo,42\n"


async def test_a_step_that_finds_a_quoted_text_must_show_it_in_a_result(workspace: Path) -> None:
    # The model listed the folder instead of searching it, and said DONE.
    (workspace / "src").mkdir()
    (workspace / "src" / "util.py").write_text("# TODO: fix\n")

    def act(req: ChatRequest) -> Reply:
        if "not accepted" in req.last_user_text:
            return Reply.tool("search_files", {"pattern": "TODO", "path": "src"})
        return Reply.tool("list_dir", {"path": "src"})

    steps = [PlanStep(index=0, description="Find the files in src that contain the word 'TODO'")]
    task, _ = await run_to_idle(workspace, worker(act), steps)
    retries = [e.content for e in task.journal if e.type == JournalType.RETRY]
    assert retries and "no tool result of this step shows 'TODO'" in retries[0]
    assert task.status == TaskStatus.COMPLETE


async def test_the_activity_line_shows_the_whole_tail_of_the_reply_not_a_fragment(workspace: Path) -> None:
    claim = "DONE: wrote out.txt as asked"

    def act(req: ChatRequest) -> Reply:
        return Reply.tool("write_file", {"path": "out.txt", "content": "hi\n", "overwrite": True})

    def handler(req: ChatRequest) -> Reply:
        if kind(req) == "step" and req.tool_results:
            # Streamed slowly enough that the runner publishes the line more than once.
            return Reply(text=claim, chunk_size=3, delay_between_s=0.06)
        return worker(act)(req)

    async with running(workspace, handler) as (runner, _srv, events):
        await runner.create_task("out", steps=[PlanStep(index=0, description="write out.txt")])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
    lines = [e.text for e in events if isinstance(e, ModelActivity) and e.text.startswith("DONE")]
    assert len(lines) >= 2  # published while it streamed
    assert lines[-1] == claim
    assert all(claim.startswith(t) for t in lines), lines  # never words glued together


async def test_a_refused_write_copies_nothing_from_outside_or_the_app_data_into_the_task(
    workspace: Path,
) -> None:
    (workspace.parent / "secret.txt").write_text("AWS_SECRET=abc123\n")
    (workspace / ".localclaw").mkdir(exist_ok=True)
    (workspace / ".localclaw" / "config.toml").write_text('[llm]\napi_key = "999:tg-secret"\n')

    def act(req: ChatRequest) -> Reply:
        if "config.toml" in str(req.messages):
            return Reply.tool("write_file", {"path": "../secret.txt", "content": "x", "overwrite": True})
        return Reply.tool("edit_file", {"path": ".localclaw/config.toml", "old": "a", "new": "b"})

    task, _ = await run_to_idle(workspace, worker(act), [PlanStep(index=0, description="tidy up")])
    on_disk = "".join(p.read_text() for p in (workspace / ".localclaw" / "tasks").iterdir())
    assert "abc123" not in on_disk and "tg-secret" not in on_disk
    assert task.status == TaskStatus.NEEDS_ASSISTANCE


async def test_shell_redirects_are_writes_the_runner_holds_to_the_same_rules(workspace: Path) -> None:
    (workspace / "index.txt").write_text("a.py\nb.py\n")

    def clobber(req: ChatRequest) -> Reply:
        return Reply.tool("run_shell", {"command": "echo 'count: 2' > index.txt"})

    step = PlanStep(index=0, description="Add the line 'count: 2' at the end of index.txt")
    task, _ = await run_to_idle(workspace, worker(clobber), [step])
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "index.txt lost 'a.py'; this step should only add to it" in (task.pause_reason or "")

    (workspace / "index.txt").write_text("a.py\nb.py\n")

    def append(req: ChatRequest) -> Reply:
        return Reply.tool("run_shell", {"command": "echo 'count: 2' >> index.txt"})

    task, _ = await run_to_idle(workspace, worker(append), [step])
    assert task.status == TaskStatus.COMPLETE
    assert (workspace / "index.txt").read_text() == "a.py\nb.py\ncount: 2\n"


async def test_a_later_shell_redirect_that_clobbers_an_earlier_step_is_caught(workspace: Path) -> None:
    def act(req: ChatRequest) -> Reply:
        if step_number(req) == 1:
            return Reply.tool("write_file", {"path": "notes.txt", "content": "keep me\n", "overwrite": True})
        return Reply.tool("run_shell", {"command": "ls > notes.txt"})

    steps = [
        PlanStep(index=0, description="Write notes.txt with the line 'keep me'"),
        PlanStep(index=1, description="List the workspace"),
    ]
    task, _ = await run_to_idle(workspace, worker(act), steps)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "step 1's result no longer holds" in (task.pause_reason or "")


async def test_a_change_step_excuses_the_value_it_changed_without_naming_the_old_one(workspace: Path) -> None:
    # "Bump the version to 1.1" never quotes the old 'version: 1.0'; its edit replaced it.
    def act(req: ChatRequest) -> Reply:
        if step_number(req) == 1:
            return Reply.tool(
                "write_file", {"path": "app.yaml", "content": "name: x\nversion: 1.0\n", "overwrite": True}
            )
        return Reply.tool("edit_file", {"path": "app.yaml", "old": "version: 1.0", "new": "version: 1.1"})

    steps = [
        PlanStep(index=0, description="Write app.yaml with the lines 'name: x' and 'version: 1.0'"),
        PlanStep(index=1, description="Bump the version in app.yaml to 1.1"),
    ]
    task, _ = await run_to_idle(workspace, worker(act), steps)
    assert task.status == TaskStatus.COMPLETE, task.pause_reason


async def test_a_search_that_found_nothing_does_not_show_the_text_it_looked_for(workspace: Path) -> None:
    (workspace / "src").mkdir()

    def act(req: ChatRequest) -> Reply:
        return Reply.tool("search_files", {"pattern": "TODO", "path": "src"})

    steps = [PlanStep(index=0, description="Find the files in src that contain the word 'TODO'")]
    task, _ = await run_to_idle(workspace, worker(act), steps)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "no tool result of this step shows 'TODO'" in (task.pause_reason or "")


async def test_an_add_inside_a_line_keeps_what_was_there(workspace: Path) -> None:
    (workspace / "conf.json").write_text('{"port": 8080}\n')

    def act(req: ChatRequest) -> Reply:
        return Reply.tool(
            "write_file", {"path": "conf.json", "content": '{"port": 8080, "host": "x"}\n', "overwrite": True}
        )

    steps = [PlanStep(index=0, description='Add the key "host" with the value "x" to conf.json')]
    task, _ = await run_to_idle(workspace, worker(act), steps)
    assert task.status == TaskStatus.COMPLETE, task.pause_reason


async def test_the_goal_itself_is_checked_at_the_end(workspace: Path) -> None:
    # The planner reworded "Add the header line" as "Write the header line": the step may replace
    # the file, but the goal still says add — the rows must survive.
    (workspace / "people.csv").write_text("ann,31\nbo,42\n")

    def act(req: ChatRequest) -> Reply:
        return Reply.tool("write_file", {"path": "people.csv", "content": "name,age\n", "overwrite": True})

    async with running(workspace, worker(act)) as (runner, _srv, _events):
        steps = [PlanStep(index=0, description="Write the header line 'name,age' to people.csv")]
        task = await runner.create_task("Add the header line name,age to people.csv", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "the goal is not met" in (task.pause_reason or "")
    assert "people.csv" in (task.pause_reason or "")


async def test_a_file_the_goal_says_to_write_must_exist_at_the_end(workspace: Path) -> None:
    def act(req: ChatRequest) -> Reply:
        return Reply.tool("search_files", {"pattern": "TODO", "path": "."})

    (workspace / "util.py").write_text("# TODO\n")
    async with running(workspace, worker(act)) as (runner, _srv, _events):
        steps = [PlanStep(index=0, description="Search the workspace for TODO")]
        task = await runner.create_task("Find the TODO and write its path to todo.txt", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "todo.txt does not exist" in (task.pause_reason or "")


async def test_a_count_must_come_from_a_tool_that_counted(workspace: Path) -> None:
    # Qwen2.5-Coder-1.5B "recorded the row count" as 1..5 without running anything.
    (workspace / "people.csv").write_text("name,age\nann,31\nbo,42\n")

    def act(req: ChatRequest) -> Reply:
        if "not accepted" in req.last_user_text:
            return Reply.tool("run_shell", {"command": "wc -l people.csv"})
        return Reply.tool("write_file", {"path": "rows.txt", "content": "1\n2\n3\n4\n5", "overwrite": True})

    def handler(req: ChatRequest) -> Reply:
        # After counting, write the count in the same round.
        if kind(req) == "step" and req.tool_results and "3 people.csv" in req.tool_results[-1]:
            return Reply.tool("write_file", {"path": "rows.txt", "content": "3\n", "overwrite": True})
        return worker(act)(req)

    steps = [PlanStep(index=0, description="Record the row count of people.csv in rows.txt")]
    task, _ = await run_to_idle(workspace, handler, steps)
    retries = [e.content for e in task.journal if e.type == JournalType.RETRY]
    assert retries and "the number 1 in rows.txt comes from no tool result" in retries[0]
    assert task.status == TaskStatus.COMPLETE, task.pause_reason


async def test_a_count_a_program_wrote_through_a_redirect_is_the_programs(workspace: Path) -> None:
    # Qwen2.5-Coder-1.5B: `wc -l data.csv > count.txt` was rejected as "the number 6 comes from no
    # tool result" (the redirect hid wc's output); `echo 68 > words.txt` still is rejected.
    (workspace / "data.csv").write_text("a\nb\nc\n")
    commands = iter(["echo 68 > words.txt", "wc -l data.csv > words.txt"])

    def act(req: ChatRequest) -> Reply:
        return Reply.tool("run_shell", {"command": next(commands)})

    steps = [PlanStep(index=0, description="Count the lines of data.csv and write the number to words.txt")]
    task, _ = await run_to_idle(workspace, worker(act), steps)
    retries = [e.content for e in task.journal if e.type == JournalType.RETRY]
    assert len(retries) == 1 and "the number 68 in words.txt comes from no tool result" in retries[0]
    assert task.status == TaskStatus.COMPLETE, task.pause_reason
    assert (workspace / "words.txt").read_text().split()[0] == "3"


async def test_a_count_a_program_wrote_in_an_earlier_try_may_be_written_again(workspace: Path) -> None:
    """Suite line-count on the 1.5B: `wc -l data.csv > count.txt` wrote "3 data.csv" where the
    check wanted the number alone; the retry wrote "3" with write_file and was refused, as if it
    had made the number up. wc had counted it, in the try before."""
    (workspace / "data.csv").write_text("a\nb\nc\n")
    calls = iter(
        [
            Reply.tool("run_shell", {"command": "wc -l data.csv > count.txt"}),
            Reply.tool("write_file", {"path": "count.txt", "content": "3\n", "overwrite": True}),
        ]
    )

    def act(req: ChatRequest) -> Reply:
        return next(calls)

    steps = [
        PlanStep(
            index=0,
            description="Count the lines of data.csv with wc -l and write the number to count.txt",
            checks=[FileContainsCheck(path="count.txt", text=r"\A\s*3\s*\Z", regex=True)],
        )
    ]
    task, _ = await run_to_idle(workspace, worker(act), steps)
    retries = [e.content for e in task.journal if e.type == JournalType.RETRY]
    assert len(retries) == 1 and "it holds '3 data.csv\\n'" in retries[0]
    assert task.status == TaskStatus.COMPLETE, task.pause_reason
    assert (workspace / "count.txt").read_text() == "3\n"


async def test_another_tool_sets_name_for_write_file_is_taken_as_write_file(workspace: Path) -> None:
    # Suite status-flow on the 1.5B: create_file{path, content} twice, "unknown tool", BLOCKED.
    def act(req: ChatRequest) -> Reply:
        return Reply.tool("create_file", {"path": "done.flag", "content": "ok\n"})

    steps = [PlanStep(index=0, description="Create done.flag containing 'ok'", files=["done.flag"])]
    task, _srv = await run_to_idle(workspace, worker(act), steps)
    assert task.status == TaskStatus.COMPLETE, task.pause_reason
    assert (workspace / "done.flag").read_text() == "ok\n"
    calls = [e for e in task.journal if e.type == JournalType.TOOL_CALL]
    assert calls and calls[0].content.startswith("write_file ")
