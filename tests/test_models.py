from __future__ import annotations

import json

import pytest
from pydantic import TypeAdapter, ValidationError

from smallclaw_tui.models import (
    SCHEMA_VERSION,
    ChatMessage,
    ChatSessionRecord,
    Check,
    CommandSucceedsCheck,
    FileContainsCheck,
    FileExistsCheck,
    InvalidTransition,
    JournalEntry,
    JournalType,
    Origin,
    PendingApproval,
    PlanStep,
    ResumeContext,
    Role,
    StepStatus,
    Task,
    TaskStatus,
    ToolCall,
)


def _full_task() -> Task:
    call = ToolCall(name="write_file", arguments={"path": "a.txt", "content": "hi"})
    return Task(
        title="t",
        prompt="do it",
        status=TaskStatus.RUNNING,
        plan=[
            PlanStep(
                index=0,
                description="write",
                status=StepStatus.DONE,
                checks=[
                    FileExistsCheck(path="a.txt"),
                    FileContainsCheck(path="a.txt", text="h.", regex=True),
                    CommandSucceedsCheck(command="test -f a.txt"),
                ],
                attempts=2,
            )
        ],
        journal=[JournalEntry(type=JournalType.TOOL_CALL, content="write_file", detail={"x": 1}, step=0)],
        resume_context=ResumeContext(step_index=0, in_flight_tool_call=call, user_notes=["n"]),
        pending_approval=PendingApproval(command="rm -rf build"),
        origin=Origin(session_id="chat_1", channel="telegram", telegram_chat_id=42),
        rounds=3,
    )


@pytest.mark.parametrize(
    "obj",
    [
        _full_task(),
        PlanStep(index=1, description="x"),
        JournalEntry(type=JournalType.VERIFY, content="YES"),
        Origin(),
        ResumeContext(),
        ToolCall(name="read_file", arguments={"path": "x"}),
        ChatMessage(role=Role.ASSISTANT, content="hi", thinking="hmm", tool_calls=[ToolCall(name="a")]),
        ChatSessionRecord(key="chat_1", messages=[ChatMessage(role=Role.USER, content="q")]),
    ],
    ids=lambda o: type(o).__name__,
)
def test_every_model_round_trips_through_json(obj: object) -> None:
    cls = type(obj)
    text = obj.model_dump_json()  # type: ignore[attr-defined]
    assert cls.model_validate_json(text) == obj  # type: ignore[attr-defined]


def test_checks_are_a_tagged_union() -> None:
    adapter: TypeAdapter[Check] = TypeAdapter(Check)
    assert isinstance(adapter.validate_python({"kind": "file_exists", "path": "a"}), FileExistsCheck)
    with pytest.raises(ValidationError):
        adapter.validate_python({"kind": "file_smells_nice", "path": "a"})


def test_unknown_fields_survive_a_round_trip() -> None:
    data = json.loads(Task(title="t", prompt="p").model_dump_json())
    data["added_by_a_newer_version"] = {"k": 1}
    again = json.loads(Task.model_validate(data).model_dump_json())
    assert again["added_by_a_newer_version"] == {"k": 1}


def test_wrong_schema_version_is_refused_with_a_clear_error() -> None:
    data = json.loads(Task(title="t", prompt="p").model_dump_json())
    data["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(ValidationError, match="schema_version"):
        Task.model_validate(data)


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        (["running", "complete"], True),
        (["running", "needs_assistance", "queued", "running", "paused", "queued"], True),
        (["paused", "cancelled"], True),
        (["running", "failed", "queued"], True),
        (["running", "complete", "running"], False),
        (["cancelled", "queued"], False),
        (["running", "complete", "cancelled"], False),
        (["complete"], False),  # straight from queued
        (["paused", "running"], False),  # resume goes through the queue
    ],
)
def test_status_transitions_are_enforced(path: list[str], ok: bool) -> None:
    task = Task(title="t", prompt="p")
    if ok:
        for s in path:
            task.transition(TaskStatus(s))
        assert task.status == TaskStatus(path[-1])
    else:
        with pytest.raises(InvalidTransition) as err:
            for s in path:
                task.transition(TaskStatus(s))
        assert "cannot become" in str(err.value) and task.id in str(err.value)


def test_transition_keeps_timestamps_and_reason() -> None:
    task = Task(title="t", prompt="p")
    task.transition(TaskStatus.RUNNING)
    assert task.started_at is not None
    task.transition(TaskStatus.NEEDS_ASSISTANCE, reason="model server unreachable")
    assert task.pause_reason == "model server unreachable"
    task.transition(TaskStatus.QUEUED)
    assert task.pause_reason is None
    task.transition(TaskStatus.RUNNING)
    task.transition(TaskStatus.COMPLETE)
    assert task.completed_at is not None and task.status.is_final
