"""Task ids come from files a person (or a bug) may have copied or edited: a task file is trusted
only when its id is a plain id and its name is that id. Anything else is set aside, never used to
build a path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smallclaw_tui.models import Task
from smallclaw_tui.store.tasks import TaskNotFound, TaskStore, is_plain_id


def _store(ws: Path, **kw: bool) -> TaskStore:
    s = TaskStore(ws / ".localclaw", **kw)
    s.ensure()
    return s


def _task_json(task_id: str, title: str = "t") -> str:
    data = json.loads(Task(title=title, prompt="p").model_dump_json())
    data["id"] = task_id
    return json.dumps(data)


def _parked(store: TaskStore) -> list[Path]:
    q = store.quarantine_dir
    return sorted(p for p in q.iterdir() if not p.name.endswith(".reason.txt")) if q.is_dir() else []


def test_generated_ids_are_plain_and_paths_are_never_built_from_other_ids(workspace: Path) -> None:
    store = _store(workspace)
    assert all(is_plain_id(Task(title="t", prompt="p").id) for _ in range(50))
    for bad in ["../../etc/x", "a/b", "", "x" * 65, "a b", "ABC", "a.b", "-a", "é"]:
        assert not is_plain_id(bad), bad
        with pytest.raises(ValueError, match="not a plain task id"):
            store.task_path(bad)
        with pytest.raises(ValueError, match="not a plain task id"):
            store.journal_path(bad)


async def test_saving_a_task_with_an_unsafe_id_writes_nothing(workspace: Path) -> None:
    store = _store(workspace)
    with pytest.raises(ValueError, match="not a plain task id"):
        await store.create(Task(id="../../escaped", title="t", prompt="p"))
    assert not (workspace / "escaped.json").exists()
    assert list(store.tasks_dir.iterdir()) == []


async def test_a_copy_holding_another_tasks_id_is_quarantined_and_the_original_loads(
    workspace: Path,
) -> None:
    store = _store(workspace)
    original = await store.create(Task(title="original", prompt="p"))
    copy = store.tasks_dir / "copy.json"
    copy.write_text(store.task_path(original.id).read_text())

    result = await store.load_all()

    assert [t.id for t in result.tasks] == [original.id]
    assert len(result.problems) == 1 and result.problems[0].original == copy
    assert f"copy.json holds task id {original.id!r}" in result.problems[0].reason
    assert not copy.exists() and store.task_path(original.id).exists()
    assert store.task_ids() == [original.id]


@pytest.mark.parametrize(
    ("file_name", "task_id"),
    [
        ("evil.json", "../../etc/x"),
        ("slash.json", "a/b"),
        ("empty.json", ""),
        ("long.json", "a" * 300),
        ("odd.json", "a\x1b]0;pwned\x07"),
        ("a b.json", "a b"),  # the name matches, but the id is not a plain one
    ],
    ids=["dot-dot", "slash", "empty", "too-long", "control-chars", "space"],
)
async def test_a_task_whose_id_is_not_plain_is_quarantined_with_a_reason(
    workspace: Path, file_name: str, task_id: str
) -> None:
    store = _store(workspace)
    good = await store.create(Task(title="good", prompt="p"))
    bad = store.tasks_dir / file_name
    bad.write_text(_task_json(task_id))

    result = await store.load_all()

    assert [t.id for t in result.tasks] == [good.id]
    assert len(result.problems) == 1
    report = result.problems[0]
    assert "not a plain task id" in report.reason and "\x1b" not in report.reason
    assert report.moved_to.parent == store.quarantine_dir and not bad.exists()
    assert report.moved_to.with_name(report.moved_to.name + ".reason.txt").is_file()
    assert not (workspace / "etc").exists() and not (workspace / ".localclaw" / "etc").exists()


async def test_a_file_whose_name_is_not_a_plain_id_is_quarantined(workspace: Path) -> None:
    store = _store(workspace)
    bad = store.tasks_dir / ("N" * 240 + ".json")  # too long, and upper case
    bad.write_text(_task_json("N" * 240))
    result = await store.load_all()
    assert not result.tasks and len(result.problems) == 1
    assert not bad.exists() and len(_parked(store)) == 1
    assert len(_parked(store)[0].name) < 200  # the quarantine name stays a legal file name
    with pytest.raises(TaskNotFound):
        store.resolve_id("N" * 240)


async def test_a_read_only_store_reports_bad_ids_and_moves_nothing(workspace: Path) -> None:
    store = _store(workspace, quarantine=False)
    good = await store.create(Task(title="good", prompt="p"))
    copy = store.tasks_dir / "copy.json"
    copy.write_text(store.task_path(good.id).read_text())
    result = await store.load_all()
    assert [t.id for t in result.tasks] == [good.id]
    assert not result.problems and copy.exists() and _parked(store) == []
    assert any("copy.json" in n and "left in place" in n for n in result.notes)
