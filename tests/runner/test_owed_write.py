"""A step that must write a file and did not is asked once, in the same conversation, for the
file's whole text; a write the try made to a file the step never named is undone."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from runner_helpers import run_to_idle, worker

from smallclaw_tui.models import (
    FileContainsCheck,
    FileExistsCheck,
    JournalType,
    PlanStep,
    StepKind,
    TaskStatus,
)
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

OWED = "Reply with the complete text of"


def owing(act: Callable[[ChatRequest], Reply]) -> Callable[[ChatRequest], Reply]:
    """`worker`, with the runner's question for an owed file answered by `act` too."""
    scripted = worker(act)
    return lambda req: act(req) if OWED in req.last_user_text else scripted(req)


WHOLE = "You edit one file"


async def test_a_file_the_steps_check_names_and_the_try_did_not_write_is_asked_for(
    workspace: Path,
) -> None:
    """Seen on Qwen2.5-Coder-1.5B (suite plan-versions, status-flow): "Write 'v1' into plan.txt"
    was answered by writing v1/plan.txt, then "DONE"; both tries failed on the check."""
    asked: list[ChatRequest] = []

    def act(req: ChatRequest) -> Reply:
        if OWED in req.last_user_text:
            asked.append(req)
            return Reply(text="```\nv1\n```")
        return Reply.tool("write_file", {"path": "v1/plan.txt", "content": "v1"})

    step = PlanStep(
        index=0,
        description="Write 'v1' into plan.txt",
        checks=[FileContainsCheck(path="plan.txt", text="v1")],
    )
    done, _srv = await run_to_idle(workspace, owing(act), [step], goal="take plan.txt to v1")
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert (workspace / "plan.txt").read_text() == "v1\n"
    # The stray file is gone, and the journal says so.
    assert not (workspace / "v1" / "plan.txt").exists()
    notes = [e.content for e in done.journal if e.type == JournalType.NOTE]
    assert any("v1/plan.txt" in n and "plan.txt was not written" in n for n in notes), notes
    # The question went on in the step's own conversation: the step prompt and the model's call
    # come before it, so the server reads only the new tokens.
    texts = asked[0].texts("user")
    assert texts[0].startswith("Goal:") and OWED in texts[-1]
    assert len(asked) == 1


async def test_an_owed_file_answered_without_a_block_is_not_written(workspace: Path) -> None:
    def act(req: ChatRequest) -> Reply:
        if OWED in req.last_user_text:
            return Reply(text="I wrote it already.")
        return Reply(text="DONE: wrote plan.txt")

    step = PlanStep(
        index=0,
        description="Write 'v1' into plan.txt",
        checks=[FileContainsCheck(path="plan.txt", text="v1")],
    )
    stuck, _srv = await run_to_idle(workspace, owing(act), [step], goal="take plan.txt to v1")
    assert stuck.status == TaskStatus.NEEDS_ASSISTANCE
    assert not (workspace / "plan.txt").exists()


@pytest.mark.parametrize(
    ("kind", "description", "call", "check"),
    [
        (StepKind.READ, "Read notes.txt", ("read_file", {"path": "notes.txt"}), "zzz"),
        # A command that was to update a user's file and did not: typed instead, the file would
        # hold made-up text (run steps owing their checks' files was measured: TUNING §22).
        (
            StepKind.RUN,
            "Run the migration to update notes.txt",
            ("run_shell", {"command": "cat notes.txt"}),
            "v2",
        ),
    ],
    ids=["read", "run"],
)
async def test_a_read_or_run_step_owes_no_file(
    workspace: Path, kind: StepKind, description: str, call: tuple[str, dict[str, str]], check: str
) -> None:
    (workspace / "notes.txt").write_text("a\n")
    owed: list[str] = []

    def act(req: ChatRequest) -> Reply:
        if OWED in req.last_user_text:
            owed.append(req.last_user_text)
            return Reply(text=f"```\n{check}\n```")
        return Reply.tool(*call)

    step = PlanStep(
        index=0,
        description=description,
        kind=kind,
        files=["notes.txt"] if kind is StepKind.READ else [],
        checks=[FileContainsCheck(path="notes.txt", text=check)],
    )
    done, _srv = await run_to_idle(workspace, owing(act), [step], goal="look after notes.txt")
    assert owed == []
    assert done.status == TaskStatus.NEEDS_ASSISTANCE
    assert (workspace / "notes.txt").read_text() == "a\n"


