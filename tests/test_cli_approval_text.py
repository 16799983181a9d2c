"""The CLI shows a command waiting for approval with its invisible characters made visible."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli_chat_doctor import _chat_on_a_terminal
from test_cli_task import _waiting_on, add, run

from smallclaw_tui.store.tasks import TaskStore
from smallclaw_tui.testing import FakeModelServer, ScriptedHandler
from smallclaw_tui.testing.fake_server import Reply

# Drawn as "... txt.exe" reversed, with a zero-width space and a line separator no one would see.
HIDDEN = "touch ok\u202etxt.exe\u200b\u2028\u2066x\u2069"
SHOWN = "touch ok\\u202etxt.exe\\u200b\\u2028\\u2066x\\u2069"
INVISIBLE = "\u202e\u200b\u2028\u2066\u2069"


def test_task_show_and_approve_show_the_command_escaped(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tid = add(capsys, "goal")
    _waiting_on(TaskStore(workspace / ".localclaw"), tid, HIDDEN)
    code, shown, _ = run(capsys, "task", "show", tid)
    assert code == 0 and f"Waiting for approval: {SHOWN}" in shown
    assert not any(ch in shown for ch in INVISIBLE)
    code, out, err = run(capsys, "task", "approve", tid)
    assert code == 0, err
    assert out.splitlines() == [f"approved: {SHOWN}", f"{tid} queued"]


def test_chat_asks_about_the_command_with_invisible_characters_shown(workspace: Path) -> None:
    script = ScriptedHandler([Reply.tool("run_shell", {"command": HIDDEN}), Reply(text="Fine.")])
    with FakeModelServer(script) as srv:
        code, out = _chat_on_a_terminal(workspace, srv.url, "make the file", "n")
    assert code == 0, out
    assert f"Run `{SHOWN}`? [y/N]" in out and not any(ch in out for ch in INVISIBLE)
