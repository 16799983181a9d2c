"""Every way out of the workspace is refused, by every tool that takes a path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from smallclaw_tui.tools import ToolResult, WorkspaceEscape, resolve_in_workspace

RunTool = Callable[..., Awaitable[ToolResult]]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the workspace holding a secret, plus links to it from inside."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "secret.txt").write_text("top secret")
    return out


@pytest.fixture
def links(workspace: Path, outside: Path) -> None:
    (workspace / "secret_link").symlink_to(outside / "secret.txt")
    (workspace / "out_dir").symlink_to(outside, target_is_directory=True)
    (workspace / "dangling").symlink_to(outside / "not_yet.txt")


ESCAPES = [
    "../outside/secret.txt",
    "notes/../../outside/secret.txt",
    "/etc/passwd",
    "~/.bashrc",
    "secret_link",
    "out_dir/secret.txt",
    "out_dir/new.txt",
    "dangling",
]


@pytest.mark.usefixtures("links")
@pytest.mark.parametrize("path", ESCAPES)
def test_resolve_refuses_escapes(workspace: Path, path: str) -> None:
    with pytest.raises(WorkspaceEscape):
        resolve_in_workspace(workspace, path)


def test_resolve_accepts_paths_inside(workspace: Path) -> None:
    root = workspace.resolve()
    assert resolve_in_workspace(workspace, "a/b.txt") == root / "a" / "b.txt"
    assert resolve_in_workspace(workspace, "a/../b.txt") == root / "b.txt"
    assert resolve_in_workspace(workspace, str(workspace / "c.txt")) == root / "c.txt"
    assert resolve_in_workspace(workspace, ".") == root
    (workspace / "real").mkdir()
    (workspace / "inner_link").symlink_to(workspace / "real")
    assert resolve_in_workspace(workspace, "inner_link/x") == root / "real" / "x"


@pytest.mark.usefixtures("links")
def test_escape_messages_are_clear(workspace: Path) -> None:
    with pytest.raises(WorkspaceEscape, match=r"outside the workspace.*relative to the workspace"):
        resolve_in_workspace(workspace, "../x")
    with pytest.raises(WorkspaceEscape, match="through a symlink"):
        resolve_in_workspace(workspace, "out_dir/secret.txt")


@pytest.mark.usefixtures("links")
@pytest.mark.parametrize("path", ESCAPES)
async def test_every_path_tool_refuses_escapes(run_tool: RunTool, outside: Path, path: str) -> None:
    calls = [
        ("read_file", {"path": path}),
        ("write_file", {"path": path, "content": "pwned"}),
        ("write_file", {"path": path, "content": "pwned", "overwrite": True}),
        ("edit_file", {"path": path, "old": "top secret", "new": "pwned"}),
        ("replace_text", {"path": path, "old": "top secret", "new": "pwned"}),
        ("append_file", {"path": path, "text": "pwned"}),
        ("insert_after", {"path": path, "anchor": "top secret", "text": "pwned"}),
        ("list_dir", {"path": path}),
        ("search_files", {"pattern": "secret", "path": path}),
    ]
    for name, args in calls:
        r = await run_tool(name, **args)
        assert not r.ok, (name, r.output)
        assert "outside the workspace" in r.output or "home directory" in r.output, (name, r.output)
        assert "top secret" not in r.output
    assert (outside / "secret.txt").read_text() == "top secret"
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


@pytest.mark.usefixtures("links")
async def test_search_does_not_follow_links_out(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "mine.txt").write_text("my secret\n")
    r = await run_tool("search_files", pattern="secret")
    assert r.ok
    assert r.output.splitlines() == ["mine.txt:1: my secret", "1 matches in 1 files (searched 1 files)"]


async def test_app_data_is_readable_but_not_writable(workspace: Path, run_tool: RunTool) -> None:
    data = workspace / ".localclaw"
    (data / "tasks").mkdir(parents=True)
    (data / "tasks" / "t.json").write_text('{"id": "t"}')
    assert (await run_tool("read_file", path=".localclaw/tasks/t.json")).ok
    for name, args in [
        ("write_file", {"path": ".localclaw/tasks/t.json", "content": "{}"}),
        ("write_file", {"path": ".localclaw/new.txt", "content": "x"}),
        ("write_file", {"path": "./x/../.localclaw/config.toml", "content": "x"}),
        ("edit_file", {"path": ".localclaw/tasks/t.json", "old": '"t"', "new": '"u"'}),
        ("replace_text", {"path": ".localclaw/tasks/t.json", "old": '"t"', "new": '"u"'}),
        ("append_file", {"path": ".LocalClaw/tasks/t.json", "text": "x"}),
        ("insert_after", {"path": ".localclaw/tasks/t.json", "anchor": "", "text": "x"}),
        ("write_file", {"path": ".localclaw/tasks/t.json", "content": "{}", "overwrite": True}),
    ]:
        r = await run_tool(name, **args)
        assert not r.ok and ".localclaw/" in r.output and "own data" in r.output, (name, r.output)
    assert (data / "tasks" / "t.json").read_text() == '{"id": "t"}'
    assert not (data / "new.txt").exists()


CONFIG = '[telegram]\ntoken = "123456:telegram-secret"\n[llm]\napi_key = "sk-secret"\n'


@pytest.fixture
def config(workspace: Path) -> Path:
    data = workspace / ".localclaw"
    (data / "tasks").mkdir(parents=True)
    (data / "config.toml").write_text(CONFIG)
    (data / "config.toml.bak").write_text(CONFIG)
    (data / "tasks" / "t.json").write_text('{"id": "t", "note": "token"}')
    return data / "config.toml"


@pytest.mark.usefixtures("config")
@pytest.mark.parametrize(
    "path",
    [".localclaw/config.toml", "./x/../.localclaw/config.toml", ".localclaw/config.toml.bak", "cfg_link"],
)
async def test_config_file_is_not_read(workspace: Path, run_tool: RunTool, path: str) -> None:
    (workspace / "cfg_link").symlink_to(workspace / ".localclaw" / "config.toml")
    r = await run_tool("read_file", path=path)
    assert not r.ok
    assert "app's settings" in r.output and "tokens and API keys" in r.output, r.output
    assert "secret" not in r.output


@pytest.mark.usefixtures("config")
async def test_search_does_not_read_the_config_file(run_tool: RunTool) -> None:
    inside = await run_tool("search_files", pattern="token", path=".localclaw")
    assert inside.ok and "secret" not in inside.output
    assert inside.output.splitlines() == [
        '.localclaw/tasks/t.json:1: {"id": "t", "note": "token"}',
        "1 matches in 1 files (searched 1 files)",
    ]
    direct = await run_tool("search_files", pattern="token", path=".localclaw/config.toml")
    assert not direct.ok and "app's settings" in direct.output and "secret" not in direct.output