async def test_a_create_step_whose_file_exists_is_edited_whole(workspace: Path) -> None:
    """The 1.5B planned "Write list.txt with the line 'soap'" as a create for a list an earlier
    step had made; called as a create, write_file refused and the model gave up."""
    (workspace / "list.txt").write_text("eggs\nrice\ntea\n")
    shown: list[str] = []

    def handler(req: ChatRequest) -> Reply:
        if WHOLE in req.system_text:
            shown.append(req.last_user_text)
            return Reply(text="```\neggs\nrice\ntea\nsoap\n```")
        return worker(lambda r: Reply(text="DONE"))(req)

    step = PlanStep(
        index=0, description="Write list.txt with the line 'soap'", kind=StepKind.CREATE, files=["list.txt"]
    )
    done, _srv = await run_to_idle(workspace, handler, [step], goal="add soap to list.txt")
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert (workspace / "list.txt").read_text() == "eggs\nrice\ntea\nsoap\n"
    assert "The current text of list.txt:\n```\neggs\nrice\ntea\n```" in shown[0]


async def test_an_input_that_was_never_there_is_not_asked_for(workspace: Path) -> None:
    """ "Copy the text of missing.txt into copy.txt": asked for missing.txt, a model would make it
    up, and the task would end complete. A file the goal names, missing at the start, that the
    step's checks only ask to exist, or that the try failed to read, is an input."""
    owed: list[str] = []

    def act(req: ChatRequest) -> Reply:
        if OWED in req.last_user_text:
            owed.append(req.last_user_text)
            return Reply(text="```\nmade up\n```")
        return Reply.tool("read_file", {"path": "missing.txt"})

    steps = [
        PlanStep(
            index=0,
            description="Read missing.txt to get the text to copy",
            checks=[FileExistsCheck(path="missing.txt")],
        ),
        PlanStep(
            index=1,
            description="Write the text of missing.txt into copy.txt",
            checks=[FileContainsCheck(path="missing.txt", text="x")],
        ),
    ]
    stuck, _srv = await run_to_idle(
        workspace, owing(act), steps, goal="Copy the text of missing.txt into copy.txt"
    )
    assert stuck.status == TaskStatus.NEEDS_ASSISTANCE
    assert owed == [] and not (workspace / "missing.txt").exists()


async def test_an_owed_file_answered_with_a_tool_call_gets_the_calls_text_not_the_call(
    workspace: Path,
) -> None:
    """Qwen2.5-Coder-1.5B (suite status-flow) answered the question with a write_file call in a
    ```json block, aimed at the wrong folder again; the call's JSON became done.flag, and every
    check passed (done.flag "contains" 'ok'). The text it meant is the call's content."""
    call = '{"name": "write_file", "arguments": {"path": "draft/done.flag", "content": "ok"}}'

    def act(req: ChatRequest) -> Reply:
        if OWED in req.last_user_text:
            return Reply(text=f"```json\n{call}\n```")
        return Reply.tool("write_file", {"path": "draft/done.flag", "content": "ok"})

    step = PlanStep(
        index=0,
        description="Create done.flag containing 'ok'",
        checks=[FileContainsCheck(path="done.flag", text="ok")],
    )
    done, _srv = await run_to_idle(workspace, owing(act), [step], goal="flag it done")
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert (workspace / "done.flag").read_text() == "ok"


