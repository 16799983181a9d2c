from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from smallclaw_tui.models import JournalEntry, JournalType, PlanStep, Task, TaskStatus
from smallclaw_tui.store.tasks import AmbiguousTaskId, TaskNotFound, TaskStore


def _store(ws: Path) -> TaskStore:
    s = TaskStore(ws / ".localclaw")
    s.ensure()
    return s


async def test_create_save_load_round_trip_with_journal(workspace: Path) -> None:
    store = _store(workspace)
    task = await store.create(Task(title="t", prompt="p", plan=[PlanStep(index=0, description="s")]))
    task.transition(TaskStatus.RUNNING)
    await store.save(task)
    await store.append_journal(task, JournalEntry(type=JournalType.ROUND, content="round 1"))
    loaded = await store.load(task.id)
    assert loaded.status == TaskStatus.RUNNING
    assert [e.content for e in loaded.journal] == ["created: t", "round 1"]
    # The task file itself never carries the journal: appends never rewrite it.
    assert "journal" not in json.loads(store.task_path(task.id).read_text())


async def test_id_prefix_unique_ambiguous_and_missing(workspace: Path) -> None:
    store = _store(workspace)
    a = await store.create(Task(id="abc123", title="a", prompt="p"))
    await store.create(Task(id="abd456", title="b", prompt="p"))
    assert (await store.load("abc")).id == a.id
    with pytest.raises(AmbiguousTaskId, match="ambiguous"):
        await store.load("ab")
    with pytest.raises(TaskNotFound):
        await store.load("zz")


READER = r"""
import json, sys, time, os
path = sys.argv[1]
seen = bad = 0
deadline = time.time() + 60
open(sys.argv[2], "w").close()  # tell the writer we are polling
while not os.path.exists(sys.argv[3]) and time.time() < deadline:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        continue
    seen += 1
    try:
        json.loads(raw)
    except ValueError:
        bad += 1
print(json.dumps({"seen": seen, "bad": bad}))
"""


async def test_reader_never_sees_half_a_file_during_1000_writes(workspace: Path) -> None:
    store = _store(workspace)
    task = await store.create(Task(title="t", prompt="p" * 2000))
    ready, stop = workspace / "ready", workspace / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(store.task_path(task.id)), str(ready), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        while not ready.exists():
            await asyncio.sleep(0.01)
        for i in range(1000):
            task.rounds = i
            task.prompt = ("x" * (i % 97)) + "p" * 2000
            await store.save(task)
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=30)
    stats = json.loads(out)
    assert stats["seen"] > 50, stats  # the reader really was polling during the writes
    assert stats["bad"] == 0, stats
    assert not list(store.tasks_dir.glob(".*.tmp")), "no temp files left behind"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"schema_version": 1, "id": "x", "title": "t", "pro', "not valid JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\xff\xfe garbage \x00", "not UTF-8"),
        (None, "schema_version"),
        (b"", "empty file"),
    ],
    ids=["truncated", "garbage-bytes", "wrong-schema-version", "empty"],
)
async def test_bad_files_are_quarantined_reported_and_the_rest_load(
    workspace: Path, content: bytes | None, reason: str
) -> None:
    store = _store(workspace)
    good = [await store.create(Task(title=f"good {i}", prompt="p")) for i in range(3)]
    bad = store.task_path("badtask")
    if content is None:
        data = json.loads(Task(id="badtask", title="t", prompt="p").model_dump_json())
        data["schema_version"] = 99
        content = json.dumps(data).encode()
    bad.write_bytes(content)
    store.journal_path("badtask").write_text("")

    result = await store.load_all()

    assert sorted(t.id for t in result.tasks) == sorted(t.id for t in good)
    assert len(result.problems) == 1
    report = result.problems[0]
    assert reason in report.reason and "badtask" in str(report)
    assert not bad.exists()
    assert report.moved_to.read_bytes() == content  # moved, byte for byte, never deleted
    reason_file = report.moved_to.with_name(report.moved_to.name + ".reason.txt")
    assert reason in reason_file.read_text()
    assert report.moved_to.parent == workspace / ".localclaw" / "quarantine"


async def test_torn_last_journal_line_is_skipped_and_earlier_lines_kept(workspace: Path) -> None:
    store = _store(workspace)
    task = await store.create(Task(title="t", prompt="p"))
    for i in range(5):
        await store.append_journal(task, JournalEntry(type=JournalType.NOTE, content=f"n{i}"))
    with store.journal_path(task.id).open("ab") as f:
        f.write(b'{"t": "2026-01-01T00:00:00Z", "type": "no')  # kill -9 mid-append
    loaded = await store.load_all(with_journal=True)
    assert [e.content for e in loaded.tasks[0].journal][-5:] == [f"n{i}" for i in range(5)]
    assert loaded.notes and "cut short" in loaded.notes[0]
    assert not loaded.problems


async def test_damaged_journal_line_in_the_middle_keeps_the_rest_and_parks_a_copy(workspace: Path) -> None:
    store = _store(workspace)
    task = await store.create(Task(title="t", prompt="p"))
    with store.journal_path(task.id).open("ab") as f:
        f.write(b"not json at all\n")
    await store.append_journal(task, JournalEntry(type=JournalType.NOTE, content="after"))
    result = await store.load_all(with_journal=True)
    assert [e.content for e in result.tasks[0].journal] == ["created: t", "after"]
    assert len(result.problems) == 1 and result.problems[0].moved_to.exists()
    assert store.journal_path(task.id).exists()


async def test_load_all_loads_many_tasks(workspace: Path) -> None:
    store = _store(workspace)
    await asyncio.gather(*(store.create(Task(title=f"t{i}", prompt="p")) for i in range(200)))
    result = await store.load_all()
    assert len(result.tasks) == 200 and not result.problems
