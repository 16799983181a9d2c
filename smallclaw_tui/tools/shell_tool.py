"""The run_shell tool: the approval flow in front of :func:`run_command`.

A command runs when the allowlist policy allows it (an allowlisted program whose arguments stay in
the workspace) and the OS sandbox works, when it was approved earlier (exact text), or when the
approver says yes now. Otherwise it does not run: DENIED is an error the model must work around;
PENDING hands the command back to the caller, which records it and waits for the user.

Every command that runs, approved or allowlisted, runs in the sandbox. Without a working sandbox
the allowlist alone lets nothing through: the policy reads command lines, and the sandbox is what
makes a misread harmless. A command the user approved then runs unconfined, and says so.
"""

from __future__ import annotations

import signal
from typing import Any

from smallclaw_tui.tools.args import Param
from smallclaw_tui.tools.base import ApprovalDecision, Tool, ToolContext, ToolError, ToolResult
from smallclaw_tui.tools.policy import is_allowed
from smallclaw_tui.tools.sandbox import sandbox_status
from smallclaw_tui.tools.shell import run_command


async def decide(command: str, ctx: ToolContext, sandboxed: bool = True) -> ApprovalDecision:
    """May `command` run now? Asks the approver only when the policy and earlier approvals say no.

    `sandboxed`: whether it would run in a working sandbox; without one, the policy allows nothing.
    """
    if command in ctx.approved_commands or command.strip() in ctx.approved_commands:
        return ApprovalDecision.APPROVED
    if sandboxed and is_allowed(command, ctx.settings.shell_allowlist, workspace=ctx.workspace):
        return ApprovalDecision.APPROVED
    if ctx.approver is None:
        return ApprovalDecision.PENDING
    return ApprovalDecision(await ctx.approver(command))


def _describe_exit(code: int) -> str:
    if code >= 0:
        return f"exit {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    return f"exit {code} (killed by {name})"


async def run_shell(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    command: str = args["command"]
    if not command.strip():
        raise ToolError("'command' is empty; give a shell command line such as 'ls -la'")
    sandbox = await sandbox_status(ctx.settings)
    decision = await decide(command, ctx, sandboxed=sandbox.ok)
    if decision is ApprovalDecision.DENIED:
        return ToolResult(False, f"denied by the user: {command}; do not run it again, find another way")
    if decision is ApprovalDecision.PENDING:
        return ToolResult(False, f"needs approval: {command}", pending_command=command)
    timeout = ctx.settings.shell_timeout_s
    # Leave room for the status line so the whole result fits the output limit.
    room = max(100, ctx.settings.output_max_chars - 60 - len(sandbox.reason))
    code, output = await run_command(
        command, ctx.workspace, timeout_s=timeout, max_chars=room, sandbox=sandbox.sandbox
    )
    status = f"timed out after {timeout:g} s (killed)" if code is None else _describe_exit(code)
    if not sandbox.ok:
        status += f" (not sandboxed: {sandbox.reason})"
    body = output if output.strip() else "(no output)"
    return ToolResult(code == 0, f"{status}\n{body}")


RUN_SHELL = Tool(
    "run_shell",
    "Run a shell command in the workspace. Some commands need the user's approval.",
    (Param("command", "The command line, e.g. 'ls -la'."),),
    run_shell,
)
