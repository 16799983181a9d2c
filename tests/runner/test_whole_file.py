"""A step that edits or creates one file is answered as the file's whole text in a fenced block."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from runner_helpers import REVIEW, kind, run_to_idle, running, worker

from smallclaw_tui.models import JournalType, PlanStep, StepKind, TaskStatus
from smallclaw_tui.runner.whole_file import applies, new_text
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

WHOLE = "You edit one file"
LOG = "10:00 INFO up\n10:01 WARN disk 81%\n10:02 INFO ok\n10:03 WARN slow\n"


def verifier_says(
    verdict: str, about: str, act: Callable[[ChatRequest], Reply]
) -> Callable[[ChatRequest], Reply]:
    """`worker(act)`, with the step verifier answering `verdict` to the question that holds
    `about`; every other question (the goal review among them) as `worker` answers it."""

    def handler(req: ChatRequest) -> Reply:
        if kind(req) == "verify" and REVIEW not in req.system_text and about in req.last_user_text:
            return Reply(text=verdict)
        return worker(act)(req)

    return handler


def test_a_create_is_answered_whole_only_with_files_to_make_it_from() -> None:
    step = PlanStep(index=0, description="Write todo.txt", kind=StepKind.CREATE, files=["todo.txt"])
    assert applies(step, None, 2000, sources=1)
    assert not applies(step, None, 2000, sources=0)  # "which file mentions TODO": a tool must look
    edit = PlanStep(index=0, description="fix it", kind=StepKind.EDIT, files=["a.txt"])
    assert (
        applies(edit, "x\n", 2000) and not applies(edit, "x" * 2001, 2000) and not applies(edit, None, 2000)
    )


def test_the_file_text_is_read_from_the_block_as_small_models_write_it() -> None:
    assert new_text("Here it is:\n```text\na\nb\n```\nDone.", "old\n") == "a\nb\n"
    assert new_text("```\na\nb```", "old\n") == "a\nb\n"  # the fence at the end of the last line
    # A markdown file with a fence of its own: the last bare fence closes the block.
    assert new_text("```md\n# t\n```py\nx = 1\n```\nend\n```\n", "old\n") == "# t\n```py\nx = 1\n```\nend\n"
    assert new_text("```\nno final newline\n```", "old") == "no final newline"  # as the old file was
    assert new_text("I changed it as asked.", "old\n") is None
    # Bare, but most lines are the old file's: the file. Prose about it is not.
    notes = "# notes\n- a recieve\n- b\n- c\n"
    assert new_text("# notes\n- a receive\n- b\n- c", notes) == "# notes\n- a receive\n- b\n- c\n"
    assert new_text("I fixed - a recieve in the notes.", notes) is None
    # A fence closed that was never opened is not part of the file (Qwen2.5-Coder-0.5B).
    assert new_text("# notes\n- a receive\n- b\n- c\n```", notes) == "# notes\n- a receive\n- b\n- c\n"
    assert new_text("hello", "") is None  # a file to create needs its block
    # ... unless it is made from files shown and its lines are theirs: the 1.5B answered the copy
    # of settings.json bare on its retry (suite backup-settings), and the copy was refused.
    settings = '{\n  "debug": true,\n  "port": 80\n}\n'
    assert new_text('{\n  "debug": true,\n  "port": 80\n}', "", [settings]) == settings
    assert new_text("I copied settings.json to the backup.", "", [settings]) is None


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
    assert asked[0].endswith("A line taken from a file above is copied exactly as it is there, whole.")


async def test_a_file_the_goal_names_that_never_existed_stops_the_task_at_the_end(workspace: Path) -> None:
    """The 1.5B appended the words "archive.txt" for "tack archive.txt onto the end of journal.txt",
    and every check and review passed. The goal named a file that was never there."""
    (workspace / "journal.txt").write_text("mon: shipped\n")

    def handler(req: ChatRequest) -> Reply:
        return worker(lambda r: Reply.tool("append_file", {"path": "journal.txt", "text": "archive.txt"}))(
            req
        )

    step = PlanStep(
        index=0, description="Add archive.txt to journal.txt", kind=StepKind.APPEND, files=["journal.txt"]
    )
    async with running(workspace, handler) as (runner, _srv, _ev):
        task = await runner.create_task("tack archive.txt onto the end of journal.txt", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        stuck = runner.tasks[task.id]
    assert stuck.status == TaskStatus.NEEDS_ASSISTANCE
    assert "the goal names archive.txt, which is not in the workspace, and no step made it" in (
        stuck.pause_reason or ""
    )


async def test_a_file_made_from_a_long_source_gets_room_for_all_of_it(workspace: Path) -> None:
    """A backup is as long as its source: the answer may not be cut at the usual reply length."""
    source = "".join(f"key{i} = value number {i}\n" for i in range(80))  # about 1,900 characters
    (workspace / "notes.txt").write_text(source)
    asked: list[dict[str, object]] = []

    def handler(req: ChatRequest) -> Reply:
        if WHOLE in req.system_text:
            asked.append(dict(req.options))
            return Reply(text=f"```\n{source}```")
        return worker(lambda r: Reply(text="DONE"))(req)

    step = PlanStep(
        index=0,
        description="Copy notes.txt to notes-backup.txt",
        kind=StepKind.CREATE,
        files=["notes-backup.txt"],
    )
    async with running(workspace, handler, llm__num_predict=256) as (runner, _srv, _ev):
        task = await runner.create_task("back up notes.txt as notes-backup.txt", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        assert runner.tasks[task.id].status == TaskStatus.COMPLETE, runner.tasks[task.id].pause_reason
    room = asked[0].get("num_predict")
    assert isinstance(room, int) and room >= len(source) // 2


async def test_a_file_over_the_prompt_budget_is_shown_as_its_start_and_edited_with_tools(
    workspace: Path,
) -> None:
    big = "".join(f"line {i} of a long file\n" for i in range(200))  # about 4,600 characters
    (workspace / "big.txt").write_text(big)
    prompts: list[str] = []

    def handler(req: ChatRequest) -> Reply:
        assert WHOLE not in req.system_text, "a file that is not shown whole is not answered whole"
        if kind(req) == "step":
            prompts.append(req.last_user_text)
        return worker(
            lambda r: Reply.tool(
                "replace_text", {"path": "big.txt", "old": "line 3 of", "new": "line three of"}
            )
        )(req)

    step = PlanStep(index=0, description="spell out line 3 in big.txt", kind=StepKind.EDIT, files=["big.txt"])
    async with running(workspace, handler) as (runner, _srv, _ev):
        await runner.create_task("spell out line 3", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
    assert "The start of big.txt (the rest is not shown):\nline 0 of a long file\n" in prompts[0]
    assert "The current text of big.txt" not in prompts[0]
    assert (workspace / "big.txt").read_text() == big.replace("line 3 of", "line three of")


async def test_a_whole_file_answer_written_as_a_tool_call_is_never_the_files_text(workspace: Path) -> None:
    """Asked for a file's text, the 1.5B answered with a write_file call in a ```json block; the
    call's JSON is not the file (suite status-flow), the call's content is what it meant."""
    (workspace / "notes.txt").write_text("a recieve\n")
    call = '{"name": "write_file", "arguments": {"path": "notes.txt", "content": "a receive\\n"}}'

    def handler(req: ChatRequest) -> Reply:
        if WHOLE in req.system_text:
            return Reply(text=f"```json\n{call}\n```")
        return worker(lambda r: Reply(text="DONE"))(req)

    step = PlanStep(index=0, description="fix the typo in notes.txt", kind=StepKind.EDIT, files=["notes.txt"])
    done, _srv = await run_to_idle(workspace, handler, [step], goal="fix the typo in notes.txt")
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert (workspace / "notes.txt").read_text() == "a receive\n"


async def test_what_an_earlier_step_counted_is_shown_to_the_step_that_writes_it(workspace: Path) -> None:
    """Suite word-count on the 1.5B: step 1's check ran `wc -w poem.txt` (6 words), step 2 was
    shown the poem but not the count, wrote 3 twice and was rightly refused. Shown what the
    earlier check printed, a model that copies it writes 6, and 6 is a number a tool found."""
    from smallclaw_tui.models import CommandSucceedsCheck

    (workspace / "poem.txt").write_text("roses are red\nviolets are blue\n")

    def handler(req: ChatRequest) -> Reply:
        if WHOLE in req.system_text:
            found = "`wc -w poem.txt` printed: 6 poem.txt" in req.last_user_text
            return Reply(text="```\n6\n```" if found else "```\n3\n```")
        return worker(lambda r: Reply.tool("read_file", {"path": "poem.txt"}))(req)

    steps = [
        PlanStep(
            index=0,
            description="Read poem.txt and count its words",
            kind=StepKind.READ,
            files=["poem.txt"],
            checks=[CommandSucceedsCheck(command="wc -w poem.txt")],
        ),
        PlanStep(
            index=1, description="Write the count to words.txt", kind=StepKind.CREATE, files=["words.txt"]
        ),
    ]
    goal = "Count the words in poem.txt and write the number to words.txt"
    task, _srv = await run_to_idle(workspace, handler, steps, goal=goal)
    assert task.status == TaskStatus.COMPLETE, task.pause_reason
    assert (workspace / "words.txt").read_text() == "6\n"


async def test_later_steps_are_told_what_earlier_steps_wrote_not_what_the_verifier_said(
    workspace: Path,
) -> None:
    """status-flow on the 1.5B: the verifier's reason for step 1 said "draft/status.txt has been
    written" (the write was to status.txt); shown that as the recap, step 2 edited draft/status.txt.
    The recap is the files the accepted try wrote."""

    def act(req: ChatRequest) -> Reply:
        if "Current step (1 of 2)" in req.last_user_text:
            return Reply.tool("write_file", {"path": "status.txt", "content": "draft\n"})
        return Reply.tool("replace_text", {"path": "status.txt", "old": "draft", "new": "final"})

    steps = [
        PlanStep(index=0, description="Write 'draft' into status.txt"),
        PlanStep(index=1, description="Change 'draft' to 'final' in status.txt"),
    ]
    said = "VERDICT: YES\nEVIDENCE: R1\nREASON: draft/status.txt has been written"
    handler = verifier_says(said, "Write 'draft'", act)
    task, srv = await run_to_idle(workspace, handler, steps, goal="Take status.txt from draft to final")
    assert task.status == TaskStatus.COMPLETE, task.pause_reason
    second = next(r.last_user_text for r in srv.chat_requests if "Current step (2 of 2)" in r.last_user_text)
    assert "Earlier steps:\n- step 1 (Write 'draft' into status.txt): done, wrote status.txt" in second
    assert "draft/status.txt" not in second


async def test_a_step_an_earlier_step_already_did_is_done(workspace: Path) -> None:
    """Suite rename-key on the 1.5B: step 1 (rename the key) also raised the timeout; step 2
    ("Raise the timeout to 60") answered the file as it was and was refused twice as "holds the
    same text". Its literal, 60, is in the file and an earlier step of the task put it there."""
    (workspace / "app.cfg").write_text("user=admin\ntimeout=30\n")

    def handler(req: ChatRequest) -> Reply:
        if WHOLE in req.system_text:
            return Reply(text="```\nowner=admin\ntimeout=60\n```")
        return worker(lambda r: Reply(text="DONE"))(req)

    steps = [
        PlanStep(
            index=0, description="Rename the key 'user' to 'owner'", kind=StepKind.EDIT, files=["app.cfg"]
        ),
        PlanStep(index=1, description="Raise the timeout to 60", kind=StepKind.EDIT, files=["app.cfg"]),
    ]
    goal = "In app.cfg rename the key user to owner and raise timeout to 60"
    task, _srv = await run_to_idle(workspace, handler, steps, goal=goal)
    assert task.status == TaskStatus.COMPLETE, task.pause_reason
    assert any("app.cfg already holds '60' (an earlier step" in e.content for e in task.journal)