async def test_a_missing_file_checked_only_to_exist_is_owed_when_the_try_wrote_it_elsewhere(
    workspace: Path,
) -> None:
    """Suite plan-versions: "Write 'v1' into plan.txt" (check: plan.txt exists) wrote v1/plan.txt.
    The goal names plan.txt and it was missing at the start, like an input; but the try wrote a
    file of that very name in another folder: it is this step's output, put in the wrong place."""

    def act(req: ChatRequest) -> Reply:
        if OWED in req.last_user_text:
            return Reply(text="```\nv1\n```")
        return Reply.tool("write_file", {"path": "v1/plan.txt", "content": "v1"})

    step = PlanStep(
        index=0, description="Write 'v1' into plan.txt", checks=[FileExistsCheck(path="plan.txt")]
    )
    # The goal of this one step alone: "… from v1 to v2" with only this step now ends unmet (v2).
    done, _srv = await run_to_idle(workspace, owing(act), [step], goal="Start plan.txt at v1")
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert (workspace / "plan.txt").read_text() == "v1\n"
    assert not (workspace / "v1" / "plan.txt").exists()


async def test_an_answer_that_echoes_the_question_is_not_the_files_text(workspace: Path) -> None:
    """Qwen2.5-Coder-0.5B answered "the text of py_count.txt" with the runner's own question in a
    block, and that sentence was written as the count (held-out count-py, a false completion)."""

    def act(req: ChatRequest) -> Reply:
        if OWED in req.last_user_text:
            return Reply(
                text="```python\nDONE: py_count.txt was not written, and this step must write it.\n```"
            )
        return Reply(text="DONE: counted")

    step = PlanStep(
        index=0,
        description="Create py_count.txt with the count",
        kind=StepKind.CREATE,
        files=["py_count.txt"],
    )
    stuck, _srv = await run_to_idle(
        workspace, owing(act), [step], goal="how many python files? the number in py_count.txt"
    )
    assert stuck.status == TaskStatus.NEEDS_ASSISTANCE
    assert not (workspace / "py_count.txt").exists()


ROLE = "an output of this step"
WRITTEN = "Which file does this step write?"


def answering(
    role: str, written: str, text: str, act: Callable[[ChatRequest], Reply], asked: list[str] | None = None
) -> Callable[[ChatRequest], Reply]:
    """`act`, with the role questions answered `role` and `written`, and an owed file asked for
    answered `text` in a block; each of those questions is kept in `asked`."""

    def handler(req: ChatRequest) -> Reply:
        said = req.last_user_text
        for mark, reply in ((ROLE, role), (WRITTEN, written), (OWED, f"```\n{text}```")):
            if mark in said:
                if asked is not None:
                    asked.append(said)
                return Reply(text=reply)
        return act(req)

    return handler


@pytest.mark.parametrize("own_check", [True, False], ids=["own-check", "no-checks"])
async def test_a_missing_file_the_model_says_the_step_makes_is_asked_for(
    workspace: Path, own_check: bool
) -> None:
    """Suite index-src on Qwen2.5-Coder-1.5B: "List the src folder and write the file names, one
    per line, into src/index.txt" listed src/ and said DONE, twice. src/index.txt was missing at the
    start and checked only to exist, as an input would be, so it was never asked for. Without
    checks of its own (as the suite gives it) the step is judged by the file its words name, and
    the same fact makes that file owed."""
    (workspace / "src").mkdir()
    (workspace / "src" / "a.py").write_text("print('a')\n")
    asked: list[str] = []

    def act(req: ChatRequest) -> Reply:
        if req.tool_results:
            return Reply(text="DONE: listed it")
        return Reply.tool("list_dir", {"path": "src"})

    step = PlanStep(
        index=0,
        description="List the src folder and write the file names, one per line, into src/index.txt",
        checks=[FileExistsCheck(path="src/index.txt")] if own_check else [],
    )
    handler = owing(answering("OUTPUT", "src/index.txt", "a.py\n", act, asked))
    done, _srv = await run_to_idle(
        workspace, handler, [step], goal="Index the files of src/ in src/index.txt"
    )
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert (workspace / "src" / "index.txt").read_text() == "a.py\n"
    roles = [q for q in asked if ROLE in q]
    assert len(roles) == 1 and "src/index.txt" in roles[0]


