from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from smallclaw_tui.config import ToolSettings
from smallclaw_tui.models import ToolCall
from smallclaw_tui.tools import ToolContext, ToolResult, default_registry

RunTool = Callable[..., Awaitable[ToolResult]]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    # A subfolder, so tests have somewhere outside the workspace (tmp_path itself) to aim at.
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


@pytest.fixture
def ctx(workspace: Path) -> ToolContext:
    return ToolContext(workspace=workspace, settings=ToolSettings(shell_timeout_s=10))


@pytest.fixture
def run_tool(ctx: ToolContext) -> RunTool:
    registry = default_registry()

    async def run(name: str, _ctx: ToolContext | None = None, **arguments: Any) -> ToolResult:
        return await registry.execute(ToolCall(name=name, arguments=arguments), _ctx or ctx)

    return run
