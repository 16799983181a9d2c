"""copy_file: a file's bytes into another workspace file, as they are.

Asked to copy a file, Qwen2.5-Coder-1.5B called ``copy_file`` in every try (bench/real/TUNING.md
§17); typing a file's text back through ``write_file`` is where small models drop a line or a
byte. The copy never leaves the workspace, never reads the app's data folder and never writes into
it or into ``.git``: the source is confined like a read, the destination like a write, and the
destination is opened with the same checks as every other write (:mod:`.fileio`).
"""

from __future__ import annotations

import asyncio
import os
import stat
from typing import Any

from smallclaw_tui.config_files import DATA_DIR_NAME
from smallclaw_tui.tools.args import Param
from smallclaw_tui.tools.base import Tool, ToolContext, ToolError, ToolResult
from smallclaw_tui.tools.fileio import read_fd
from smallclaw_tui.tools.files import existing, write_whole
from smallclaw_tui.tools.workspace import is_app_data, resolve_in_workspace

# A copy is read whole into memory; past this it is a job for the user, not a tool call.
MAX_COPY_BYTES = 64 << 20


def _read_source(ctx: ToolContext, path: str) -> tuple[str, bytes]:
    source = resolve_in_workspace(ctx.workspace, path)
    if is_app_data(ctx.workspace, source):
        raise ToolError(
            f"{path} is inside {DATA_DIR_NAME}/, where the app keeps its own data; tools do not copy it"
        )
    shown = existing(ctx, source, want_dir=False)
    fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ToolError(f"{shown} is not a regular file")
        if st.st_size > MAX_COPY_BYTES:
            raise ToolError(f"{shown} is {st.st_size} bytes, more than copy_file copies ({MAX_COPY_BYTES})")
        return shown, read_fd(fd)
    finally:
        os.close(fd)


def _copy_file(ctx: ToolContext, path: str, destination: str, overwrite: bool) -> ToolResult:
    shown_src, data = _read_source(ctx, path)
    refusal = "To replace it, call copy_file with overwrite: true"
    shown, old_size = write_whole(ctx, destination, data, overwrite, refusal)
    if old_size is None:
        return ToolResult(True, f"already applied: {shown} already holds the text of {shown_src}")
    return ToolResult(True, f"copied {shown_src} to {shown} ({len(data)} bytes)")


async def copy_file(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(_copy_file, ctx, args["path"], args["destination"], args["overwrite"])


COPY_FILE = Tool(
    "copy_file",
    "Copy a file.",
    (
        Param("path", "The file to copy."),
        Param("destination", "The copy's path."),
        Param("overwrite", "true replaces a file there.", type="boolean", required=False, default=False),
    ),
    copy_file,
)
