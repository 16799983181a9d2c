"""Shell commands run in a bubblewrap sandbox: what a command can no longer reach, whatever the
policy let through. Real bwrap, real files, the real run_shell tool and command checks.

Each attack is run twice where it matters: as the model would send it (the policy may now send it
to approval) and as if the user had approved it (it runs, inside the sandbox). Neither may show
what the sandbox hides.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smallclaw_tui.config import ToolSettings
from smallclaw_tui.models import CommandSucceedsCheck
from smallclaw_tui.runner.checks import run_check
from smallclaw_tui.tools import ToolContext, ToolResult
from smallclaw_tui.tools.sandbox import probe_sandbox

RunTool = Callable[..., Awaitable[ToolResult]]

SECRET = "outside-secret-7731"
TOKEN = "123456:tg-token-9f3e"
ENV_SECRET = "env-secret-5521"

_status = probe_sandbox(ToolSettings())
needs_sandbox = pytest.mark.skipif(not _status.ok, reason=f"bubblewrap cannot run here: {_status.reason}")


def make_ctx(workspace: Path, *approved: str, **settings: Any) -> ToolContext:
    settings.setdefault("shell_timeout_s", 10)
    return ToolContext(
        workspace=workspace, settings=ToolSettings(**settings), approved_commands=set(approved)
    )


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the workspace, with a secret in it."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "secret.txt").write_text(SECRET + "\n")
    return out


@pytest.fixture
def app_token(workspace: Path) -> Path:
    config = workspace / ".localclaw" / "config.toml"
    config.parent.mkdir()
    config.write_text(f'[telegram]\ntoken = "{TOKEN}"\n')
    return config


async def run_both_ways(run_tool: RunTool, workspace: Path, command: str, **settings: Any) -> list[str]:
    """The outputs of `command` sent unapproved (policy decides) and approved (it runs)."""
    outputs = []
    for approved in ((), (command,)):
        r = await run_tool("run_shell", make_ctx(workspace, *approved, **settings), command=command)
        outputs.append(r.output)
    return outputs


# --- attack 1: a file named like an option, reached through a glob -----------------------------------


@needs_sandbox
async def test_glob_matching_a_dash_r_file_cannot_print_the_token(
    workspace: Path, app_token: Path, run_tool: RunTool
) -> None:
    assert (await run_tool("write_file", make_ctx(workspace), path="-r", content="x\n")).ok
    unasked, approved = await run_both_ways(run_tool, workspace, "grep token ?r")
    assert unasked == "needs approval: grep token ?r"
    assert TOKEN not in approved


@pytest.fixture
def app_process() -> Iterator[int]:
    """Another process of ours with a secret in its environment, like the app holding its token.
    (Setting os.environ here would not do: /proc/PID/environ shows the environment a process
    started with.)"""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], env={**os.environ, "MY_FAKE_TOKEN": ENV_SECRET}
    )
    yield proc.pid
    proc.kill()
    proc.wait()


def own_environment_value() -> str:
    """The longest value in this process's environment as it started (what /proc shows)."""
    entries = Path(f"/proc/{os.getpid()}/environ").read_bytes().split(b"\0")
    return max((e.split(b"=", 1)[-1].decode(errors="replace") for e in entries), key=len)


@needs_sandbox
@pytest.mark.parametrize("target", ["outside", "token", "app environ", "own environ"])
async def test_files0_from_through_a_glob_cannot_read_outside_the_workspace(
    workspace: Path, outside: Path, app_token: Path, run_tool: RunTool, app_process: int, target: str
) -> None:
    path, secret = {
        "outside": (str(outside / "secret.txt"), SECRET),
        "token": (".localclaw/config.toml", TOKEN),
        "app environ": (f"/proc/{app_process}/environ", ENV_SECRET),
        "own environ": (f"/proc/{os.getpid()}/environ", own_environment_value()),
    }[target]
    ctx = make_ctx(workspace)
    assert (await run_tool("write_file", ctx, path="--files0-from=list", content="x\n")).ok
    assert (await run_tool("write_file", ctx, path="list", content=path + "\0")).ok
    unasked, approved = await run_both_ways(run_tool, workspace, "sort ?-files0-from=list")
    assert unasked.startswith("needs approval")
    assert secret not in approved


