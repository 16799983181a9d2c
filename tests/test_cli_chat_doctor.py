"""`smallclaw chat` and `smallclaw doctor` as real processes against the loopback model server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from smallclaw_tui.testing import FakeModelServer, ScriptedHandler
from smallclaw_tui.testing.fake_server import Reply, echo_handler, unreachable_url


def _run(ws: Path, url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SMALLCLAW_WORKSPACE": str(ws),
        "SMALLCLAW_LLM__BASE_URL": url,
        "SMALLCLAW_LLM__CONNECT_TIMEOUT_S": "2",
        "SMALLCLAW_LLM__READ_TIMEOUT_S": "10",
    }
    return subprocess.run(
        [sys.executable, "-m", "smallclaw_tui", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_chat_one_turn_streams_reply_runs_a_tool_and_keeps_the_session(workspace: Path) -> None:
    (workspace / "notes.txt").write_text("the answer is 42\n")
    script = ScriptedHandler(
        [
            Reply.tool("read_file", {"path": "notes.txt"}),
            Reply(text="The notes say the answer is 42.", thinking="hmm"),
        ]
    )
    with FakeModelServer(script) as srv:
        r = _run(workspace, srv.url, "chat", "what do my notes say?")
        second_request = srv.chat_requests[1]
    assert r.returncode == 0, r.stderr
    assert "The notes say the answer is 42." in r.stdout
    assert "read_file(path=notes.txt)" in r.stderr and "ok:" in r.stderr
    assert "hmm" not in r.stdout  # thinking is shown apart, never as the answer
    assert any("the answer is 42" in t for t in second_request.tool_results)
    session = json.loads((workspace / ".localclaw/sessions/chat_cli.json").read_text())
    assert [m["role"] for m in session["messages"]] == ["user", "assistant", "tool", "assistant"]


def test_chat_repl_keeps_history_between_lines(workspace: Path) -> None:
    with FakeModelServer(echo_handler) as srv:
        r = _run(workspace, srv.url, "chat", "--session", "chat_repl", stdin="first line\nsecond line\n\n")
        last = srv.chat_requests[-1]
    assert r.returncode == 0, r.stderr
    assert last.texts("user") == ["first line", "second line"]


def test_chat_and_doctor_without_a_server_say_so_in_one_line(workspace: Path) -> None:
    url = unreachable_url()
    chat = _run(workspace, url, "chat", "hello")
    assert chat.returncode == 1
    assert chat.stderr.count("\n") == 1 and "refused" in chat.stderr.lower() and url in chat.stderr
    doctor = _run(workspace, url, "doctor")
    assert doctor.returncode == 1
    assert "FAIL" in doctor.stdout and url in doctor.stdout and "Traceback" not in doctor.stderr


def test_doctor_against_a_healthy_server(workspace: Path) -> None:
    with FakeModelServer(ScriptedHandler([Reply.tool("echo", {"text": "ping"})] * 3)) as srv:
        r = _run(workspace, srv.url, "doctor")
    assert r.returncode == 0, r.stdout + r.stderr
    for check in ("server", "model", "context", "tool call", "speed"):
        assert check in r.stdout
    assert "FAIL" not in r.stdout


def _chat_on_a_terminal(ws: Path, url: str, message: str, answer: str) -> tuple[int, str]:
    """`smallclaw chat MESSAGE` on a pseudo-terminal, answering its question with `answer`."""
    import pty
    import select

    env = {**os.environ, "SMALLCLAW_WORKSPACE": str(ws), "SMALLCLAW_LLM__BASE_URL": url}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real program, its stdin a terminal
        os.execvpe(sys.executable, [sys.executable, "-m", "smallclaw_tui", "chat", message], env)
    out = b""
    answered = False
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 30)
            if not ready:
                raise AssertionError(f"no output for 30 s; so far: {out!r}")
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
            if not answered and b"[y/N]" in out:
                os.write(fd, answer.encode() + b"\r")
                answered = True
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_chat_asks_on_the_terminal_before_a_command_and_runs_it_on_yes(workspace: Path) -> None:
    script = ScriptedHandler([Reply.tool("run_shell", {"command": "touch made.txt"}), Reply(text="Made it.")])
    with FakeModelServer(script) as srv:
        code, out = _chat_on_a_terminal(workspace, srv.url, "make the file", "y")
    assert code == 0, out
    assert "Run `touch made.txt`? [y/N]" in out and "Made it." in out
    assert (workspace / "made.txt").exists()


def test_chat_does_not_run_a_command_the_user_declines(workspace: Path) -> None:
    script = ScriptedHandler(
        [Reply.tool("run_shell", {"command": "touch made.txt"}), Reply(text="Fine, I won't.")]
    )
    with FakeModelServer(script) as srv:
        code, out = _chat_on_a_terminal(workspace, srv.url, "make the file", "n")
        told = srv.chat_requests[-1].tool_results
    assert code == 0, out
    assert not (workspace / "made.txt").exists()
    assert told and "denied" in told[-1].lower()