async def test_a_step_whose_own_text_is_not_in_the_file_is_not_done_by_an_earlier_one(
    workspace: Path,
) -> None:
    """The other way round: step 1 wrote 'draft', step 2 must make it 'final'; a model that
    answers the file unchanged has not done step 2, whatever step 1 wrote."""

    def handler(req: ChatRequest) -> Reply:
        if WHOLE in req.system_text:
            return Reply(text="```\ndraft\n```")
        return worker(lambda r: Reply(text="DONE"))(req)

    steps = [
        PlanStep(
            index=0, description="Write 'draft' into status.txt", kind=StepKind.CREATE, files=["status.txt"]
        ),
        PlanStep(
            index=1,
            description="Change 'draft' to 'final' in status.txt",
            kind=StepKind.EDIT,
            files=["status.txt"],
        ),
    ]
    (workspace / "notes.txt").write_text("status.txt goes from draft to final\n")
    task, _srv = await run_to_idle(
        workspace,
        handler,
        steps,
        goal="Take status.txt from draft to final (notes.txt)",
        runner__max_step_attempts=2,
    )
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "holds the same text as before" in (task.pause_reason or "")


async def test_after_two_whole_file_answers_the_last_try_goes_through_the_tools(workspace: Path) -> None:
    """Held-out typo-recieve on the 1.5B: both whole-file answers left the same "recieve" (the
    second sampled at 0.7). The third try is a tool round, where replace_text with all fits."""
    notes = "# notes\n- we recieve it\n- nobody could recieve mail\n"
    (workspace / "notes.md").write_text(notes)
    whole_asks: list[str] = []

    def handler(req: ChatRequest) -> Reply:
        if WHOLE in req.system_text:
            whole_asks.append(req.last_user_text)
            return Reply(text="```\n# notes\n- we receive it\n- nobody could recieve mail\n```")
        return worker(
            lambda r: Reply.tool(
                "replace_text", {"path": "notes.md", "old": "recieve", "new": "receive", "all": True}
            )
        )(req)

    steps = [PlanStep(index=0, description="fix recieve in notes.md", kind=StepKind.EDIT, files=["notes.md"])]
    goal = "notes.md says recieve instead of receive in a few places, fix them all"
    task, _srv = await run_to_idle(workspace, handler, steps, goal=goal, runner__max_step_attempts=3)
    assert len(whole_asks) == 2
    assert task.status == TaskStatus.COMPLETE, task.pause_reason
    assert (workspace / "notes.md").read_text() == notes.replace("recieve", "receive")