@needs_sandbox
async def test_compress_program_through_a_glob_cannot_write_outside_the_workspace(
    workspace: Path, tmp_path: Path, run_tool: RunTool
) -> None:
    pwned = tmp_path / "pwned.txt"
    ctx = make_ctx(workspace)
    assert (await run_tool("write_file", ctx, path="--compress-program=sh", content="x\n")).ok
    line = f"id >> {pwned}\n"
    assert (await run_tool("write_file", ctx, path="data.txt", content=line * 3000)).ok
    await run_both_ways(run_tool, workspace, "sort -S 16K ?-compress-program=sh data.txt")
    assert not pwned.exists()


@needs_sandbox
async def test_the_apps_own_environment_cannot_be_read(
    workspace: Path, run_tool: RunTool, app_process: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_FAKE_SETTING", ENV_SECRET)  # what the command would inherit
    own = own_environment_value()
    for command in (f"cat /proc/{app_process}/environ", f"cat /proc/{os.getpid()}/environ", "env"):
        for output in await run_both_ways(run_tool, workspace, command):
            assert ENV_SECRET not in output and own not in output, command


# --- attack 2: the repository and the app's data ------------------------------------------------------


@needs_sandbox
async def test_git_folder_cannot_be_written_from_the_shell(workspace: Path, run_tool: RunTool) -> None:
    config = workspace / ".git" / "config"
    config.parent.mkdir()
    config.write_text("[core]\n\tbare = false\n")
    for command in ("echo '[core] fsmonitor = evil' > .git/config", "rm -rf .git", "mv .git gone"):
        r = await run_tool("run_shell", make_ctx(workspace, command), command=command)
        assert not r.ok, command
    assert config.read_text() == "[core]\n\tbare = false\n"
    # Reading it is fine: `git log`, `git diff` need that.
    r = await run_tool("run_shell", make_ctx(workspace), command="cat .git/config")
    assert r.ok and "bare = false" in r.output


@needs_sandbox
async def test_a_git_folder_cannot_be_planted_where_there_is_none(workspace: Path, run_tool: RunTool) -> None:
    command = "mkdir -p .git/hooks && echo '[core]' > .git/config"
    r = await run_tool("run_shell", make_ctx(workspace, command), command=command)
    assert not r.ok
    assert not (workspace / ".git").exists()  # and no empty mount point left behind


@needs_sandbox
async def test_app_data_is_hidden_and_cannot_be_planted(
    workspace: Path, app_token: Path, run_tool: RunTool
) -> None:
    for command in ("cat .localclaw/config.toml", "ls -la .localclaw", "grep -r token ."):
        for output in await run_both_ways(run_tool, workspace, command):
            assert TOKEN not in output, command
    listed = await run_tool("run_shell", make_ctx(workspace, "ls -a .localclaw"), command="ls -a .localclaw")
    assert listed.output == "exit 0\n.\n..\n"
    command = "echo '[tools]' > .localclaw/config.toml"
    r = await run_tool("run_shell", make_ctx(workspace, command), command=command)
    assert not r.ok
    assert app_token.read_text() == f'[telegram]\ntoken = "{TOKEN}"\n'


@needs_sandbox
async def test_app_settings_cannot_be_planted_where_there_are_none(
    workspace: Path, run_tool: RunTool
) -> None:
    command = "mkdir -p .localclaw && echo '[tools]' > .localclaw/config.toml"
    r = await run_tool("run_shell", make_ctx(workspace, command), command=command)
    assert not r.ok
    assert not (workspace / ".localclaw" / "config.toml").exists()


# --- attacks 3 and 4: symlinks out of the workspace ---------------------------------------------------


@needs_sandbox
async def test_bracket_class_glob_does_not_follow_a_link_out(
    workspace: Path, outside: Path, run_tool: RunTool
) -> None:
    (workspace / "link_dir").symlink_to(outside, target_is_directory=True)
    (workspace / "link").symlink_to(outside / "secret.txt")
    for command in ("cat [[:alpha:]]ink_dir/secret.txt", "cat link", "cat link_dir/*"):
        for output in await run_both_ways(run_tool, workspace, command):
            assert SECRET not in output, command


@needs_sandbox
async def test_recursive_diff_does_not_follow_a_link_out(
    workspace: Path, outside: Path, run_tool: RunTool
) -> None:
    (workspace / "a").mkdir()
    (workspace / "b").mkdir()
    (workspace / "a" / "s").symlink_to(outside / "secret.txt")
    (workspace / "b" / "s").write_text("mine\n")
    for output in await run_both_ways(run_tool, workspace, "diff -r a b"):
        assert SECRET not in output


@needs_sandbox
async def test_files_beside_the_workspace_cannot_be_read_or_written(
    workspace: Path, outside: Path, run_tool: RunTool
) -> None:
    for command in (f"cat {outside}/secret.txt", f"echo x > {outside}/new.txt", "cat /etc/hostname"):
        r = await run_tool("run_shell", make_ctx(workspace, command), command=command)
        assert not r.ok and SECRET not in r.output, command
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


# --- network, processes, limits -----------------------------------------------------------------------


async def _gone_soon(marker: str, wait_s: float = 5.0) -> bool:
    """True once no live process on this machine has `marker` in its command line."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        alive = 0
        for proc in Path("/proc").iterdir():
            try:
                if marker.encode() in (proc / "cmdline").read_bytes():
                    alive += (proc / "stat").read_text().split(") ")[1][0] != "Z"
            except (OSError, IndexError):
                continue
        if not alive:
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    yield server
    server.close()


@needs_sandbox
async def test_no_network(workspace: Path, run_tool: RunTool, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    command = (
        "python3 -c 'import socket; "
        f'socket.create_connection(("127.0.0.1", {port}), timeout=3); print("connected")\''
    )
    r = await run_tool("run_shell", make_ctx(workspace, command), command=command)
    assert not r.ok and "connected" not in r.output
    with pytest.raises(BlockingIOError):
        listener.accept()


@needs_sandbox
async def test_no_other_process_is_visible(workspace: Path, run_tool: RunTool) -> None:
    r = await run_tool("run_shell", make_ctx(workspace, "ls /proc"), command="ls /proc")
    assert r.ok, r.output
    pids = {int(name) for name in r.output.split() if name.isdigit()}
    # bwrap's init, the shell, prlimit/ls: a handful of small numbers, none of them ours.
    assert pids and max(pids) < 10 and len(pids) <= 5, pids
    assert os.getpid() not in pids or os.getpid() < 10


@needs_sandbox
async def test_tail_f_times_out_and_returns(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "log.txt").write_text("one line\n")
    start = time.monotonic()
    r = await run_tool("run_shell", make_ctx(workspace, shell_timeout_s=1), command="tail -f log.txt")
    assert time.monotonic() - start < 4
    assert not r.ok and r.output.startswith("timed out after 1 s") and "one line" in r.output


@needs_sandbox
async def test_a_runaway_process_tree_is_ended_by_the_time_limit(workspace: Path, run_tool: RunTool) -> None:
    command = "i=0; while [ $i -lt 40 ]; do sleep 61.25 & i=$((i+1)); done; wait"
    start = time.monotonic()
    r = await run_tool("run_shell", make_ctx(workspace, command, shell_timeout_s=1), command=command)
    assert time.monotonic() - start < 4
    assert not r.ok and r.output.startswith("timed out after 1 s")
    assert await _gone_soon("sleep\x0061.25"), "processes the command started outlived it"
    after = await run_tool("run_shell", make_ctx(workspace), command="echo still here")
    assert after.ok and "still here" in after.output


@needs_sandbox
@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="as root the kernel does not enforce the process limit, so a real fork bomb would fill this "
    "machine's process table until the time limit; run the tests as a normal user to run this one",
)
@pytest.mark.timeout(60)
async def test_fork_bomb_is_held_by_the_process_limit(workspace: Path, run_tool: RunTool) -> None:
    # dash refuses `:` as a function name, so the classic bomb under another name; `wait` keeps
    # the shell alive, so the process limit has to hold it and the clock has to end it.
    command = "f(){ f|f& }; f; wait"
    start = time.monotonic()
    r = await run_tool(
        "run_shell", make_ctx(workspace, command, shell_timeout_s=2, shell_max_processes=64), command=command
    )
    assert time.monotonic() - start < 6
    assert "Cannot fork" in r.output or r.output.startswith("timed out")
    assert await _gone_soon("f|f&"), "processes of the fork bomb outlived the command"
    after = await run_tool("run_shell", make_ctx(workspace), command="echo still here")
    assert after.ok and "still here" in after.output


@needs_sandbox
async def test_background_jobs_end_with_the_command(workspace: Path, run_tool: RunTool) -> None:
    command = "(sleep 1; echo late > late.txt) & echo started"
    start = time.monotonic()
    r = await run_tool("run_shell", make_ctx(workspace, command), command=command)
    assert time.monotonic() - start < 3
    assert r.ok and "started" in r.output
    await asyncio.sleep(1.5)
    assert not (workspace / "late.txt").exists()


@needs_sandbox
async def test_memory_and_file_size_limits(workspace: Path, run_tool: RunTool) -> None:
    big = "python3 -c 'x = bytearray(300 * 1024 * 1024); print(\"allocated\")'"
    r = await run_tool("run_shell", make_ctx(workspace, big, shell_memory_mb=128), command=big)
    assert not r.ok and "MemoryError" in r.output and "allocated" not in r.output
    write = "head -c 3000000 /dev/zero > big.bin"
    r = await run_tool("run_shell", make_ctx(workspace, write, shell_file_size_mb=1), command=write)
    assert not r.ok
    assert (workspace / "big.bin").stat().st_size <= 1024 * 1024


# --- ordinary work still works ------------------------------------------------------------------------


@needs_sandbox
async def test_ordinary_commands_work_in_the_sandbox(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "data.csv").write_text("a\nb\nc\n")
    r = await run_tool(
        "run_shell", make_ctx(workspace), command="wc -l data.csv > count.txt && cat count.txt"
    )
    assert r.ok and r.output == "exit 0\n3 data.csv\n"
    r = await run_tool("run_shell", make_ctx(workspace), command="pwd")
    assert r.output == f"exit 0\n{workspace.resolve()}\n"
    r = await run_tool("run_shell", make_ctx(workspace), command="ls -l data.csv")
    assert r.ok and (os.getuid() != 0 or " root root " in r.output)  # names, not numbers
    r = await run_tool("run_shell", make_ctx(workspace), command="grep -c . data.csv | sort")
    assert r.output == "exit 0\n3\n"


@needs_sandbox
async def test_environment_is_built_from_an_allowlist(
    workspace: Path, run_tool: RunTool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAIN_SETTING", "visible-outside")
    monkeypatch.setenv("LANG", "C.UTF-8")
    r = await run_tool("run_shell", make_ctx(workspace, "env"), command="env")
    assert r.ok
    seen = dict(line.split("=", 1) for line in r.output.splitlines()[1:] if "=" in line)
    assert "PLAIN_SETTING" not in seen
    assert seen["PATH"] == "/usr/local/bin:/usr/bin:/bin"
    assert seen["LANG"] == "C.UTF-8" and seen["TERM"] == "dumb" and seen["PAGER"] == "cat"
    assert seen["HOME"] != os.environ.get("HOME")


# --- checks run in the same sandbox -------------------------------------------------------------------


@needs_sandbox
async def test_command_checks_run_in_the_sandbox(workspace: Path, app_token: Path) -> None:
    cmd = "grep -q tg-token .localclaw/config.toml"
    outcome = await run_check(CommandSucceedsCheck(command=cmd), make_ctx(workspace, cmd))
    assert not outcome.passed  # approved, it ran, and saw no token
    (workspace / "a.txt").write_text("x\n")
    outcome = await run_check(CommandSucceedsCheck(command="grep -q x a.txt"), make_ctx(workspace))
    assert outcome.passed and outcome.needs_approval is None


# --- without bubblewrap, nothing runs unasked ---------------------------------------------------------


@pytest.fixture(params=["missing path", "not on PATH"])
def no_bwrap(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, Any]:
    if request.param == "missing path":
        return {"sandbox_bwrap": str(tmp_path / "no-such-bwrap")}
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("sh", "grep"):  # what the commands below use, and no bwrap
        (bare / tool).symlink_to(f"/bin/{tool}" if Path(f"/bin/{tool}").exists() else f"/usr/bin/{tool}")
    monkeypatch.setenv("PATH", str(bare))
    return {}


async def test_without_bwrap_every_command_needs_approval(
    workspace: Path, run_tool: RunTool, no_bwrap: dict[str, Any]
) -> None:
    (workspace / "a.txt").write_text("x\n")
    for command in ("ls", "cat a.txt", "pwd"):
        r = await run_tool("run_shell", make_ctx(workspace, **no_bwrap), command=command)
        assert r.pending_command == command and not r.ok
    check = await run_check(CommandSucceedsCheck(command="grep -q x a.txt"), make_ctx(workspace, **no_bwrap))
    assert not check.passed and check.needs_approval == "grep -q x a.txt"


async def test_without_bwrap_an_approved_command_runs_and_says_it_was_not_sandboxed(
    workspace: Path, run_tool: RunTool, no_bwrap: dict[str, Any]
) -> None:
    r = await run_tool("run_shell", make_ctx(workspace, "echo hi", **no_bwrap), command="echo hi")
    assert r.ok and "hi" in r.output
    assert "not sandboxed" in r.output.splitlines()[0]
    check = await run_check(
        CommandSucceedsCheck(command="grep -q x a.txt"), make_ctx(workspace, "grep -q x a.txt", **no_bwrap)
    )
    assert check.needs_approval is None
