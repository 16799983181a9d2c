from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run

from smallclaw_tui.cli import task_cmds
from smallclaw_tui.models import JournalEntry, JournalType, PendingApproval, Task, TaskStatus
from smallclaw_tui.store.atomic import atomic_write_text_sync
from smallclaw_tui.store.control import ControlInbox
from smallclaw_tui.store.lock import WorkspaceLock
from smallclaw_tui.store.tasks import TaskStore, dump_task


def add(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, "task", "add", *argv)
    assert code == 0, err
    return out.strip()


def test_add_list_show_json(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tid = add(capsys, "Write a haiku into poem.txt", "--step", "write it", "--step", "check it")
    code, out, _ = run(capsys, "task", "list")
    # Steps done of all: a task that has not started shows none done.
    assert code == 0 and tid in out and "queued" in out and "0/2" in out and "1/2" not in out
    code, out, _ = run(capsys, "task", "list", "--json")
    listed = json.loads(out)
    assert [t["id"] for t in listed] == [tid] and "journal" not in listed[0]
    code, out, _ = run(capsys, "task", "show", tid[:3], "--json")
    shown = json.loads(out)
    assert shown["title"] == "Write a haiku into poem.txt"
    assert [s["description"] for s in shown["plan"]] == ["write it", "check it"]
    assert shown["journal"][0]["type"] == "note"
    code, out, _ = run(capsys, "task", "show", tid)
    assert "[ ] 1. write it" in out and "Journal (1 entries)" in out


def test_list_filters_by_status_and_rejects_unknown_status(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = add(capsys, "first")
    b = add(capsys, "second")
    assert run(capsys, "task", "pause", a)[0] == 0
    code, out, _ = run(capsys, "task", "list", "--status", "paused")
    assert a in out and b not in out
    code, _, err = run(capsys, "task", "list", "--status", "sleeping")
    assert code == 2 and "unknown status 'sleeping'" in err


def test_list_takes_the_boards_words_for_a_status(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14: the board says Done and Needs you; `--status done` and `needs-you` work too."""
    store = TaskStore(workspace / ".localclaw")
    store.ensure()
    done, stuck = Task(title="d", prompt="d"), Task(title="s", prompt="s")
    for task, end in ((done, TaskStatus.COMPLETE), (stuck, TaskStatus.NEEDS_ASSISTANCE)):
        task.transition(TaskStatus.RUNNING)
        task.transition(end, reason="why")
        atomic_write_text_sync(store.task_path(task.id), dump_task(task))
    code, out, err = run(capsys, "task", "list", "--status", "done")
    assert code == 0, err
    assert done.id in out and stuck.id not in out
    code, out, err = run(capsys, "task", "list", "--status", "needs-you")
    assert code == 0, err
    assert stuck.id in out and done.id not in out
    code, out, _ = run(capsys, "task", "list", "--status", "needs_assistance")
    assert stuck.id in out


def test_spec_file_with_steps_and_checks(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = workspace / "spec.toml"
    spec.write_text(
        'title = "Notes"\nprompt = "Make notes"\n'
        '[[steps]]\ndescription = "create notes.md"\n'
        '[[steps.checks]]\nkind = "file_exists"\npath = "notes.md"\n'
        '[[steps.checks]]\nkind = "file_contains"\npath = "notes.md"\ntext = "# Notes"\n'
        '[[steps]]\ndescription = "count lines"\n'
        '[[steps.checks]]\nkind = "command_succeeds"\ncommand = "wc -l notes.md"\n'
    )
    tid = add(capsys, "--spec", str(spec))
    task = json.loads(run(capsys, "task", "show", tid, "--json")[1])
    assert task["title"] == "Notes" and task["prompt"] == "Make notes"
    assert [c["kind"] for c in task["plan"][0]["checks"]] == ["file_exists", "file_contains"]
    assert task["plan"][1]["checks"][0]["command"] == "wc -l notes.md"


@pytest.mark.parametrize(
    ("spec", "expect"),
    [
        (None, "does not exist"),
        ("title = [", "not valid TOML"),
        ('prompt = "p"\n[[steps]]\nnotes = "no description"\n', "step 1: needs a description"),
        ('prompt = "p"\n[[steps]]\ndescription = "d"\n[[steps.checks]]\nkind = "vibes"\n', "check 1"),
        ('prompt = "p"\n[[steps]]\ndescription = "d"\n[[steps.checks]]\nkind = "file_exists"\n', "path"),
        ('prompt = "p"\ncolour = "red"\n', "unknown key 'colour'"),
        ('title = "only a title"\n', "needs the goal"),
    ],
)
def test_bad_spec_files_are_usage_errors(
    workspace: Path, capsys: pytest.CaptureFixture[str], spec: str | None, expect: str
) -> None:
    path = workspace / "spec.toml"
    if spec is not None:
        path.write_text(spec)
    code, out, err = run(capsys, "task", "add", "--spec", str(path))
    assert code == 2 and expect in err and err.count("\n") == 1 and out == ""
    assert (
        not list((workspace / ".localclaw" / "tasks").glob("*.json"))
        if (workspace / ".localclaw").exists()
        else True
    )


def test_pause_resume_cancel_and_their_errors(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tid = add(capsys, "goal")
    assert run(capsys, "task", "pause", tid, "--note", "lunch")[1].strip() == f"{tid} paused"
    code, _, err = run(capsys, "task", "pause", tid)
    assert code == 1 and "already paused" in err
    assert run(capsys, "task", "resume", tid, "--note", "use tabs")[1].strip() == f"{tid} queued"
    task = json.loads(run(capsys, "task", "show", tid, "--json")[1])
    assert task["resume_context"]["user_notes"] == ["use tabs"]
    assert [e["type"] for e in task["journal"]] == ["note", "pause", "resume"]
    assert run(capsys, "task", "cancel", tid)[0] == 0
    code, _, err = run(capsys, "task", "resume", tid)
    assert code == 1 and "cancelled" in err
    code, _, err = run(capsys, "task", "approve", tid)
    assert code == 1 and "no command waiting" in err


@pytest.mark.parametrize("action", ["show", "pause", "resume", "cancel", "approve"])
def test_bad_ids_exit_1_with_one_line(
    workspace: Path, capsys: pytest.CaptureFixture[str], action: str
) -> None:
    add(capsys, "goal")
    code, out, err = run(capsys, "task", action, "nope")
    assert code == 1 and err == "smallclaw: no task with id 'nope'\n" and out == ""


def test_usage_errors_exit_2(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "task", "add")[0] == 2
    assert run(capsys, "task", "frobnicate")[0] == 2
    assert run(capsys, "task", "show")[0] == 2
    code, _, err = run(capsys, "--workspace", str(workspace / "missing"), "task", "list")
    assert code == 2 and "is not a folder" in err


def test_control_goes_to_the_runner_when_one_holds_the_workspace(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tid = add(capsys, "goal")
    with WorkspaceLock(workspace / ".localclaw"):
        code, out, _ = run(capsys, "task", "pause", tid, "--note", "wait")
        assert code == 0 and "sent to the running runner" in out
        # Read-only commands still work while the runner holds the lock.
        assert run(capsys, "task", "list")[0] == 0
    reqs = ControlInbox(workspace / ".localclaw").take()
    assert [(r.task_id, r.action, r.note) for r in reqs] == [(tid, "pause", "wait")]
    assert json.loads(run(capsys, "task", "show", tid, "--json")[1])["status"] == "queued"


def test_workspace_flag_before_or_after_and_env(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tmp_path / "elsewhere"
    ws.mkdir()
    monkeypatch.chdir(tmp_path)
    a = run(capsys, "--workspace", str(ws), "task", "add", "one")[1].strip()
    b = run(capsys, "task", "add", "two", "--workspace", str(ws))[1].strip()
    monkeypatch.setenv("SMALLCLAW_WORKSPACE", str(ws))
    out = run(capsys, "task", "list")[1]
    assert a in out and b in out
    assert not (tmp_path / ".localclaw").exists()


def test_unreadable_file_is_reported_by_list_and_left_in_place(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tid = add(capsys, "fine")
    broken = workspace / ".localclaw" / "tasks" / "broken.json"
    broken.write_text("{")
    code, out, err = run(capsys, "task", "list")
    assert code == 0 and tid in out and "broken.json: not valid JSON" in err and broken.exists()


def test_untrusted_text_is_printed_literally(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tid = add(capsys, "evil \x1b]0;pwned\x07 title")
    out = run(capsys, "task", "show", tid)[1]
    assert "\x1b" not in out and "\\x1b]0;pwned\\x07" in out


def test_console_script_and_module_entry_points(workspace: Path) -> None:
    env = {**os.environ, "SMALLCLAW_WORKSPACE": str(workspace)}
    mod = subprocess.run(
        [sys.executable, "-m", "smallclaw_tui", "task", "add", "x"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert mod.returncode == 0 and len(mod.stdout.strip()) == 8
    script = Path(sys.executable).with_name("smallclaw")
    listed = subprocess.run(
        [str(script), "task", "list"], capture_output=True, text=True, env=env, timeout=60
    )
    assert listed.returncode == 0 and mod.stdout.strip() in listed.stdout


def _cli(ws: Path, *argv: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    """The real program in a real process: what a user sees, traceback or not."""
    env = {**os.environ, "SMALLCLAW_WORKSPACE": str(ws)}
    opts: dict[str, Any] = {"capture_output": True, **kw}
    return subprocess.run(
        [sys.executable, "-m", "smallclaw_tui", *argv], text=True, env=env, timeout=60, **opts
    )


def _one_error_line(r: subprocess.CompletedProcess[str]) -> None:
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and r.stderr.startswith("smallclaw: ")
    assert r.stderr.count("\n") == 1, r.stderr


def test_an_entry_appended_after_a_torn_journal_line_is_not_lost(workspace: Path) -> None:
    tid = _cli(workspace, "task", "add", "X").stdout.strip()
    journal = workspace / ".localclaw" / "tasks" / f"{tid}.journal.jsonl"
    with journal.open("ab") as f:
        f.write(b'{"t": "2026-01-01T00:00:00Z", "type": "no')  # a runner killed mid-append
    assert _cli(workspace, "task", "pause", tid, "--note", "hi").returncode == 0
    for _ in range(3):
        shown = _cli(workspace, "task", "show", tid, "--json")
        assert shown.returncode == 0 and shown.stderr == ""
        journal_types = [(e["type"], e["content"]) for e in json.loads(shown.stdout)["journal"]]
        assert journal_types == [("note", "created: X"), ("pause", "hi")]
    quarantine = workspace / ".localclaw" / "quarantine"
    parked = [p for p in quarantine.iterdir() if not p.name.endswith(".reason.txt")]
    assert len(parked) == 1 and parked[0].read_bytes().startswith(b'{"t": "2026')


def test_show_mentions_a_cut_short_journal_line_on_stderr(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tid = add(capsys, "goal")
    with (workspace / ".localclaw" / "tasks" / f"{tid}.journal.jsonl").open("ab") as f:
        f.write(b'{"t": "20')
    code, out, err = run(capsys, "task", "show", tid, "--json")
    assert code == 0 and json.loads(out)["id"] == tid and "cut short" in err


def test_data_folder_that_is_a_file_gives_one_line_not_a_traceback(workspace: Path) -> None:
    (workspace / ".localclaw").write_text("not a folder")
    for argv in (["task", "add", "X"], ["task", "list"], ["run", "--until-idle"]):
        r = _cli(workspace, *argv)
        _one_error_line(r)
        assert ".localclaw is a file" in r.stderr
    assert (workspace / ".localclaw").read_text() == "not a folder"


def test_os_errors_from_the_store_give_one_line_not_a_traceback(workspace: Path) -> None:
    (workspace / ".localclaw").mkdir()
    (workspace / ".localclaw" / "tasks").write_text("a file where the tasks folder belongs")
    r = _cli(workspace, "task", "add", "X")
    _one_error_line(r)
    assert "tasks" in r.stderr and "Errno" not in r.stderr


def test_a_folder_named_like_a_task_file_does_not_break_list(workspace: Path) -> None:
    tid = _cli(workspace, "task", "add", "fine").stdout.strip()
    (workspace / ".localclaw" / "tasks" / "x.json").mkdir()
    r = _cli(workspace, "task", "list")
    assert r.returncode == 0 and tid in r.stdout and "Traceback" not in r.stderr
    assert "x.json" in r.stderr and "folder" in r.stderr
    assert (workspace / ".localclaw" / "tasks" / "x.json").is_dir()  # reported, not moved


def test_a_closed_stdout_is_not_a_traceback(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add(capsys, "something to list")
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `smallclaw task list | head -0`
    try:
        r = _cli(workspace, "task", "list", stdout=write_end, capture_output=False, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "Exception ignored" not in r.stderr


@pytest.mark.parametrize(
    ("spec", "expect"),
    [
        (
            'prompt = "p"\n[[steps]]\ndescription = "d"\n[[steps.check]]\nkind = "file_exists"\npath = "a"\n',
            "step 1: unknown key 'check'",
        ),
        ('prompt = "p"\n[[steps]]\ndescription = "d"\nverify = "yes"\n', "step 1: unknown key 'verify'"),
        (
            'prompt = "p"\n[[steps]]\ndescription = "d"\n'
            '[[steps.checks]]\nkind = "command_succeeds"\ncommand = "ls"\ncmd = "ls"\n',
            "step 1, check 1: unknown key 'cmd' (command_succeeds takes command)",
        ),
        (
            'prompt = "p"\n[[steps]]\ndescription = "a"\n[[steps]]\ndescription = "d"\n'
            '[[steps.checks]]\nkind = "file_exists"\npath = "a"\n'
            '[[steps.checks]]\nkind = "file_exists"\npath = "b"\ntext = "x"\n',
            "step 2, check 2: unknown key 'text'",
        ),
        (
            'prompt = "p"\n[[steps]]\ndescription = "d"\n[[steps.checks]]\nkind = "command_succeeds"\n'
            'command = ""\n',
            "step 1, check 1: command must not be empty",
        ),
        (
            'prompt = "p"\n[[steps]]\ndescription = "d"\n[[steps.checks]]\nkind = "file_exists"\n'
            'path = "  "\n',
            "path must not be empty",
        ),
        (
            'prompt = "p"\n[[steps]]\ndescription = "d"\n[[steps.checks]]\nkind = "file_contains"\n'
            'path = "a"\ntext = ""\n',
            "text must not be empty",
        ),
        (
            'prompt = "p"\n[[steps]]\ndescription = "d"\n[[steps.checks]]\nkind = "file_contains"\n'
            'path = "a"\ntext = "(unclosed"\nregex = true\n',
            "not a valid regular expression",
        ),
        ('prompt = "p"\n[[steps]]\ndescription = "d"\nchecks = "file_exists"\n', "checks must be an array"),
    ],
    ids=[
        "check-typo",
        "unknown-step-key",
        "unknown-check-key",
        "key-of-another-kind",
        "empty-command",
        "blank-path",
        "empty-text",
        "bad-regex",
        "checks-not-a-list",
    ],
)
def test_spec_steps_and_checks_are_as_strict_as_the_top_level(
    workspace: Path, capsys: pytest.CaptureFixture[str], spec: str, expect: str
) -> None:
    test_bad_spec_files_are_usage_errors(workspace, capsys, spec, expect)


def test_control_reads_the_task_again_once_it_holds_the_lock(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tid = add(capsys, "goal")
    store = TaskStore(workspace / ".localclaw")
    path = store.task_path(tid)

    class RunnerFinishesInTheGap(WorkspaceLock):
        def acquire(self, purpose: str = "runner") -> None:
            # A runner completes the task and exits between the command's first read and its lock.
            task = Task.model_validate_json(path.read_text())
            task.transition(TaskStatus.RUNNING)
            task.transition(TaskStatus.COMPLETE)
            task.final_summary = "done by the runner"
            atomic_write_text_sync(path, dump_task(task))
            super().acquire(purpose)

    monkeypatch.setattr(task_cmds, "WorkspaceLock", RunnerFinishesInTheGap)
    code, _, err = run(capsys, "task", "pause", tid)
    assert code == 1 and "complete" in err
    saved = json.loads(path.read_text())
    assert saved["status"] == "complete" and saved["final_summary"] == "done by the runner"


def test_missing_workspace_from_the_environment_is_a_usage_error_like_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "typo"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMALLCLAW_WORKSPACE", str(missing))
    code, out, err = run(capsys, "task", "add", "x")
    assert (
        code == 2
        and out == ""
        and err == f"smallclaw: workspace {missing} (from SMALLCLAW_WORKSPACE) is not a folder\n"
    )
    assert not missing.exists()
    code, _, err = run(capsys, "--workspace", str(missing), "task", "add", "x")
    assert code == 2 and "is not a folder" in err and not missing.exists()


def _waiting_on(store: TaskStore, tid: str, command: str) -> None:
    """Put the task where a background run leaves it: needs_assistance, a command waiting."""
    path = store.task_path(tid)
    task = Task.model_validate_json(path.read_text())
    task.transition(TaskStatus.RUNNING)
    task.transition(TaskStatus.NEEDS_ASSISTANCE, reason=f"waiting for approval to run: {command}")
    task.pending_approval = PendingApproval(command=command)
    atomic_write_text_sync(path, dump_task(task))


def test_approve_requeues_the_task_and_remembers_the_command(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tid = add(capsys, "goal")
    store = TaskStore(workspace / ".localclaw")
    _waiting_on(store, tid, "make test")
    shown = run(capsys, "task", "show", tid)[1]
    assert "make test" in shown and f"smallclaw task approve {tid}" in shown
    code, out, err = run(capsys, "task", "approve", tid, "--note", "go ahead")
    assert (code, out.splitlines(), err) == (0, ["approved: make test", f"{tid} queued"], "")
    task = json.loads(run(capsys, "task", "show", tid, "--json")[1])
    assert task["pending_approval"] is None and task["approved_commands"] == ["make test"]
    assert task["resume_context"]["user_notes"] == ["go ahead"]
    assert "approved command: make test" in [e["content"] for e in task["journal"]]
    # Nothing is waiting any more: a second approval is refused with one line.
    code, _, err = run(capsys, "task", "approve", tid)
    assert code == 1 and "no command waiting" in err


def test_deny_requeues_the_task_and_tells_the_model_why(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tid = add(capsys, "goal")
    _waiting_on(TaskStore(workspace / ".localclaw"), tid, "rm -rf build")
    code, out, _ = run(capsys, "task", "deny", tid, "--note", "too risky")
    assert code == 0 and out.strip() == f"{tid} queued"
    task = json.loads(run(capsys, "task", "show", tid, "--json")[1])
    assert task["pending_approval"] is None and task["approved_commands"] == []
    (note,) = task["resume_context"]["user_notes"]
    assert "denied the command `rm -rf build`: too risky" in note and "another way" in note


def test_approve_goes_to_the_running_runner_when_one_holds_the_workspace(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tid = add(capsys, "goal")
    _waiting_on(TaskStore(workspace / ".localclaw"), tid, "make test")
    with WorkspaceLock(workspace / ".localclaw"):
        code, out, _ = run(capsys, "task", "approve", tid)
    assert code == 0 and "sent to the running runner" in out
    reqs = ControlInbox(workspace / ".localclaw").take()
    assert [(r.task_id, r.action) for r in reqs] == [(tid, "approve")]
    # The task file is the runner's to change, not this command's.
    assert json.loads(run(capsys, "task", "show", tid, "--json")[1])["pending_approval"] is not None


def test_show_indents_the_lines_of_a_long_journal_entry_under_it(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task = Task(title="t", prompt="p")
    task.journal.append(JournalEntry(type=JournalType.PROMPT, content="Goal: p\nPlan:\n[>] 1. do it"))
    text = task_cmds.format_task(task)
    entry = next(ln for ln in text.splitlines() if "prompt" in ln and "Goal: p" in ln)
    at = entry.index("Goal: p")
    rest = text.splitlines()[text.splitlines().index(entry) + 1 :][:2]
    assert rest == [" " * at + "Plan:", " " * at + "[>] 1. do it"]
