"""Running one shell command line: bounded in time and in output, never left behind.

With a :class:`~smallclaw_tui.tools.sandbox.Sandbox`, the command runs inside it (the normal case)
with the sandbox's own environment. Without one (no working bubblewrap, and the user approved this
exact command) it runs as a plain ``sh -c`` with our environment minus the app's own settings and
anything that looks secret (:func:`child_env`): whatever it prints lands in journals and sessions,
and a model can be talked into printing its environment.

Either way the process we start leads its own process group, so on a timeout (or when the caller
is cancelled) the whole group is killed, including anything it started in the background; killing
bwrap also ends its PID namespace. Output is captured as a bounded head and tail, so a command that
prints gigabytes costs a few kilobytes of memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path

from smallclaw_tui.tools.sandbox import SAFE_PATH, Sandbox, mount_points
from smallclaw_tui.tools.text import clip, decode_text, strip_ansi

# After the shell exits, how long a background job may keep our pipe open before we stop reading.
_DRAIN_GRACE_S = 0.5
# After the kill, how long to wait for the exit status before giving up on it.
_REAP_WAIT_S = 5.0

# Tools that page, colour or prompt make output the model cannot use, or hang on a missing tty.
_QUIET_ENV = {
    "TERM": "dumb",
    "NO_COLOR": "1",
    "PAGER": "cat",
    "GIT_PAGER": "cat",
    "GIT_TERMINAL_PROMPT": "0",
}

# A variable whose name holds one of these (in any case) is taken to hold a secret.
_SECRET_NAME_PARTS = ("TOKEN", "KEY", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "AUTH")
# SMALLCLAW_* is the app's configuration (the Telegram token, the API key among it).
_APP_PREFIX = "SMALLCLAW_"
# A URL with a password in it (postgres://user:pw@host, a proxy with credentials), whatever its name.
_URL_WITH_PASSWORD = re.compile(r"://[^/\s@:]*:[^/\s@]+@")


def child_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for a command: `environ` less the app's settings and secrets, made quiet."""
    env = {name: value for name, value in environ.items() if not _is_secret(name, value)}
    env.update(_QUIET_ENV)
    return env


def _is_secret(name: str, value: str) -> bool:
    upper = name.upper()
    return (
        upper.startswith(_APP_PREFIX)
        or any(part in upper for part in _SECRET_NAME_PARTS)
        or _URL_WITH_PASSWORD.search(value) is not None
    )


class _Capture:
    """Keeps the first and last `keep` bytes of a stream and counts what fell in between."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.keep - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            extra = len(self.tail) - self.keep
            if extra > 0:
                del self.tail[:extra]
                self.dropped += extra

    def text(self, max_chars: int) -> str:
        text = strip_ansi(decode_text(bytes(self.head + self.tail)))
        return clip(text, max_chars, keep_tail=True, already_cut=self.dropped)


class _Protocol(asyncio.SubprocessProtocol):
    # A protocol rather than Process.wait(): before Python 3.12, wait() returns only once every
    # pipe is closed, so a background job holding stdout would make a finished command look hung.
    def __init__(self, capture: _Capture, loop: asyncio.AbstractEventLoop) -> None:
        self.capture = capture
        self.exited: asyncio.Future[None] = loop.create_future()
        self.finished: asyncio.Future[None] = loop.create_future()

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        self.capture.add(data.encode() if isinstance(data, str) else data)

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.finished.done():
            self.finished.set_result(None)


async def run_command(
    command: str, cwd: Path, *, timeout_s: float, max_chars: int, sandbox: Sandbox | None = None
) -> tuple[int | None, str]:
    """Run `command` through the shell in `cwd` with stdin from /dev/null, in `sandbox` if given
    (else unconfined, with :func:`child_env`).

    Returns (exit code, combined stdout+stderr clipped to `max_chars`); the exit code is None when
    the command ran past `timeout_s` and was killed. A negative code is the signal that ended it.
    """
    if sandbox is None:
        return await _run(["/bin/sh", "-c", command], cwd, child_env(os.environ), timeout_s, max_chars)
    workspace = cwd.resolve()
    async with mount_points(workspace):
        # bwrap itself needs no environment; the command's is given inside the argv.
        argv = sandbox.argv(command, workspace)
        return await _run(argv, workspace, {"PATH": SAFE_PATH}, timeout_s, max_chars)


async def _run(
    argv: list[str], cwd: Path, env: dict[str, str], timeout_s: float, max_chars: int
) -> tuple[int | None, str]:
    loop = asyncio.get_running_loop()
    # Four bytes per character is the UTF-8 worst case, so each end holds at least max_chars.
    capture = _Capture(keep=max(max_chars, 1) * 4)
    transport, protocol = await loop.subprocess_exec(
        lambda: _Protocol(capture, loop),
        *argv,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env,
    )
    timed_out = False
    try:
        done, _ = await asyncio.wait({protocol.exited}, timeout=timeout_s)
        timed_out = not done
        if done:
            await asyncio.wait({protocol.finished}, timeout=_DRAIN_GRACE_S)
    finally:
        # Whatever happened (exit, timeout, our caller cancelled), nothing the command started
        # outlives it: a stray background job would hold the pipe and keep running unseen.
        _kill_group(transport.get_pid())
        await asyncio.wait({protocol.exited}, timeout=_REAP_WAIT_S)
        transport.close()
    return (None if timed_out else transport.get_returncode()), capture.text(max_chars)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
