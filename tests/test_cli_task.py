from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smallclaw_tui.cli import main
from smallclaw_tui.store.control import ControlInbox
from smallclaw_tui.store.lock import WorkspaceLock


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse usage errors
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def add(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, "task", "add", *argv)
    assert code == 0, err
    return out.strip()


def test_add_list_show_json(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tid = add(capsys, "Write a haiku into poem.txt", "--step", "write it", "--step", "check it")
    code, out, _ = run(capsys, "task", "list")
    assert code == 0 and tid in out and "queued" in out and "1/2" in out
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


def test_quarantined_file_is_reported_by_list(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tid = add(capsys, "fine")
    (workspace / ".localclaw" / "tasks" / "broken.json").write_text("{")
    code, out, err = run(capsys, "task", "list")
    assert code == 0 and tid in out and "quarantined broken.json" in err


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
