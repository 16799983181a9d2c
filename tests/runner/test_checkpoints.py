"""Checkpoints: a rejected try, a task that stops mid-step and `task undo` leave the user's files
as they were. Real files in a temp workspace, the real runner, a scripted model on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from runner_helpers import kind, running, worker

from smallclaw_tui.cli import main
from smallclaw_tui.models import FileContainsCheck, JournalType, PlanStep, TaskStatus
from smallclaw_tui.runner.checkpoints import Checkpoints, prune
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

CHANGELOG = "# Changelog\n\n## 0.1\n- first release\n"


def wiper(req: ChatRequest) -> Reply:
    """Asked to add a section, it replaces the whole file with the section alone."""
    return Reply.tool("write_file", {"path": "CHANGELOG.md", "content": "## 0.2\n", "overwrite": True})


async def test_a_rejected_try_leaves_the_file_as_it_was_before_the_step(workspace: Path) -> None:
    (workspace / "CHANGELOG.md").write_text(CHANGELOG)
    step = PlanStep(
        index=0,
        description="add a 0.2 section to CHANGELOG.md",
        checks=[FileContainsCheck(path="CHANGELOG.md", text="- first release")],
    )
    async with running(workspace, worker(wiper), runner__max_step_attempts=2) as (runner, _srv, _ev):
        task = await runner.create_task("add a 0.2 section to the changelog", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = runner.tasks[task.id]

    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    # Both tries wiped the file; both were undone, so the user's changelog is intact.
    assert (workspace / "CHANGELOG.md").read_text() == CHANGELOG
    notes = [
        e.content for e in task.journal if e.type == JournalType.NOTE and "undid its writes" in e.content
    ]
    assert notes and "restored CHANGELOG.md" in notes[0]


async def test_a_file_created_by_a_rejected_try_is_removed(workspace: Path) -> None:
    def creator(req: ChatRequest) -> Reply:
        return Reply.tool("write_file", {"path": "out/new.txt", "content": "wrong"})

    step = PlanStep(
        index=0, description="make out/new.txt", checks=[FileContainsCheck(path="out/new.txt", text="right")]
    )
    async with running(workspace, worker(creator), runner__max_step_attempts=1) as (runner, _srv, _ev):
        task = await runner.create_task("make the file", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        assert runner.tasks[task.id].status == TaskStatus.NEEDS_ASSISTANCE
    assert not (workspace / "out/new.txt").exists()


async def test_a_cancelled_task_leaves_no_half_done_step(workspace: Path) -> None:
    (workspace / "notes.txt").write_text("keep me\n")
    wrote = asyncio.Event()

    def slow(req: ChatRequest) -> Reply:
        if kind(req) != "step":
            return Reply(text="ok")
        if req.tool_results:
            wrote.set()
            return Reply(text="thinking...", delay_first_s=3)  # still mid-step when the cancel lands
        return Reply.tool("write_file", {"path": "notes.txt", "content": "half done", "overwrite": True})

    async with running(workspace, slow) as (runner, _srv, _ev):
        task = await runner.create_task(
            "rewrite notes", steps=[PlanStep(index=0, description="rewrite notes.txt")]
        )
        await asyncio.wait_for(wrote.wait(), 10)
        assert (workspace / "notes.txt").read_text() == "half done"
        await runner.cancel(task.id)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        assert runner.tasks[task.id].status == TaskStatus.CANCELLED
    assert (workspace / "notes.txt").read_text() == "keep me\n"


def test_undo_restores_every_file_and_refuses_when_a_file_changed_since(tmp_path: Path) -> None:
    ws, data = tmp_path / "ws", tmp_path / "ws/.localclaw"
    ws.mkdir()
    (ws / "a.txt").write_text("A0")
    cp = Checkpoints(data, ws, "t1")
    cp.before_write(["a.txt", "b.txt"], step=0)
    (ws / "a.txt").write_text("A1")
    (ws / "b.txt").write_text("B1")
    cp.after_write(["a.txt", "b.txt"])
    cp.end_attempt()
    assert "-A0" in cp.diff() and "+A1" in cp.diff() and "+++ b/b.txt" in cp.diff()

    (ws / "a.txt").write_text("user edit")  # the user changed it after the task
    refused = Checkpoints(data, ws, "t1").undo()
    assert not refused.done and refused.lines == ["a.txt changed after the task last wrote it"]
    assert (ws / "a.txt").read_text() == "user edit" and (ws / "b.txt").read_text() == "B1"

    (ws / "a.txt").write_text("A1")
    done = Checkpoints(data, ws, "t1").undo()
    assert done.done
    assert (ws / "a.txt").read_text() == "A0" and not (ws / "b.txt").exists()
    assert not Checkpoints(data, ws, "t1").undo().done  # nothing left to undo


def test_checkpoints_never_hold_the_apps_own_data(tmp_path: Path) -> None:
    ws = tmp_path
    (ws / ".localclaw").mkdir()
    (ws / ".localclaw/config.toml").write_text("secret")
    cp = Checkpoints(ws / ".localclaw", ws, "t1")
    cp.before_write([".localclaw/config.toml", "../outside.txt"], step=0)
    assert not (ws / ".localclaw/snapshots/t1/blobs").exists()


def test_prune_drops_the_oldest_finished_checkpoints_first(tmp_path: Path) -> None:
    ws = tmp_path
    for i, name in enumerate(["old", "mid", "live"]):
        (ws / f"{name}.txt").write_bytes(bytes([65 + i]) * 1000)
        Checkpoints(ws / ".localclaw", ws, name).before_write([f"{name}.txt"], step=0)
    gone = prune(ws / ".localclaw", cap_bytes=1500, keep={"live", "old"})
    assert gone == ["mid"]
    assert (ws / ".localclaw/snapshots/live").is_dir() and (ws / ".localclaw/snapshots/old").is_dir()


async def test_task_undo_from_the_cli_restores_what_a_finished_task_changed(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "todo.md").write_text("- milk\n")

    def adder(req: ChatRequest) -> Reply:
        return Reply.tool("write_file", {"path": "todo.md", "content": "- milk\n- eggs\n", "overwrite": True})

    async with running(workspace, worker(adder)) as (runner, _srv, _ev):
        task = await runner.create_task(
            "add eggs", steps=[PlanStep(index=0, description="add eggs to todo.md")]
        )
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        assert runner.tasks[task.id].status == TaskStatus.COMPLETE
    assert (workspace / "todo.md").read_text() == "- milk\n- eggs\n"

    monkeypatch.setenv("SMALLCLAW_WORKSPACE", str(workspace))
    (workspace / "todo.md").write_text("- milk\n- eggs\n- mine\n")  # the user edited it since
    assert await asyncio.to_thread(main, ["task", "undo", task.id]) == 1
    _out, err = capsys.readouterr()
    assert "todo.md changed after the task last wrote it" in err and "nothing was changed" in err
    assert (workspace / "todo.md").read_text() == "- milk\n- eggs\n- mine\n"

    (workspace / "todo.md").write_text("- milk\n- eggs\n")
    assert await asyncio.to_thread(main, ["task", "undo", task.id]) == 0
    out, _err = capsys.readouterr()
    assert "restored todo.md" in out
    assert (workspace / "todo.md").read_text() == "- milk\n"


def test_a_restored_file_keeps_its_mode(tmp_path: Path) -> None:
    ws = tmp_path
    script = ws / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    cp = Checkpoints(ws / ".localclaw", ws, "t1")
    cp.before_write(["run.sh"], step=0)
    script.write_text("")  # a try wiped it (the write tools keep the file and its mode)
    assert cp.restore_attempt() == ["restored run.sh (18 bytes)"]
    assert script.read_text() == "#!/bin/sh\necho hi\n" and script.stat().st_mode & 0o777 == 0o755


def test_an_empty_file_the_task_made_is_in_the_diff(tmp_path: Path) -> None:
    """Qwen2.5-Coder-1.5B "downloaded" a report by creating it empty; the goal review was told the
    task changed no file."""
    ws = tmp_path
    cp = Checkpoints(ws / ".localclaw", ws, "t1")
    cp.before_write(["reports/q3.csv"], step=0)
    (ws / "reports").mkdir()
    (ws / "reports/q3.csv").write_text("")
    assert cp.diff() == "--- /dev/null\n+++ b/reports/q3.csv\n(new empty file)\n"


def test_the_planner_sees_the_workspaces_files(tmp_path: Path) -> None:
    from smallclaw_tui.runner.listing import listing_text, workspace_files

    (tmp_path / "CHANGELOG.md").write_text("x")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/a.md").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git/config").write_text("x")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules/m.js").write_text("x")
    assert listing_text(tmp_path) == "Files in the workspace: CHANGELOG.md, docs/a.md"
    for i in range(50):
        (tmp_path / f"f{i:02}.txt").write_text("x")
    files, more = workspace_files(tmp_path, limit=10)
    assert len(files) == 10 and more and files[0] == "CHANGELOG.md"


async def test_a_copy_is_a_write_the_runner_checks_and_undoes(workspace: Path) -> None:
    """copy_file writes its destination: a step that copies is judged on that file, and a try
    that is rejected leaves no copy behind (and an overwritten copy as it was)."""
    (workspace / "src").mkdir()
    (workspace / "src" / "a.txt").write_text("alpha\n")
    (workspace / "dst").mkdir()
    (workspace / "dst" / "a.txt").write_text("the user's own\n")

    def copier(req: ChatRequest) -> Reply:
        return Reply.tool("copy_file", {"path": "src/a.txt", "to": "dst/a.txt", "overwrite": True})

    step = PlanStep(
        index=0,
        description="copy src/a.txt to dst/a.txt",
        files=["dst/a.txt"],
        checks=[FileContainsCheck(path="dst/a.txt", text="beta")],
    )
    async with running(workspace, worker(copier), runner__max_step_attempts=1) as (runner, _srv, _ev):
        task = await runner.create_task("copy the file", steps=[step])
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = runner.tasks[task.id]
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert (workspace / "dst" / "a.txt").read_text() == "the user's own\n"
    results = [
        e for e in task.journal if e.type == JournalType.TOOL_RESULT and e.content.startswith("[copy_file]")
    ]
    assert results and results[0].detail.get("wrote_texts") == {"dst/a.txt": "alpha\n"}