async def test_a_goal_value_no_changed_file_holds_stops_the_task(workspace: Path) -> None:
    """Held-out hosts-insert on the 1.5B, third try through the tools: replace_text turned the db1
    line into `db1 10.0.0.12`. The db1 line is where the goal points, so every rule passed, and
    the review said YES. The goal's new values, db2 among them, are in no file the task changed."""
    hosts = "web1 10.0.0.2\ndb1 10.0.0.11\ncache 10.0.0.20\n"
    (workspace / "hosts.txt").write_text(hosts)

    def act(req: ChatRequest) -> Reply:
        return Reply.tool(
            "replace_text", {"path": "hosts.txt", "old": "db1 10.0.0.11", "new": "db1 10.0.0.12"}
        )

    steps = [PlanStep(index=0, description="put db2 under db1", kind=StepKind.EDIT, files=["hosts.txt"])]
    goal = "hosts.txt: put db2 10.0.0.12 right under the db1 line"
    task, _srv = await run_to_idle(workspace, worker(act), steps, goal=goal, runner__whole_file_edits=False)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "the goal names 'db2', and no file the task changed holds it" in (task.pause_reason or "")
    assert (workspace / "hosts.txt").read_text() == hosts.replace("db1 10.0.0.11", "db1 10.0.0.12")


