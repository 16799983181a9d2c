"""The tool registry: the specs the model sees, and the one door every tool call goes through.

:meth:`ToolRegistry.execute` never raises for a tool problem. Unknown tools, bad arguments, paths
outside the workspace, file-system errors and even bugs in a tool come back as ``ok=False`` with a
sentence the model can act on; only cancellation passes through.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from smallclaw_tui.llm.base import ToolSpec
from smallclaw_tui.models import ToolCall
from smallclaw_tui.tools.args import ArgumentError, check_arguments
from smallclaw_tui.tools.base import Tool, ToolContext, ToolError, ToolResult
from smallclaw_tui.tools.copy import COPY_FILE
from smallclaw_tui.tools.edits import APPEND_FILE, EDIT_FILE, INSERT_AFTER, REPLACE_TEXT
from smallclaw_tui.tools.files import LIST_DIR, READ_FILE, SEARCH_FILES, WRITE_FILE
from smallclaw_tui.tools.shell_tool import RUN_SHELL
from smallclaw_tui.tools.text import clip, escape_surrogates
from smallclaw_tui.tools.web import WEB_FETCH
from smallclaw_tui.tools.workspace import WorkspaceEscape

# Names other agent tool sets give the same tools (same arguments), taken as ours: the 1.5B called
# `create_file` for "Create done.flag containing 'ok'" twice, heard "unknown tool" and gave up
# (suite status-flow). Only exact names; anything else is still an unknown tool.
TOOL_ALIASES = {
    "create_file": "write_file",
    "write_to_file": "write_file",
    "save_file": "write_file",
    "append_to_file": "append_file",
    "str_replace": "replace_text",
    "view_file": "read_file",
    "open_file": "read_file",
    "list_files": "list_dir",
}


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} is already registered")
        self._tools[tool.name] = tool

    def names(self) -> list[str]:
        return list(self._tools)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def canonical(self, call: ToolCall) -> ToolCall:
        """`call` under our name for the tool when it used another tool set's name for it."""
        name = TOOL_ALIASES.get(call.name)
        if call.name in self._tools or name is None or name not in self._tools:
            return call
        return call.model_copy(update={"name": name})

    def specs(self) -> list[ToolSpec]:
        return [tool.spec() for tool in self._tools.values()]

    async def execute(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        result = await self._execute(call, ctx)
        # A last bound for every tool; the tools clip their own output with better notes first.
        # A file name that is not UTF-8 can reach any message (an OSError's path, a folder name):
        # escaped here, the result always encodes, so journals and the model's JSON never break.
        result.output = clip(escape_surrogates(result.output), ctx.settings.output_max_chars)
        return result

    async def _execute(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        tool = self._tools.get(call.name)
        if tool is None:
            return ToolResult(False, f"unknown tool {call.name!r}; available: {', '.join(self._tools)}")
        try:
            args = check_arguments(tool.name, tool.params, call.arguments)
            return await tool.handler(args, ctx)
        except (ArgumentError, ToolError, WorkspaceEscape) as e:
            return ToolResult(False, str(e))
        except OSError as e:
            return ToolResult(False, f"{tool.name} failed: {e.strerror or e}{_where(e, ctx)}")
        except Exception as e:  # a bug in a tool must not kill the chat loop or the runner
            return ToolResult(False, f"{tool.name} failed unexpectedly: {type(e).__name__}: {e}")


def _where(error: OSError, ctx: ToolContext) -> str:
    if not error.filename:
        return ""
    path = Path(os.fsdecode(error.filename))
    # Say it the way the model named it: relative to the workspace.
    root = ctx.workspace.resolve()
    return f": {path.relative_to(root).as_posix() if path.is_relative_to(root) else path}"


def default_registry() -> ToolRegistry:
    """The standard tools, in the order the model sees them: looking first, then writing (a whole
    file, then its end, then part of it), then the rest."""
    return ToolRegistry(
        [
            READ_FILE,
            LIST_DIR,
            SEARCH_FILES,
            WRITE_FILE,
            APPEND_FILE,
            REPLACE_TEXT,
            INSERT_AFTER,
            EDIT_FILE,
            COPY_FILE,
            RUN_SHELL,
            WEB_FETCH,
        ]
    )
