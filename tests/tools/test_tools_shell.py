"""run_shell and run_command with real subprocesses: approval flow, limits, timeouts, no leftovers."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from smallclaw_tui.config import ToolSettings
from smallclaw_tui.tools import ApprovalDecision, ToolContext, ToolResult, run_command
from smallclaw_tui.tools.sandbox import probe_sandbox

RunTool = Callable[..., Awaitable[ToolResult]]


class RecordingApprover:
    def __init__(self, decision: ApprovalDecision) -> None:
        self.decision = decision
        self.asked: list[str] = []

    async def __call__(self, command: str) -> ApprovalDecision:
        self.asked.append(command)
        return self.decision


def make_ctx(
    workspace: Path, approver: RecordingApprover | None = None, approved_commands: set[str] | None = None
) -> ToolContext:
    return ToolContext(
        workspace=workspace,
        settings=ToolSettings(shell_timeout_s=10),
        approver=approver,
        approved_commands=approved_commands or set(),
    )


# --- approval flow ----------------------------------------------------------------------------------


async def test_allowlisted_command_runs_in_the_workspace(workspace: Path, run_tool: RunTool) -> None:
    approver = RecordingApprover(ApprovalDecision.DENIED)
    r = await run_tool("run_shell", make_ctx(workspace, approver=approver), command="pwd")
    assert r.ok
    assert r.output == f"exit 0\n{workspace.resolve()}\n"
    assert approver.asked == []  # the allowlist alone was enough


async def test_approver_approves(workspace: Path, run_tool: RunTool) -> None:
    approver = RecordingApprover(ApprovalDecision.APPROVED)
    r = await run_tool("run_shell", make_ctx(workspace, approver=approver), command="touch made.txt")
    assert r.ok and r.output == "exit 0\n(no output)"
    assert approver.asked == ["touch made.txt"]
    assert (workspace / "made.txt").exists()


async def test_approver_denies(workspace: Path, run_tool: RunTool) -> None:
    approver = RecordingApprover(ApprovalDecision.DENIED)
    r = await run_tool("run_shell", make_ctx(workspace, approver=approver), command="touch made.txt")
    assert not r.ok and r.output.startswith("denied by the user")
    assert r.pending_command is None
    assert not (workspace / "made.txt").exists()


@pytest.mark.parametrize("with_approver", [False, True])
async def test_pending(workspace: Path, run_tool: RunTool, with_approver: bool) -> None:
    approver = RecordingApprover(ApprovalDecision.PENDING) if with_approver else None
    r = await run_tool(
        "run_shell", make_ctx(workspace, approver=approver), command="printf 'hi\\n' > out.txt"
    )
    assert not r.ok
    assert r.output == "needs approval: printf 'hi\\n' > out.txt"
    assert r.pending_command == "printf 'hi\\n' > out.txt"
    assert not (workspace / "out.txt").exists()


async def test_pre_approved_command_runs_without_asking(workspace: Path, run_tool: RunTool) -> None:
    approver = RecordingApprover(ApprovalDecision.DENIED)
    ctx = make_ctx(workspace, approver=approver, approved_commands={"printf 'hi\\n' > out.txt"})
    r = await run_tool("run_shell", ctx, command="printf 'hi\\n' > out.txt")
    assert r.ok, r.output
    assert approver.asked == []
    assert (workspace / "out.txt").read_text() == "hi\n"
    # Approval is for the exact command, not for anything that looks like it.
    other = await run_tool(
        "run_shell",
        make_ctx(workspace, approved_commands={"printf 'hi\\n' > out.txt"}),
        command="printf 'bye\\n' > out.txt",
    )
    assert other.pending_command == "printf 'bye\\n' > out.txt"


async def test_output_redirected_into_the_workspace_runs_without_asking(
    workspace: Path, run_tool: RunTool, tmp_path: Path
) -> None:
    (workspace / "data.csv").write_text("a\nb\nc\n")
    r = await run_tool("run_shell", make_ctx(workspace), command="wc -l data.csv > count.txt")
    assert r.ok, r.output
    assert (workspace / "count.txt").read_text().split()[0] == "3"
    outside = tmp_path / "outside.txt"
    (workspace / "link").symlink_to(outside)
    r = await run_tool("run_shell", make_ctx(workspace), command="echo hi > link")
    assert r.pending_command == "echo hi > link" and not outside.exists()


async def test_the_pipes_a_small_model_writes_run_without_asking(workspace: Path, run_tool: RunTool) -> None:
    # Qwen2.5-Coder-1.5B, suite sort-names and line-count: both waited for approval before.
    (workspace / "names.txt").write_text("cy\nal\nbo\n")
    r = await run_tool("run_shell", make_ctx(workspace), command="sort names.txt | tee sorted.txt")
    assert r.ok and r.pending_command is None, r.output
    assert (workspace / "sorted.txt").read_text() == "al\nbo\ncy\n"
    r = await run_tool("run_shell", make_ctx(workspace), command="wc -l names.txt | awk '{print $1}' > n.txt")
    assert r.ok and r.pending_command is None, r.output
    assert (workspace / "n.txt").read_text() == "3\n"
    r = await run_tool("run_shell", make_ctx(workspace), command="awk 'BEGIN {system(\"touch x\")}'")
    assert r.pending_command is not None and not (workspace / "x").exists()


async def test_failing_command_reports_exit_code_and_stderr(run_tool: RunTool) -> None:
    r = await run_tool("run_shell", command="ls no-such-thing")
    assert not r.ok
    assert r.output.startswith("exit 2\n") and "no-such-thing" in r.output


async def test_empty_command(run_tool: RunTool) -> None:
    r = await run_tool("run_shell", command="  ")
    assert not r.ok and "'command' is empty" in r.output


# --- limits -----------------------------------------------------------------------------------------


async def test_shell_timeout_returns_quickly(workspace: Path, run_tool: RunTool) -> None:
    ctx = ToolContext(
        workspace=workspace, settings=ToolSettings(shell_timeout_s=0.5), approved_commands={"sleep 5"}
    )
    start = time.monotonic()
    r = await run_tool("run_shell", ctx, command="sleep 5")
    assert time.monotonic() - start < 2
    assert not r.ok
    assert r.output.startswith("timed out after 0.5 s")


async def test_output_is_clipped_keeping_head_and_tail(workspace: Path, run_tool: RunTool) -> None:
    ctx = ToolContext(
        workspace=workspace,
        settings=ToolSettings(output_max_chars=500),
        approved_commands={"seq 1 100000"},
    )
    r = await run_tool("run_shell", ctx, command="seq 1 100000")
    assert r.ok
    assert len(r.output) <= 500
    assert r.output.startswith("exit 0\n1\n2\n3\n")
    assert r.output.endswith("99999\n100000\n")
    assert "[clipped " in r.output


async def test_run_command_returns_partial_output_on_timeout(tmp_path: Path) -> None:
    code, out = await run_command("echo started; sleep 5", tmp_path, timeout_s=0.5, max_chars=1000)
    assert code is None and out == "started\n"


async def test_run_command_stdin_is_empty_and_colours_are_stripped(tmp_path: Path) -> None:
    code, out = await run_command("cat; printf '\\033[31mred\\033[0m'", tmp_path, timeout_s=5, max_chars=1000)
    assert (code, out) == (0, "red")


async def test_run_command_huge_output_stays_bounded(tmp_path: Path) -> None:
    code, out = await run_command("yes | head -c 20000000", tmp_path, timeout_s=10, max_chars=300)
    assert code == 0 and len(out) <= 300
    assert "[clipped " in out


async def test_background_jobs_do_not_outlive_the_command(tmp_path: Path) -> None:
    start = time.monotonic()
    code, out = await run_command(
        "sleep 30 & echo $! > pid; echo started", tmp_path, timeout_s=10, max_chars=1000
    )
    assert time.monotonic() - start < 3  # not held hostage by the job keeping the pipe open
    assert (code, out) == (0, "started\n")
    await _assert_gone(int((tmp_path / "pid").read_text()))


async def test_cancelling_kills_the_process(tmp_path: Path) -> None:
    task = asyncio.create_task(
        run_command("echo $$ > pid; exec sleep 30", tmp_path, timeout_s=60, max_chars=100)
    )
    while not (tmp_path / "pid").exists() or not (tmp_path / "pid").read_text().strip():
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _assert_gone(int((tmp_path / "pid").read_text()))


async def _assert_gone(pid: int) -> None:
    # A killed process may linger a moment as a zombie until its parent reaps it.
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().split(") ")[1].startswith("Z"):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"process {pid} is still running")


# --- confinement: what the allowlist no longer lets through -----------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    out = tmp_path / "outside"
    out.mkdir()
    (out / "secret.txt").write_text("top secret\n")
    return out


@pytest.mark.parametrize(
    "command",
    [
        "cat /etc/passwd",
        "cat ../outside/secret.txt",
        "ls ~",
        "cat .localclaw/config.toml",
        "grep -rn token .",
        "uniq in.txt ../outside/out.txt",
        "sort -o .localclaw/out.txt in.txt",
        # Not `date -s` here: were the policy ever to let it through, this test (often run as root in
        # containers) would set the real clock. tests/tools/test_tools_policy.py covers it without running.
    ],
)
async def test_escaping_commands_wait_for_approval(
    workspace: Path, outside: Path, run_tool: RunTool, command: str
) -> None:
    (workspace / "in.txt").write_text("b\na\n")
    (workspace / ".localclaw").mkdir()
    (workspace / ".localclaw" / "config.toml").write_text('[telegram]\ntoken = "123:abc"\n')
    r = await run_tool("run_shell", make_ctx(workspace), command=command)
    assert not r.ok
    assert r.output == f"needs approval: {command}"
    assert r.pending_command == command
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert sorted(p.name for p in (workspace / ".localclaw").iterdir()) == ["config.toml"]


async def test_user_can_still_approve_an_escaping_command(
    workspace: Path, outside: Path, run_tool: RunTool
) -> None:
    approver = RecordingApprover(ApprovalDecision.APPROVED)
    r = await run_tool(
        "run_shell", make_ctx(workspace, approver=approver), command="cat ../outside/secret.txt"
    )
    assert approver.asked == ["cat ../outside/secret.txt"]
    if probe_sandbox(ToolSettings()).ok:
        # It runs, in the sandbox: approval does not open what the sandbox hides.
        assert not r.ok and "No such file" in r.output and "top secret" not in r.output
    else:
        assert r.ok and r.output.startswith("exit 0 (not sandboxed: ") and "top secret" in r.output


async def test_escape_through_a_symlink_waits_for_approval(
    workspace: Path, outside: Path, run_tool: RunTool
) -> None:
    (workspace / "link").symlink_to(outside / "secret.txt")
    for command in ("cat link", "cat l*", "head -n 1 link"):
        r = await run_tool("run_shell", make_ctx(workspace), command=command)
        assert r.pending_command == command
        assert "top secret" not in r.output


# --- the environment a command sees -------------------------------------------------------------------

SECRETS = {
    "SMALLCLAW_TELEGRAM__TOKEN": "123456:telegram-secret",
    "SMALLCLAW_LLM__MODEL": "qwen3:4b",  # not secret, but the app's settings are not the command's business
    "GITHUB_TOKEN": "ghp_secret",
    "openai_api_key": "sk-secret",
    "DB_PASSWORD": "hunter2",
    "MY_PASSWD": "hunter3",
    "AWS_SECRET_ACCESS_KEY": "aws-secret",
    "GOOGLE_APPLICATION_CREDENTIALS": "/secret/creds.json",
    "HTTP_AUTH_HEADER": "Bearer secret",
    "DATABASE_URL": "postgres://app:s3cret@db/app",
}


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("PLAIN_SETTING", "visible")


@pytest.mark.usefixtures("secret_env")
async def test_commands_do_not_see_secrets(tmp_path: Path) -> None:
    code, out = await run_command("env", tmp_path, timeout_s=5, max_chars=100_000)
    assert code == 0
    seen = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    for name, value in SECRETS.items():
        assert name not in seen and value not in out, name
    # What ordinary programs need is still there.
    assert seen["PATH"] == os.environ["PATH"]
    assert seen["HOME"] == os.environ["HOME"]
    assert seen["LANG"] == "C.UTF-8"
    assert seen["PLAIN_SETTING"] == "visible"
    assert seen["TERM"] == "dumb"


@pytest.mark.usefixtures("secret_env")
async def test_printing_a_token_needs_approval_and_prints_nothing(workspace: Path, run_tool: RunTool) -> None:
    command = "echo $SMALLCLAW_TELEGRAM__TOKEN"
    pending = await run_tool("run_shell", make_ctx(workspace), command=command)
    assert pending.pending_command == command
    approved = await run_tool("run_shell", make_ctx(workspace, approved_commands={command}), command=command)
    assert approved.ok and approved.output == "exit 0\n(no output)"  # the variable is not there
    assert "telegram-secret" not in pending.output + approved.output
