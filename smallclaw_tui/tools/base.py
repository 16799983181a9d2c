"""The vocabulary every tool shares: what it is given (:class:`ToolContext`) and what it returns.

Nothing here does work; the chat loop, the runner and the tools all import these names, so they
stay free of any one tool's details.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from smallclaw_tui.tools.args import Param

if TYPE_CHECKING:
    from smallclaw_tui.config import ToolSettings
    from smallclaw_tui.llm.base import ToolSpec


class ApprovalDecision(StrEnum):
    APPROVED = "approved"
    DENIED = "denied"
    # Nobody can answer right now (a background task, or the user has not looked yet): the caller
    # records the command and pauses instead of blocking.
    PENDING = "pending"


class Approver(Protocol):
    async def __call__(self, command: str) -> ApprovalDecision: ...


@dataclass(slots=True)
class ToolResult:
    ok: bool
    # Short plain text saying what happened, so it can be quoted back as evidence by the verifier.
    output: str
    # Set when run_shell needs an approval that was not given yet (the approver said PENDING).
    pending_command: str | None = None


@dataclass(slots=True)
class ToolContext:
    workspace: Path
    settings: ToolSettings
    # None: commands outside the allowlist come back PENDING rather than running.
    approver: Approver | None = None
    # Exact command lines approved earlier (for example with `smallclaw task approve`).
    approved_commands: set[str] = field(default_factory=set)
    # Workspace-relative files write_file may replace without `overwrite: true`: those a task step
    # declares it rewrites or edits (its checkpoint, kind rules and checks guard the result).
    may_replace: frozenset[str] = frozenset()


class ToolError(Exception):
    """A problem the model caused or can fix (missing file, bad text). The message is shown to it as is."""


Handler = Callable[[dict[str, Any], ToolContext], Awaitable[ToolResult]]
"""Runs a tool with arguments already checked against its parameters (canonical names, defaults in)."""


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    # Short: small models read every word of every tool on every turn.
    description: str
    params: tuple[Param, ...]
    handler: Handler

    def spec(self) -> ToolSpec:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": {
                    "type": "object",
                    "properties": {p.name: p.schema() for p in self.params},
                    "required": [p.name for p in self.params if p.required],
                },
            },
        }
