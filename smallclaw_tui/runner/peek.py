"""The runner's own look at a workspace file: what a step left there, or held before it wrote.

Paths come from the model, so they go through the same confinement as the tools (never outside
the workspace, never the app's data), and only regular files are read, and only their start: a
FIFO, `/dev/zero` or a huge file must not stall or swamp the runner, and a refused write must
not copy a secret into the journal.
"""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Container, Iterable
from pathlib import Path

from smallclaw_tui.runner.writes import norm_path
from smallclaw_tui.tools.workspace import WorkspaceEscape, resolve_writable

MAX_PEEK_CHARS = 200_000


def _read(workspace: Path, path: str, limit: int) -> str | None:
    try:
        resolved = resolve_writable(workspace, path)
        if not stat.S_ISREG(resolved.stat().st_mode):
            return None
        with resolved.open("rb") as f:
            return f.read(limit * 4).decode("utf-8", errors="replace")[:limit]
    except (OSError, WorkspaceEscape, ValueError):
        return None


async def peek(workspace: Path, path: str, limit: int = MAX_PEEK_CHARS) -> str | None:
    """The start of the file's text (up to `limit` characters), or None when it is not a regular
    file inside the workspace that tools may write."""
    return await asyncio.to_thread(_read, workspace, path, limit)


async def named_texts(
    workspace: Path, paths: Iterable[str], *, limit: int, skip: Container[str] = ()
) -> list[tuple[str, str]]:
    """(path, text) of each of `paths` that is a file, once each, folders and `skip` left out.
    Each is read to one character past `limit`, so a caller can tell a file shown whole."""
    out: list[tuple[str, str]] = []
    for path in dict.fromkeys(map(norm_path, paths)):
        if not path or path.endswith("/") or path in skip:
            continue
        text = await peek(workspace, path, limit=limit + 1)
        if text is not None:
            out.append((path, text))
    return out
