"""Read-only commands look, they never move files: an unreadable task file is reported, one line on
stderr, and stays where it is until the runner (`smallclaw run`) sets it aside."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# Cut off inside a string: json says "Unterminated string starting at", which once read "at at line".
BROKEN = b'{"schema_version": 1, "id": "broken", "title": "t'


def _cli(ws: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env: dict[str, Any] = {
        **os.environ,
        "SMALLCLAW_WORKSPACE": str(ws),
        "SMALLCLAW_LLM__BASE_URL": "http://127.0.0.1:9",  # never asked: no task is queued
    }
    return subprocess.run(
        [sys.executable, "-m", "smallclaw_tui", *argv], capture_output=True, text=True, env=env, timeout=60
    )


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _paused_task(ws: Path) -> str:
    tid = _cli(ws, "task", "add", "look at me").stdout.strip()
    assert _cli(ws, "task", "pause", tid).returncode == 0  # so `run --until-idle` has nothing to do
    return tid


def test_list_and_show_report_a_corrupt_task_file_and_leave_it_in_place(workspace: Path) -> None:
    tid = _paused_task(workspace)
    tasks = workspace / ".localclaw" / "tasks"
    (tasks / "broken.json").write_bytes(BROKEN)
    with (tasks / f"{tid}.journal.jsonl").open("ab") as f:
        f.write(b"not json at all\n")  # a damaged line in the middle, once an entry follows
    with (tasks / f"{tid}.journal.jsonl").open("ab") as f:
        f.write(tasks.joinpath(f"{tid}.journal.jsonl").read_bytes().splitlines(keepends=True)[0])
    before = _tree(workspace)

    for argv in (
        ["task", "list"],
        ["task", "list", "--json"],
        ["task", "show", tid],
        ["task", "show", tid, "--json"],
    ):
        r = _cli(workspace, *argv)
        assert r.returncode == 0, (argv, r.stderr)
        assert _tree(workspace) == before, f"{argv} changed files"
        assert not (workspace / ".localclaw" / "quarantine").exists()
        lines = r.stderr.splitlines()
        assert all(line.startswith("smallclaw: ") for line in lines), r.stderr
        if "--json" in argv:
            json.loads(r.stdout)  # stdout stays one valid JSON document
        if argv[1] == "list":
            assert tid in r.stdout
            broken = [line for line in lines if "broken.json" in line]
            assert len(broken) == 1, r.stderr
            assert "not valid JSON" in broken[0] and "at at" not in broken[0]
            assert "left in place" in broken[0]
        else:
            assert any("journal" in line for line in lines), r.stderr


def test_the_runner_is_what_quarantines_a_corrupt_task_file(workspace: Path) -> None:
    tid = _paused_task(workspace)
    broken = workspace / ".localclaw" / "tasks" / "broken.json"
    broken.write_bytes(BROKEN)
    assert _cli(workspace, "task", "list").returncode == 0
    assert broken.exists()

    r = _cli(workspace, "run", "--until-idle")

    assert r.returncode == 0, r.stderr
    assert not broken.exists()
    quarantine = workspace / ".localclaw" / "quarantine"
    parked = [p for p in quarantine.iterdir() if p.name.startswith("broken.json")]
    data = [p for p in parked if not p.name.endswith(".reason.txt")]
    reasons = [p for p in parked if p.name.endswith(".reason.txt")]
    assert len(data) == 1 and data[0].read_bytes() == BROKEN
    assert len(reasons) == 1
    reason = reasons[0].read_text()
    assert "Unterminated string starting at line 1" in reason and "at at" not in reason
    assert "quarantined broken.json" in r.stderr
    listed = _cli(workspace, "task", "list")
    assert tid in listed.stdout and listed.stderr == ""
