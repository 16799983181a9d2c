"""copy_file on real files: the tool the 1.5B reaches for first when a step copies a file."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from smallclaw_tui.tools import ToolResult

RunTool = Callable[..., Awaitable[ToolResult]]


async def test_copy_makes_the_folder_and_copies_bytes_exactly(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "src").mkdir()
    (workspace / "src" / "a.txt").write_bytes(b"alpha\r\nbeta\n\xff")
    r = await run_tool("copy_file", path="src/a.txt", destination="dst/a.txt")
    assert r.ok, r.output
    assert (workspace / "dst" / "a.txt").read_bytes() == b"alpha\r\nbeta\n\xff"
    assert r.output == "copied src/a.txt to dst/a.txt (13 bytes)"


async def test_the_names_small_models_use_are_accepted(workspace: Path, run_tool: RunTool) -> None:
    # Qwen2.5-Coder-1.5B, suite copy-file: {"path": …, "destination": …} then {"path": …, "to": …}.
    (workspace / "a.txt").write_text("x\n")
    assert (await run_tool("copy_file", path="a.txt", to="b.txt")).ok
    assert (await run_tool("copy_file", source="a.txt", dest="c.txt")).ok
    assert (workspace / "b.txt").read_text() == (workspace / "c.txt").read_text() == "x\n"


async def test_an_existing_destination_is_kept_unless_overwrite(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "a.txt").write_text("new\n")
    (workspace / "b.txt").write_text("old\n")
    refused = await run_tool("copy_file", path="a.txt", destination="b.txt")
    assert not refused.ok and "b.txt already exists" in refused.output and "overwrite" in refused.output
    assert (workspace / "b.txt").read_text() == "old\n"
    assert (await run_tool("copy_file", path="a.txt", destination="b.txt", overwrite=True)).ok
    assert (workspace / "b.txt").read_text() == "new\n"
    same = await run_tool("copy_file", path="a.txt", destination="b.txt")
    assert same.ok and "already" in same.output


async def test_copy_stays_in_the_workspace(workspace: Path, run_tool: RunTool) -> None:
    outside = workspace.parent / "secret.txt"
    outside.write_text("secret\n")
    (workspace / "a.txt").write_text("a\n")
    assert not (await run_tool("copy_file", path="../secret.txt", destination="s.txt")).ok
    assert not (workspace / "s.txt").exists()
    assert not (await run_tool("copy_file", path="a.txt", destination="../out.txt")).ok
    assert not (workspace.parent / "out.txt").exists()
    os.symlink(outside, workspace / "link.txt")
    assert not (await run_tool("copy_file", path="link.txt", destination="s.txt")).ok
    assert not (workspace / "s.txt").exists()
    (workspace / ".localclaw").mkdir()
    (workspace / ".localclaw" / "config.toml").write_text("token = 'x'\n")
    leak = await run_tool("copy_file", path=".localclaw/config.toml", destination="c.toml")
    assert not leak.ok and not (workspace / "c.toml").exists()
    plant = await run_tool("copy_file", path="a.txt", destination=".localclaw/config.toml")
    assert not plant.ok and (workspace / ".localclaw" / "config.toml").read_text() == "token = 'x'\n"


async def test_a_missing_source_or_a_folder_says_what_to_do(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "d").mkdir()
    missing = await run_tool("copy_file", path="nope.txt", destination="b.txt")
    assert not missing.ok and "no such file: nope.txt" in missing.output
    folder = await run_tool("copy_file", path="d", destination="b.txt")
    assert not folder.ok and "is a folder" in folder.output
    (workspace / "a.txt").write_text("a\n")
    into = await run_tool("copy_file", path="a.txt", destination="d")
    assert not into.ok and "d is a folder" in into.output
