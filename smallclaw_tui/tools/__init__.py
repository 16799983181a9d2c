"""Workspace-confined tools the model calls, and the approval policy for shell commands."""

from smallclaw_tui.tools.base import ApprovalDecision, Approver, Tool, ToolContext, ToolError, ToolResult
from smallclaw_tui.tools.policy import is_allowed
from smallclaw_tui.tools.registry import ToolRegistry, default_registry
from smallclaw_tui.tools.shell import run_command
from smallclaw_tui.tools.workspace import WorkspaceEscape, resolve_in_workspace

__all__ = [
    "ApprovalDecision",
    "Approver",
    "Tool",
    "ToolContext",
    "ToolError",
    "ToolRegistry",
    "ToolResult",
    "WorkspaceEscape",
    "default_registry",
    "is_allowed",
    "resolve_in_workspace",
    "run_command",
]