async def test_a_step_whose_addition_was_already_there_is_done_when_it_then_writes_nothing(
    workspace: Path,
) -> None:
    """Suite readme on the 1.5B: step 1 wrote both lines; step 2 ("Add the line 'Run it with
    make.' …") appended it again, was refused ("if the file already holds what the step asks,
    reply DONE without writing"), did so, and the verifier said NO: a task whose file was right
    ended in "needs you". The runner's advice, followed, is judged on the file as it is."""
    tries: list[int] = []

    def act(req: ChatRequest) -> Reply:
        if "Current step (1 of 2)" in req.last_user_text:
            return Reply.tool("write_file", {"path": "README.md", "content": "# Demo\nRun it with make.\n"})
        tries.append(1)
        if len(tries) == 1:
            return Reply.tool("append_file", {"path": "README.md", "text": "Run it with make.\n"})
        return Reply(text="DONE: the line is already there")

    steps = [
        PlanStep(index=0, description="Write README.md with the title line '# Demo'"),
        PlanStep(index=1, description="Add the line 'Run it with make.' under the title of README.md"),
    ]
    handler = verifier_says("VERDICT: NO\nEVIDENCE: none\nREASON: nothing was appended", "Add the line", act)
    task, _srv = await run_to_idle(workspace, handler, steps, goal="Write a two-line README.md")
    assert task.status == TaskStatus.COMPLETE, task.pause_reason
    assert (workspace / "README.md").read_text() == "# Demo\nRun it with make.\n"
    assert any(
        "README.md already holds 'Run it with make.', as the last try found" in e.content
        for e in task.journal
    )


