"""The file tools on real files: what they do, and what they say they did."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from smallclaw_tui.config import ToolSettings
from smallclaw_tui.tools import ToolContext, ToolResult

RunTool = Callable[..., Awaitable[ToolResult]]


# --- read_file --------------------------------------------------------------------------------------


async def test_read_file(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "notes").mkdir()
    (workspace / "notes" / "a.txt").write_text("hello\nworld\n")
    r = await run_tool("read_file", path="notes/a.txt")
    assert r.ok
    assert r.output == "notes/a.txt (12 bytes):\nhello\nworld\n"


async def test_read_file_accepts_absolute_path_inside_workspace(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "a.txt").write_text("x")
    r = await run_tool("read_file", path=str(workspace / "a.txt"))
    assert r.ok and r.output.endswith("x")


async def test_read_missing_file_and_folder(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "d").mkdir()
    missing = await run_tool("read_file", path="nope.txt")
    assert not missing.ok and "no such file: nope.txt" in missing.output
    folder = await run_tool("read_file", path="d")
    assert not folder.ok and "is a folder" in folder.output and "list_dir" in folder.output


async def test_read_empty_and_binary(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "empty.txt").write_bytes(b"")
    (workspace / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    empty = await run_tool("read_file", path="empty.txt")
    assert empty.ok and empty.output == "empty.txt is empty (0 bytes)"
    binary = await run_tool("read_file", path="img.png")
    assert binary.ok and "binary file" in binary.output and "IHDR" not in binary.output


async def test_read_large_file_is_bounded_and_says_so(workspace: Path) -> None:
    from smallclaw_tui.models import ToolCall
    from smallclaw_tui.tools import default_registry

    (workspace / "big.txt").write_text("line\n" * 100_000)  # 500 kB
    settings = ToolSettings(read_max_bytes=10_000, output_max_chars=2000)
    ctx = ToolContext(workspace=workspace, settings=settings)
    r = await default_registry().execute(ToolCall(name="read_file", arguments={"path": "big.txt"}), ctx)
    assert r.ok
    assert len(r.output) <= 2000
    assert "[clipped " in r.output
    assert "only the first 10000 of 500000 bytes were read" in r.output


async def test_read_latin1_text_is_not_called_binary(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "old.txt").write_bytes("café crème, déjà vu\n".encode("latin-1") * 20)
    r = await run_tool("read_file", path="old.txt")
    assert r.ok and "binary" not in r.output and "caf" in r.output


# --- write_file -------------------------------------------------------------------------------------


async def test_write_file_creates_parents_and_reports_bytes(workspace: Path, run_tool: RunTool) -> None:
    r = await run_tool("write_file", path="notes/deep/a.txt", content="hello")
    assert r.ok and r.output == "wrote 5 bytes to notes/deep/a.txt"
    assert (workspace / "notes" / "deep" / "a.txt").read_text() == "hello"


async def test_write_file_overwrites_exactly(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "a.txt").write_text("old content that is longer")
    r = await run_tool("write_file", path="a.txt", content="é\r\nx", overwrite=True)
    assert r.ok and r.output == "wrote 5 bytes to a.txt (replaced the old 26 bytes)"
    assert (workspace / "a.txt").read_bytes() == "é\r\nx".encode()


async def test_write_file_onto_folder_is_refused(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "d").mkdir()
    r = await run_tool("write_file", path="d", content="x")
    assert not r.ok and "is a folder" in r.output


async def test_write_file_under_a_file_is_refused(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "f").write_text("x")
    r = await run_tool("write_file", path="f/sub/a.txt", content="x")
    assert not r.ok and r.output == "f is a file, so it cannot hold f/sub/a.txt"


async def test_os_errors_are_results_with_relative_paths(workspace: Path, run_tool: RunTool) -> None:
    name = "n" * 300 + ".txt"  # longer than any file system allows, even for root
    r = await run_tool("write_file", path=f"d/{name}", content="x")
    assert not r.ok and r.output == f"write_file failed: File name too long: d/{name}"


async def test_special_files_are_not_read(workspace: Path, run_tool: RunTool) -> None:
    os.mkfifo(workspace / "pipe")
    r = await run_tool("read_file", path="pipe")
    assert not r.ok and r.output == "pipe is not a regular file"
    found = await run_tool("search_files", pattern="x")
    assert found.ok and "searched 0 files" in found.output


# --- edit_file --------------------------------------------------------------------------------------


async def test_edit_file_replaces_once(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "a.py").write_text("x = 1\ny = 2\nz = 3\n")
    r = await run_tool("edit_file", path="a.py", old="y = 2", new="y = 20")
    assert r.ok
    assert r.output == "edited a.py at line 2: replaced 5 chars with 6 chars (file is now 19 bytes)"
    assert (workspace / "a.py").read_text() == "x = 1\ny = 20\nz = 3\n"


async def test_edit_file_not_found(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "a.txt").write_text("alpha beta\n")
    r = await run_tool("edit_file", path="a.txt", old="gamma", new="delta")
    assert not r.ok and "not found in a.txt" in r.output
    assert (workspace / "a.txt").read_text() == "alpha beta\n"


async def test_edit_file_not_found_hints_at_whitespace(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "a.py").write_text("def f():\n    return 1\n")
    r = await run_tool("edit_file", path="a.py", old="def f():\n  return 1", new="x")
    assert not r.ok and "different spaces or line breaks" in r.output


async def test_edit_file_ambiguous_says_how_many(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "a.txt").write_text("x = 1\nx = 1\nx = 1\n")
    r = await run_tool("edit_file", path="a.txt", old="x = 1", new="x = 2")
    assert not r.ok and "found 3 times" in r.output and "exactly once" in r.output
    assert (workspace / "a.txt").read_text() == "x = 1\nx = 1\nx = 1\n"


async def test_edit_file_missing_file_and_empty_old(workspace: Path, run_tool: RunTool) -> None:
    missing = await run_tool("edit_file", path="nope.txt", old="a", new="b")
    assert not missing.ok and "no such file: nope.txt" in missing.output
    (workspace / "a.txt").write_text("abc")
    empty = await run_tool("edit_file", path="a.txt", old="", new="b")
    assert not empty.ok and "'old' is empty" in empty.output


async def test_edit_file_keeps_windows_line_ends(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "w.txt").write_bytes(b"one\r\ntwo\r\nthree\r\n")
    r = await run_tool("edit_file", path="w.txt", old="one\ntwo", new="1\n2")
    assert r.ok, r.output
    assert (workspace / "w.txt").read_bytes() == b"1\r\n2\r\nthree\r\n"


# --- list_dir ---------------------------------------------------------------------------------------


async def test_list_dir_marks_folders_and_hides_app_data(workspace: Path, run_tool: RunTool) -> None:
    """One name a line, as a file index holds them: the 1.5B copied "a.py (11 bytes)" lines
    into src/index.txt when the listing gave sizes (suite index-src). No counts either: asked how
    many Python files src held, it wrote the header's "0 folders, 5 files" as "0" and "5", numbers
    a tool had printed, and the task completed wrong (held-out count-py)."""
    (workspace / "src").mkdir()
    (workspace / ".localclaw").mkdir()
    (workspace / "b.txt").write_text("12345")
    (workspace / "a.txt").write_text("")
    r = await run_tool("list_dir")  # path defaults to "."
    assert r.ok
    assert r.output == "Contents of the workspace:\nsrc/\na.txt\nb.txt"


async def test_list_dir_subfolder_empty_and_errors(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "d" / "e").mkdir(parents=True)
    (workspace / "f.txt").write_text("x")
    sub = await run_tool("list_dir", path="d")
    assert sub.ok and sub.output == "Contents of d/:\ne/"
    empty = await run_tool("list_dir", path="d/e")
    assert empty.ok and empty.output == "d/e/ is empty"
    missing = await run_tool("list_dir", path="zz")
    assert not missing.ok and "no such folder: zz" in missing.output
    file = await run_tool("list_dir", path="f.txt")
    assert not file.ok and "is a file" in file.output


async def test_list_dir_is_bounded(workspace: Path, run_tool: RunTool) -> None:
    for i in range(250):
        (workspace / f"f{i:03}.txt").write_text("")
    r = await run_tool("list_dir", path=".")
    assert r.ok
    assert r.output.splitlines()[0] == "Contents of the workspace:"
    assert len(r.output.splitlines()) == 1 + 200 + 1
    assert r.output.endswith("... and 50 more")


# --- search_files -----------------------------------------------------------------------------------


async def test_search_files_case_insensitive_with_locations(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "src").mkdir()
    (workspace / "src" / "a.py").write_text("import os\n# TODO: fix\nprint('todo later')\n")
    (workspace / "b.md").write_text("nothing here\n")
    (workspace / "blob.bin").write_bytes(b"\x00\x01TODO\x00")
    (workspace / ".localclaw").mkdir()
    (workspace / ".localclaw" / "task.json").write_text('{"todo": 1}')
    r = await run_tool("search_files", pattern="todo", path=".")
    assert r.ok
    lines = r.output.splitlines()
    assert lines[:2] == ["src/a.py:2: # TODO: fix", "src/a.py:3: print('todo later')"]
    assert lines[2] == "2 matches in 1 files (searched 3 files, skipped 1 binary)"


async def test_search_files_in_one_file_no_match_and_empty_pattern(
    workspace: Path, run_tool: RunTool
) -> None:
    (workspace / "a.txt").write_text("Alpha\nbeta\n")
    one = await run_tool("search_files", pattern="BETA", path="a.txt")
    assert one.ok and one.output.startswith("a.txt:2: beta")
    none = await run_tool("search_files", pattern="gamma")
    assert none.ok and none.output == "no matches for 'gamma' in . (searched 1 files)"
    empty = await run_tool("search_files", pattern="  ")
    assert not empty.ok and "'pattern' is empty" in empty.output


async def test_search_files_is_bounded(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "many.txt").write_text("hit\n" * 500)
    (workspace / "long.txt").write_text("x" * 5000 + "NEEDLE" + "y" * 5000)
    r = await run_tool("search_files", pattern="hit")
    assert r.ok
    assert len(r.output.splitlines()) == 101
    assert "stopped at the first 100 matches" in r.output
    long = await run_tool("search_files", pattern="needle")
    first = long.output.splitlines()[0]
    assert "NEEDLE" in first and len(first) < 300


async def test_repeating_an_applied_edit_does_not_duplicate_it(tmp_path: Path) -> None:
    from smallclaw_tui.config import ToolSettings
    from smallclaw_tui.models import ToolCall
    from smallclaw_tui.tools import ToolContext, default_registry

    (tmp_path / "README.md").write_text("# Demo\n")
    ctx = ToolContext(workspace=tmp_path, settings=ToolSettings())
    call = ToolCall(
        name="edit_file", arguments={"path": "README.md", "old": "# Demo\n", "new": "# Demo\nRun it.\n"}
    )
    first = await default_registry().execute(call, ctx)
    again = await default_registry().execute(call, ctx)
    assert first.ok and again.ok and "already applied" in again.output
    assert (tmp_path / "README.md").read_text() == "# Demo\nRun it.\n"


async def test_a_path_that_ends_in_a_slash_names_a_folder_and_is_not_written_as_a_file(
    workspace: Path, run_tool: RunTool
) -> None:
    # Seen on the 1.5B (suite greetings): "Create greetings folder" wrote `greetings/` as a FILE
    # named greetings, and every later step's greetings/hello.txt then failed.
    for name, args in (
        ("write_file", {"path": "greetings/", "content": "Hello"}),
        ("append_file", {"path": "greetings/", "text": "Hello"}),
    ):
        r = await run_tool(name, **args)
        assert not r.ok and "greetings/ names a folder" in r.output, r.output
        assert not (workspace / "greetings").exists()
    ok = await run_tool("write_file", path="greetings/hello.txt", content="Hello")
    assert ok.ok and (workspace / "greetings" / "hello.txt").read_text() == "Hello"
