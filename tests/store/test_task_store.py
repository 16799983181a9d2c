from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smallclaw_tui.models import JournalEntry, JournalType, PlanStep, Task, TaskStatus
from smallclaw_tui.store.journal import append_entries_sync
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


TORN = b'{"t": "2026-01-01T00:00:00Z", "type": "no'  # what kill -9 mid-append leaves


def _quarantined(store: TaskStore) -> list[Path]:
    q = store.quarantine_dir
    return sorted(p for p in q.iterdir() if not p.name.endswith(".reason.txt")) if q.is_dir() else []


async def test_append_after_a_torn_tail_keeps_the_new_entry_and_parks_the_torn_bytes_once(
    workspace: Path,
) -> None:
    store = _store(workspace)
    task = await store.create(Task(title="t", prompt="p"))
    with store.journal_path(task.id).open("ab") as f:
        f.write(TORN)
    await store.append_journal(task, JournalEntry(type=JournalType.PAUSE, content="after the crash"))
    await store.append_journal(task, JournalEntry(type=JournalType.NOTE, content="and one more"))
    for _ in range(3):
        result = await store.load_all(with_journal=True)
        journal = result.tasks[0].journal
        assert [e.content for e in journal] == ["created: t", "after the crash", "and one more"]
        assert not result.problems and not result.notes  # mended: nothing left to report
    parked = _quarantined(store)
    assert len(parked) == 1 and parked[0].read_bytes() == TORN  # the torn bytes, kept, once
    reason = parked[0].with_name(parked[0].name + ".reason.txt").read_text()
    assert "cut short" in reason and str(store.journal_path(task.id)) in reason


async def test_a_torn_tail_is_reported_on_load_but_not_copied_on_every_load(workspace: Path) -> None:
    store = _store(workspace)
    task = await store.create(Task(title="t", prompt="p"))
    with store.journal_path(task.id).open("ab") as f:
        f.write(TORN)
    for _ in range(3):
        result = await store.load_all(with_journal=True)
        assert result.notes and "cut short" in result.notes[0] and not result.problems
    assert _quarantined(store) == []  # loading only reads; the bytes stay until an append mends them


async def test_a_last_line_missing_only_its_newline_is_kept_not_quarantined(workspace: Path) -> None:
    store = _store(workspace)
    task = await store.create(Task(title="t", prompt="p"))
    whole = JournalEntry(type=JournalType.NOTE, content="complete but no newline")
    with store.journal_path(task.id).open("ab") as f:
        f.write(whole.model_dump_json().encode())
    await store.append_journal(task, JournalEntry(type=JournalType.NOTE, content="next"))
    loaded = await store.load(task.id)
    assert [e.content for e in loaded.journal] == ["created: t", "complete but no newline", "next"]
    assert _quarantined(store) == []


async def test_a_damaged_middle_line_is_copied_to_quarantine_once_and_new_damage_again(
    workspace: Path,
) -> None:
    store = _store(workspace)
    task = await store.create(Task(title="t", prompt="p"))
    with store.journal_path(task.id).open("ab") as f:
        f.write(b"not json at all\n")
    await store.append_journal(task, JournalEntry(type=JournalType.NOTE, content="after"))
    first = await store.load_all(with_journal=True)
    assert len(first.problems) == 1
    for _ in range(2):
        again = await store.load_all(with_journal=True)
        assert not again.problems and "already in quarantine" in again.notes[0]
        assert [e.content for e in again.tasks[0].journal] == ["created: t", "after"]
    assert len(_quarantined(store)) == 1
    with store.journal_path(task.id).open("ab") as f:
        f.write(b"more damage\n")
    assert len((await store.load_all(with_journal=True)).problems) == 1
    assert len(_quarantined(store)) == 2


async def test_append_reads_only_the_tail_not_the_whole_journal(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(workspace)
    task = await store.create(Task(title="t", prompt="p"))
    filler = JournalEntry(type=JournalType.TOOL_RESULT, content="x" * 500)
    append_entries_sync(store.journal_path(task.id), [filler] * 4000)  # about 2.5 MB
    with store.journal_path(task.id).open("ab") as f:
        f.write(TORN)
    read: list[int] = []
    real_pread = os.pread

    def counting_pread(fd: int, n: int, offset: int) -> bytes:
        data = real_pread(fd, n, offset)
        read.append(len(data))
        return data

    monkeypatch.setattr(os, "pread", counting_pread)
    for i in range(3):
        await store.append_journal(task, JournalEntry(type=JournalType.NOTE, content=f"n{i}"))
    # The torn line is read back once (two chunks at most), then one byte per append.
    assert sum(read) < 20_000, read
    monkeypatch.undo()
    assert [e.content for e in (await store.load(task.id)).journal][-3:] == ["n0", "n1", "n2"]


APPENDER = r"""
import sys
from pathlib import Path
from smallclaw_tui.models import JournalEntry, JournalType
from smallclaw_tui.store.journal import append_entries_sync
path, who = Path(sys.argv[1]), sys.argv[2]
for i in range(150):
    # Bigger than a page, so a reader of the tail could catch a write half done without the flock.
    append_entries_sync(path, [JournalEntry(type=JournalType.NOTE, content=f"{who}{i}:" + "y" * 9000)])
"""


def test_two_processes_appending_at_once_lose_nothing(workspace: Path) -> None:
    store = _store(workspace)
    path = store.journal_path("shared")
    procs = [subprocess.Popen([sys.executable, "-c", APPENDER, str(path), who]) for who in ("a", "b", "c")]
    for p in procs:
        assert p.wait(timeout=120) == 0
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 451
    got = sorted(json.loads(line)["content"].split(":")[0] for line in lines[:-1])
    assert got == sorted(f"{w}{i}" for w in "abc" for i in range(150))
    assert _quarantined(store) == []


async def test_a_folder_named_like_a_task_file_is_reported_and_left_in_place(workspace: Path) -> None:
    store = _store(workspace)
    good = await store.create(Task(title="good", prompt="p"))
    folder = store.tasks_dir / "odd.json"
    folder.mkdir()
    (folder / "inside.txt").write_text("keep me")
    result = await store.load_all()
    assert [t.id for t in result.tasks] == [good.id]
    assert any("odd.json" in n and "folder" in n for n in result.notes)
    assert not result.problems and (folder / "inside.txt").read_text() == "keep me"
    with pytest.raises(TaskNotFound, match="is a folder"):
        await store.load("odd")
