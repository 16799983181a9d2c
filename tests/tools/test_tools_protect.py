"""What a write may never touch (git's data, a file shared through a hard link, a link swapped in
at the last moment), and file names that are not UTF-8: real files, through the registry."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from smallclaw_tui.models import JournalEntry, JournalType, Task
from smallclaw_tui.store.tasks import TaskStore
from smallclaw_tui.tools import ToolError, ToolResult, WorkspaceEscape
from smallclaw_tui.tools.workspace import resolve_writable

RunTool = Callable[..., Awaitable[ToolResult]]

FSMONITOR = "[core]\n\tfsmonitor = touch /tmp/pwned\n"


def _writes(path: str) -> list[tuple[str, dict[str, Any]]]:
    """One call of every tool that writes a file, aimed at `path`."""
    return [
        ("write_file", {"path": path, "content": FSMONITOR, "overwrite": True}),
        ("write_file", {"path": path, "content": FSMONITOR}),
        ("edit_file", {"path": path, "old": "bare = false", "new": "bare = true"}),
        ("replace_text", {"path": path, "old": "bare = false", "new": "bare = true"}),
        ("append_file", {"path": path, "text": FSMONITOR}),
        ("insert_after", {"path": path, "anchor": "[core]", "text": "\tfsmonitor = x"}),
    ]


# --- .git -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [".git/config", ".GIT/config", "./src/../.git/config", "sub/.git/config", "sub/.Git/hooks/pre-commit"],
)
async def test_git_data_is_not_writable(workspace: Path, run_tool: RunTool, path: str) -> None:
    for repo in (workspace / ".git", workspace / "sub" / ".git"):
        (repo / "hooks").mkdir(parents=True)
        (repo / "config").write_text("[core]\n\tbare = false\n")
    for name, args in _writes(path):
        r = await run_tool(name, **args)
        assert not r.ok and ".git/" in r.output and "may not change" in r.output, (name, r.output)
    for repo in (workspace / ".git", workspace / "sub" / ".git"):
        assert (repo / "config").read_text() == "[core]\n\tbare = false\n"
        assert list((repo / "hooks").iterdir()) == []


async def test_git_file_of_a_worktree_and_links_to_git_data(workspace: Path, run_tool: RunTool) -> None:
    # In a worktree or a submodule, `.git` is a file naming the real git folder.
    (workspace / ".git").write_text("gitdir: /elsewhere/.git/worktrees/w\n")
    (workspace / "real").mkdir()
    (workspace / "real" / ".git").mkdir()
    (workspace / "real" / ".git" / "config").write_text("[core]\n")
    (workspace / "alias").symlink_to(workspace / "real" / ".git")
    for path in (".git", "alias/config", "alias/new"):
        for name, args in _writes(path):
            r = await run_tool(name, **args)
            assert not r.ok and "may not change" in r.output, (path, name, r.output)
    assert (workspace / ".git").read_text() == "gitdir: /elsewhere/.git/worktrees/w\n"
    assert (workspace / "real" / ".git" / "config").read_text() == "[core]\n"
    assert not (workspace / "real" / ".git" / "new").exists()


async def test_git_data_stays_readable_and_lookalikes_writable(workspace: Path, run_tool: RunTool) -> None:
    (workspace / ".git").mkdir()
    (workspace / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    r = await run_tool("read_file", path=".git/HEAD")
    assert r.ok and "refs/heads/main" in r.output
    for path in (".gitignore", ".github/workflows/ci.yml", "docs/.git-notes.md"):
        w = await run_tool("write_file", path=path, content="x\n")
        assert w.ok, (path, w.output)


def test_resolve_writable_names_the_git_folder(workspace: Path) -> None:
    with pytest.raises(WorkspaceEscape, match=r"\.git/"):
        resolve_writable(workspace, "a/.git/config")


# --- hard links -------------------------------------------------------------------------------------


async def test_a_hard_linked_file_is_not_written_through(
    tmp_path: Path, workspace: Path, run_tool: RunTool
) -> None:
    outside = tmp_path / "outside.cfg"
    outside.write_text("[core]\n\tbare = false\n")
    os.link(outside, workspace / "notes.cfg")
    for name, args in _writes("notes.cfg"):
        r = await run_tool(name, **args)
        assert not r.ok, (name, r.output)
        if not (name == "write_file" and "overwrite" not in args):  # that one refuses any existing file
            assert "hard link" in r.output and "notes.cfg" in r.output, (name, r.output)
    assert outside.read_text() == "[core]\n\tbare = false\n"
    # Reading it is harmless and stays allowed.
    assert (await run_tool("read_file", path="notes.cfg")).ok


def test_a_link_swapped_in_after_the_check_is_not_followed(tmp_path: Path, workspace: Path) -> None:
    from smallclaw_tui.tools.fileio import open_for_write

    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    target = resolve_writable(workspace, "new.txt")  # checked while nothing is there
    (workspace / "new.txt").symlink_to(outside)  # ...then swapped in before the write
    with pytest.raises(ToolError, match="symlink"), open_for_write(target, "new.txt", "replace"):
        pass
    assert outside.read_text() == "secret\n"


# --- names that are not UTF-8 -----------------------------------------------------------------------


@pytest.fixture
def latin1_name(workspace: Path) -> Path:
    """`café.txt` named in Latin-1, as an old archive or a Windows share leaves it."""
    raw = os.path.join(os.fsencode(workspace), b"caf\xe9.txt")
    with open(raw, "wb") as f:
        f.write(b"hello from the cafe\n")
    return Path(os.fsdecode(raw))


def _valid(result: ToolResult) -> str:
    """The result as the journal and the model get it: JSON that encodes to UTF-8."""
    encoded = json.dumps({"output": result.output}, ensure_ascii=False).encode("utf-8")
    return str(json.loads(encoded)["output"])


@pytest.mark.usefixtures("latin1_name")
async def test_non_utf8_names_are_shown_escaped(workspace: Path, run_tool: RunTool) -> None:
    listed = await run_tool("list_dir")
    assert listed.ok and "caf\\xe9.txt" in _valid(listed).splitlines()
    found = await run_tool("search_files", pattern="cafe")
    assert found.ok and _valid(found).startswith("caf\\xe9.txt:1: hello from the cafe")
    # The model names the file the way it was shown, and gets it.
    read = await run_tool("read_file", path="caf\\xe9.txt")
    assert read.ok and _valid(read) == "caf\\xe9.txt (20 bytes):\nhello from the cafe\n"
    missing = await run_tool("read_file", path="caf\\xe9.txt/x")
    assert not missing.ok
    _valid(missing)


async def test_non_utf8_names_can_be_edited_by_their_shown_name(
    workspace: Path, latin1_name: Path, run_tool: RunTool
) -> None:
    r = await run_tool("replace_text", path="caf\\xe9.txt", old="cafe", new="café")
    assert r.ok and "caf\\xe9.txt" in _valid(r)
    assert latin1_name.read_text() == "hello from the café\n"
    assert sorted(os.listdir(os.fsencode(workspace))) == [b"caf\xe9.txt"]


async def test_a_journal_with_a_non_utf8_name_is_saved(
    workspace: Path, latin1_name: Path, run_tool: RunTool
) -> None:
    store = TaskStore(workspace / ".localclaw")
    task = await store.create(Task(title="t", prompt="p"))
    outputs = [
        (await run_tool(name, **args)).output
        for name, args in [("list_dir", {}), ("read_file", {"path": "caf\\xe9.txt"})]
    ]
    await store.append_journal(
        task, *(JournalEntry(type=JournalType.TOOL_RESULT, content=o) for o in outputs)
    )
    await store.save(task)
    loaded = await store.load(task.id)
    assert [e.content for e in loaded.journal][1:] == outputs


async def test_git_data_cannot_be_planted_either(workspace: Path, run_tool: RunTool) -> None:
    # A `.git/config` written where there was no repository makes the workspace one, hooks and all.
    for name, args in _writes(".git/config"):
        r = await run_tool(name, **args)
        assert not r.ok and "may not change" in r.output, (name, r.output)
    assert not (workspace / ".git").exists()


async def test_a_broken_character_from_the_model_is_an_error_not_a_crash(
    workspace: Path, run_tool: RunTool
) -> None:
    (workspace / "a.txt").write_text("smile: x\n")
    for name, args in [
        ("write_file", {"path": "b.txt", "content": "smile \ud83d\n"}),
        ("append_file", {"path": "a.txt", "text": "\ud83d"}),
        ("append_file", {"path": "new/c.txt", "text": "\ud83d"}),
        ("replace_text", {"path": "a.txt", "old": "x", "new": "\ud83d"}),
    ]:
        r = await run_tool(name, **args)
        assert not r.ok and "invalid character (\\ud83d" in _valid(r), (name, r.output)
    assert (workspace / "a.txt").read_text() == "smile: x\n"
    assert sorted(p.name for p in workspace.iterdir()) == ["a.txt"]
