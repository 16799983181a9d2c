"""`smallclaw task show ID --diff`: what a real run changed, as a unified diff, and nothing moved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from runner_helpers import run_to_idle, step_number, worker

from smallclaw_tui.models import FileContainsCheck, PlanStep, TaskStatus
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

# A file the model writes with a terminal escape in it: the diff must show it, not obey it.
NEW_TEXT = "title\x1b]0;pwned\x07\nbody\n"


def _act(req: ChatRequest) -> Reply:
    if step_number(req) == 1:
        return Reply.tool("replace_text", {"path": "notes.txt", "old": "beta", "new": "gamma"})
    return Reply.tool("write_file", {"path": "new.txt", "content": NEW_TEXT})


def _cli(ws: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMALLCLAW_WORKSPACE": str(ws), "SMALLCLAW_LLM__BASE_URL": "http://127.0.0.1:9"}
    return subprocess.run(
        [sys.executable, "-m", "smallclaw_tui", *argv], capture_output=True, text=True, env=env, timeout=60
    )


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


async def test_task_show_diff_prints_what_the_task_changed_and_changes_nothing(workspace: Path) -> None:
    (workspace / "notes.txt").write_text("alpha\nbeta\ndelta\n")
    (workspace / "untouched.txt").write_text("the task never wrote me\n")
    steps = [
        PlanStep(
            index=0, description="edit notes.txt", checks=[FileContainsCheck(path="notes.txt", text="gamma")]
        ),
        PlanStep(
            index=1, description="write new.txt", checks=[FileContainsCheck(path="new.txt", text="body")]
        ),
    ]
    task, _srv = await run_to_idle(workspace, worker(_act), steps)
    assert task.status == TaskStatus.COMPLETE, task.pause_reason
    before = _tree(workspace)

    r = _cli(workspace, "task", "show", task.id[:6], "--diff")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    out = r.stdout.splitlines()
    # Every changed file, by path, each under its own header; a new one diffed from /dev/null.
    assert out[:2] == ["--- /dev/null", "+++ b/new.txt"]
    notes = out.index("--- a/notes.txt")
    assert out[notes + 1] == "+++ b/notes.txt"
    assert out[notes + 2 :] == ["@@ -1,3 +1,3 @@", " alpha", "-beta", "+gamma", " delta"]
    # Shown literally: the escape is there to read, and nothing reaches the terminal raw.
    assert "+title\\x1b]0;pwned\\x07" in out
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "untouched.txt" not in r.stdout

    as_json = _cli(workspace, "task", "show", task.id, "--diff", "--json")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["id"] == task.id and data["files"] == ["new.txt", "notes.txt"]
    assert NEW_TEXT.splitlines()[0] in data["diff"]  # JSON keeps the bytes, escaped by JSON itself

    # Read-only: not a byte, not a timestamp, moved in the workspace or in .localclaw/.
    assert _tree(workspace) == before


def test_a_task_that_changed_nothing_says_so_in_one_line(workspace: Path) -> None:
    tid = _cli(workspace, "task", "add", "just think about it").stdout.strip()
    before = _tree(workspace)
    r = _cli(workspace, "task", "show", tid, "--diff")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("\n") == 1 and f"task {tid} has no recorded file changes" in r.stdout
    assert _tree(workspace) == before


def test_an_unknown_task_is_an_error_on_stderr(workspace: Path) -> None:
    r = _cli(workspace, "task", "show", "nosuchtask", "--diff")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("smallclaw: ") and r.stderr.count("\n") == 1
