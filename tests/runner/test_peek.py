"""The runner's own reads of model-named files stay inside the workspace and never stall."""

from __future__ import annotations

import os
from pathlib import Path

from smallclaw_tui.runner.peek import peek


async def test_peek_reads_workspace_files_only(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / ".localclaw").mkdir(parents=True)
    (ws / ".localclaw" / "config.toml").write_text('token = "123:secret"\n')
    (tmp_path / "outside.txt").write_text("secret")
    (ws / "link").symlink_to(tmp_path / "outside.txt")
    (ws / "a.txt").write_text("hello")
    os.mkfifo(ws / "pipe")
    assert await peek(ws, "a.txt") == "hello"
    assert await peek(ws, "a.txt", limit=2) == "he"
    for path in ("../outside.txt", str(tmp_path / "outside.txt"), "link", ".localclaw/config.toml"):
        assert await peek(ws, path) is None, path
    assert await peek(ws, "pipe") is None  # a FIFO would block a read forever
    assert await peek(ws, "/dev/zero") is None
    assert await peek(ws, "missing.txt") is None