async def test_a_step_that_writes_nothing_is_not_done_by_what_an_earlier_step_wrote(
    workspace: Path,
) -> None:
    """The other way round: step 1 wrote 'debug=true', step 2 must take it out. A try that writes
    nothing, never having tried, is judged as before (the verifier's NO stands), however much of
    the step's text the file holds."""

    def act(req: ChatRequest) -> Reply:
        if "Current step (1 of 2)" in req.last_user_text:
            return Reply.tool("write_file", {"path": "config.ini", "content": "debug=true\nport=80\n"})
        return Reply(text="DONE: nothing to do")

    steps = [
        PlanStep(index=0, description="Write config.ini with the lines 'debug=true' and 'port=80'"),
        PlanStep(index=1, description="Remove the line 'debug=true' from config.ini"),
    ]
    handler = verifier_says("VERDICT: NO\nEVIDENCE: none\nREASON: the line is still there", "Remove", act)
    task, _srv = await run_to_idle(workspace, handler, steps, goal="Write config.ini without debug")
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert not any("already holds" in e.content for e in task.journal)


def test_a_literal_is_held_only_as_a_whole() -> None:
    from smallclaw_tui.runner.earlier import holds, literals

    assert literals("Raise the timeout to 60 and write 'v1.2' into 'a.txt'") == ["v1.2", "a.txt", "60"]
    assert holds("timeout=60\n", "60") and not holds("timeout=600\n", "60") and not holds("x=16", "6")
    assert holds("# Demo\nRun it with make.\n", "Run it with make.")
    assert literals("the user's list") == []  # an apostrophe is not a quote


def test_a_resume_gives_the_step_a_fresh_start_of_its_try_modes() -> None:
    """What one try taught the next (the file already held the text) is about that try: a
    person's resume starts the step afresh."""
    from smallclaw_tui.models import Task
    from smallclaw_tui.taskops import resume

    task = Task(title="t", prompt="p", plan=[PlanStep(index=0, description="s")])
    task.status = TaskStatus.NEEDS_ASSISTANCE
    task.resume_context.already_held = True
    resume(task)
    assert not task.resume_context.already_held


async def test_a_value_the_goal_moves_away_from_is_not_missing_at_the_end(workspace: Path) -> None:
    """Suite plan-versions on the 1.5B: "Take plan.txt from v1 to v2": step 1 wrote v1, step 2
    changed it to v2, and the end check asked for 'v1' in a file the task changed, sending a
    right end state to "needs you". A value an accepted step wrote was there; a later step
    moving on from it is the plan working."""

    def act(req: ChatRequest) -> Reply:
        if "Current step (1 of 2)" in req.last_user_text:
            return Reply.tool("write_file", {"path": "plan.txt", "content": "v1\n"})
        return Reply.tool("replace_text", {"path": "plan.txt", "old": "v1", "new": "v2"})

    steps = [
        PlanStep(index=0, description="Write 'v1' into plan.txt"),
        PlanStep(index=1, description="Change 'v1' to 'v2' in plan.txt"),
    ]
    task, _srv = await run_to_idle(
        workspace, worker(act), steps, goal="Take plan.txt from v1 to v2", runner__whole_file_edits=False
    )
    assert task.status == TaskStatus.COMPLETE, task.pause_reason
    assert (workspace / "plan.txt").read_text() == "v2\n"
