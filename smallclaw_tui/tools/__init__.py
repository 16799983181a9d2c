"""Workspace-confined tools the model calls, and the approval policy for shell commands.

The names below load on first use (PEP 562), so that importing one light module of this package
(``tools.base`` for :class:`ApprovalDecision`, say) does not import the registry, the shell and
their dependencies: the app draws its first frame before any of them is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smallclaw_tui.tools.base import ApprovalDecision, Approver, Tool, ToolContext, ToolError, ToolResult
    from smallclaw_tui.tools.policy import is_allowed
    from smallclaw_tui.tools.registry import ToolRegistry, default_registry
    from smallclaw_tui.tools.shell import run_command
    from smallclaw_tui.tools.workspace import WorkspaceEscape, resolve_in_workspace

_WHERE = {
    "ApprovalDecision": "base",
    "Approver": "base",
    "Tool": "base",
    "ToolContext": "base",
    "ToolError": "base",
    "ToolResult": "base",
    "is_allowed": "policy",
    "ToolRegistry": "registry",
    "default_registry": "registry",
    "run_command": "shell",
    "WorkspaceEscape": "workspace",
    "resolve_in_workspace": "workspace",
}

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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