async def test_a_missing_file_the_model_says_the_step_reads_is_not_asked_for(workspace: Path) -> None:
    """The same questions keep an input an input: the model never tried to read missing.txt (so
    no failed read marks it); asked which file the step writes, the 1.5B named missing.txt, but
    said it is an input. Nothing is made up and the task stops for the user."""
    asked: list[str] = []
    act = answering("INPUT", "missing.txt", "made up\n", lambda req: Reply(text="DONE: read it"), asked)

    step = PlanStep(
        index=0,
        description="Read missing.txt to get the text to copy",
        checks=[FileExistsCheck(path="missing.txt")],
    )
    stuck, _srv = await run_to_idle(
        workspace, owing(act), [step], goal="Copy the text of missing.txt into copy.txt"
    )
    assert stuck.status == TaskStatus.NEEDS_ASSISTANCE
    assert not [q for q in asked if OWED in q] and not (workspace / "missing.txt").exists()


def test_a_file_is_made_by_the_step_only_when_both_answers_say_so() -> None:
    """The 1.5B's answers, probed (bench/real/TUNING.md §22)."""
    from smallclaw_tui.runner.owed import answered_make

    assert answered_make("OUTPUT", "src/index.txt", "src/index.txt")
    assert answered_make("OUTPUT", "index.txt", "src/index.txt")
    assert not answered_make("INPUT", "missing.txt", "missing.txt")  # "Read missing.txt …"
    assert not answered_make("OUTPUT", "copy.txt", "missing.txt")  # the other file is written
    assert not answered_make("OUTPUT", "report", "report.pdf")
    assert not answered_make("OUTPUT or INPUT", "a.txt", "a.txt")
    assert not answered_make("OUTPUT", "data.txt", "a.txt")


async def test_a_read_step_naming_a_goal_output_no_step_writes_may_owe_it(workspace: Path) -> None:
    """Suite rename-key on the 1.5B: the planner declared "List all keys in keys.txt" a read of
    app.cfg, and no step of the plan wrote keys.txt, a file the goal names and the workspace
    lacked. Read steps owe nothing, so the model's list_dir of keys.txt and DONE went to the
    verifier, which said NO twice. Such a step keeps its words and loses its 'read': the same
    two questions as for any step decide whether it makes the file, and then it is asked for."""
    (workspace / "app.cfg").write_text("owner=admin\ntimeout=60\n")
    plan = {
        "steps": [
            {
                "action": "read",
                "files": ["app.cfg"],
                "description": "List all keys in keys.txt",
                "checks": [{"kind": "command_succeeds", "command": "grep -q owner app.cfg"}],
            }
        ]
    }

    def act(req: ChatRequest) -> Reply:
        if "You plan work" in req.system_text:
            return Reply(text=json.dumps(plan))
        if req.tool_results:
            return Reply(text="DONE: listed them")
        return Reply.tool("list_dir", {"path": "keys.txt"})

    handler = owing(answering("OUTPUT", "keys.txt", "owner\ntimeout\n", act))
    done, _srv = await run_to_idle(workspace, handler, None, goal="list the keys of app.cfg in keys.txt")
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert (workspace / "keys.txt").read_text() == "owner\ntimeout\n"
    assert any("no step of the plan writes keys.txt" in e.content for e in done.journal)


def test_only_a_read_step_naming_a_missing_goal_file_no_step_writes_loses_its_kind() -> None:
    from smallclaw_tui.runner.premises import with_unplanned_outputs

    def step(i: int, action: StepKind, files: list[str], words: str) -> PlanStep:
        return PlanStep(index=i, kind=action, files=files, description=words)

    lists = step(1, StepKind.READ, ["app.cfg"], "List all keys in keys.txt")
    steps, notes = with_unplanned_outputs(
        [step(0, StepKind.EDIT, ["app.cfg"], "rename user"), lists], {"keys.txt"}
    )
    assert steps[1].kind is None and steps[1].files == ["app.cfg", "keys.txt"]
    assert FileExistsCheck(path="keys.txt") in steps[1].checks and len(notes) == 1
    # A later step that writes it, a file that was there, or a step that is not a read: unchanged.
    writes = step(2, StepKind.CREATE, ["keys.txt"], "Write keys.txt")
    assert with_unplanned_outputs([lists, writes], {"keys.txt"}) == ([lists, writes], [])
    assert with_unplanned_outputs([lists], set()) == ([lists], [])
    runs = step(0, StepKind.RUN, [], "List all keys in keys.txt")
    assert with_unplanned_outputs([runs], {"keys.txt"}) == ([runs], [])
