"""The edit tools a small model gets right: append_file, replace_text, insert_after, and write_file
that will not replace a file by accident. Real files, through the registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from smallclaw_tui.tools import ToolResult, default_registry

RunTool = Callable[..., Awaitable[ToolResult]]


# --- write_file -------------------------------------------------------------------------------------


async def test_write_file_refuses_to_replace_an_existing_file(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "notes.md").write_text("# Notes\n- keep me\n")
    r = await run_tool("write_file", path="notes.md", content="# Notes\n")
    assert not r.ok
    assert "notes.md already exists (18 bytes)" in r.output
    assert all(
        word in r.output for word in ("append_file", "replace_text", "insert_after", "overwrite: true")
    )
    assert (workspace / "notes.md").read_text() == "# Notes\n- keep me\n"


async def test_write_file_overwrite_true_replaces_it(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "notes.md").write_text("old text that is longer\n")
    r = await run_tool("write_file", path="notes.md", content="new\n", overwrite=True)
    assert r.ok and r.output == "wrote 4 bytes to notes.md (replaced the old 24 bytes)"
    assert (workspace / "notes.md").read_text() == "new\n"


async def test_write_file_overwrite_as_the_string_true(workspace: Path, run_tool: RunTool) -> None:
    # Small models often quote booleans.
    (workspace / "a.txt").write_text("old\n")
    r = await run_tool("write_file", path="a.txt", content="new\n", overwrite="true")
    assert r.ok and (workspace / "a.txt").read_text() == "new\n"


async def test_write_file_same_content_again_is_not_an_error(workspace: Path, run_tool: RunTool) -> None:
    assert (await run_tool("write_file", path="a.txt", content="hi\n")).ok
    again = await run_tool("write_file", path="a.txt", content="hi\n")
    assert again.ok and again.output == "already applied: a.txt already holds this content (nothing changed)"


async def test_write_file_onto_an_empty_file_needs_no_overwrite(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "empty.txt").write_text("")
    r = await run_tool("write_file", path="empty.txt", content="x\n")
    assert r.ok and r.output == "wrote 2 bytes to empty.txt"


# --- append_file ------------------------------------------------------------------------------------


async def test_append_file_adds_line_breaks_where_missing(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "notes.md").write_text("# Notes\n- milk")
    r = await run_tool("append_file", path="notes.md", text="- eggs\n")
    assert r.ok and r.output == "appended 8 bytes to notes.md (now 22 bytes, 3 lines)"
    assert (workspace / "notes.md").read_text() == "# Notes\n- milk\n- eggs\n"
    # Appended text is whole lines: the next append starts on a line of its own.
    r = await run_tool("append_file", path="notes.md", text="- tea")
    assert r.ok and r.output == "appended 6 bytes to notes.md (now 28 bytes, 4 lines)"
    assert (workspace / "notes.md").read_text() == "# Notes\n- milk\n- eggs\n- tea\n"


async def test_append_file_creates_a_missing_file(workspace: Path, run_tool: RunTool) -> None:
    r = await run_tool("append_file", path="log/today.txt", text="started\n")
    assert r.ok and r.output == "appended 8 bytes to log/today.txt (new file; now 8 bytes, 1 line)"
    assert (workspace / "log" / "today.txt").read_text() == "started\n"


async def test_append_file_keeps_windows_line_ends(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "w.txt").write_bytes(b"one\r\ntwo")
    r = await run_tool("append_file", path="w.txt", text="three\nfour\n")
    assert r.ok, r.output
    assert (workspace / "w.txt").read_bytes() == b"one\r\ntwo\r\nthree\r\nfour\r\n"


async def test_append_file_errors(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "d").mkdir()
    (workspace / "img.png").write_bytes(b"\x89PNG\x00\x00\x01\x02" * 10)
    folder = await run_tool("append_file", path="d", text="x")
    assert not folder.ok and "is a folder" in folder.output
    empty = await run_tool("append_file", path="a.txt", text="")
    assert not empty.ok and "'text' is empty" in empty.output and not (workspace / "a.txt").exists()
    binary = await run_tool("append_file", path="img.png", text="x")
    assert not binary.ok and "binary" in binary.output
    app = await run_tool("append_file", path=".localclaw/notes.txt", text="x")
    assert not app.ok and "own data" in app.output


async def test_append_file_accepts_content_for_text(workspace: Path, run_tool: RunTool) -> None:
    r = await run_tool("append_file", file="a.txt", content="hi\n")
    assert r.ok and (workspace / "a.txt").read_text() == "hi\n"


# --- replace_text -----------------------------------------------------------------------------------


async def test_replace_text_replaces_the_one_match(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "app.py").write_text("host = 'a'\nport = 8000\ndebug = True\n")
    r = await run_tool("replace_text", path="app.py", old="port = 8000", new="port = 8080")
    assert r.ok and r.output == "replaced 1 match in app.py at line 2 (file is now 36 bytes)"
    assert (workspace / "app.py").read_text() == "host = 'a'\nport = 8080\ndebug = True\n"


async def test_replace_text_not_found_shows_the_nearest_lines(workspace: Path, run_tool: RunTool) -> None:
    lines = [f"item {i}" for i in range(1, 30)]
    lines[11] = "def load_config(path):"
    (workspace / "app.py").write_text("\n".join(lines) + "\n")
    before = (workspace / "app.py").read_text()
    r = await run_tool("replace_text", path="app.py", old="def load_conf(path):\n    pass", new="x")
    assert not r.ok
    assert r.output.startswith("'old' text not found in app.py")
    assert "line 12: def load_config(path):" in r.output
    assert (workspace / "app.py").read_text() == before


async def test_replace_text_not_found_says_when_it_was_already_done(
    workspace: Path, run_tool: RunTool
) -> None:
    (workspace / "app.py").write_text("port = 8080\n")
    r = await run_tool("replace_text", path="app.py", old="port = 8000", new="port = 8080")
    assert not r.ok and "not found" in r.output and "already" in r.output


async def test_replace_text_ambiguous_and_all(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "a.txt").write_text("x = 1\ny = 2\nx = 1\n")
    r = await run_tool("replace_text", path="a.txt", old="x = 1", new="x = 9")
    assert not r.ok and "found 2 times" in r.output
    ready = 'call replace_text {"path": "a.txt", "old": "x = 1", "new": "x = 9", "all": true}'
    assert r.output.endswith(ready)
    assert "(lines 1, 3)" in r.output
    assert (workspace / "a.txt").read_text() == "x = 1\ny = 2\nx = 1\n"
    r = await run_tool("replace_text", path="a.txt", old="x = 1", new="x = 9", all=True)
    assert r.ok and r.output == "replaced 2 matches in a.txt at lines 1, 3 (file is now 18 bytes)"
    assert (workspace / "a.txt").read_text() == "x = 9\ny = 2\nx = 9\n"


async def test_replace_text_all_accepts_replace_all(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "a.txt").write_text("a a a\n")
    r = await run_tool("replace_text", path="a.txt", old_str="a", new_str="b", replace_all=True)
    assert r.ok and (workspace / "a.txt").read_text() == "b b b\n"


async def test_replace_text_keeps_windows_line_ends(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "w.txt").write_bytes(b"one\r\ntwo\r\nthree\r\n")
    r = await run_tool("replace_text", path="w.txt", old="one\ntwo\n", new="1\n2\n")
    assert r.ok, r.output
    assert (workspace / "w.txt").read_bytes() == b"1\r\n2\r\nthree\r\n"


async def test_replace_text_twice_is_already_applied(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "README.md").write_text("# Demo\n")
    args = {"path": "README.md", "old": "# Demo\n", "new": "# Demo\nRun it with make.\n"}
    assert (await run_tool("replace_text", **args)).ok
    again = await run_tool("replace_text", **args)
    assert again.ok and again.output.startswith("already applied: README.md")
    assert (workspace / "README.md").read_text() == "# Demo\nRun it with make.\n"


async def test_replace_text_errors(workspace: Path, run_tool: RunTool) -> None:
    missing = await run_tool("replace_text", path="nope.txt", old="a", new="b")
    assert not missing.ok and "no such file: nope.txt" in missing.output
    (workspace / "a.txt").write_text("abc\n")
    empty = await run_tool("replace_text", path="a.txt", old="", new="b")
    assert not empty.ok and "'old' is empty" in empty.output
    same = await run_tool("replace_text", path="a.txt", old="abc", new="abc")
    assert not same.ok and "the same" in same.output
    (workspace / ".localclaw").mkdir()
    (workspace / ".localclaw" / "x.txt").write_text("abc\n")
    app = await run_tool("replace_text", path=".localclaw/x.txt", old="abc", new="d")
    assert not app.ok and "own data" in app.output
    assert (workspace / ".localclaw" / "x.txt").read_text() == "abc\n"


async def test_edit_file_not_found_shows_the_nearest_lines_too(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "a.txt").write_text("alpha = 1\nbeta = 2\n")
    r = await run_tool("edit_file", path="a.txt", old="betta = 2", new="beta = 3")
    assert (
        not r.ok and r.output.startswith("'old' text not found in a.txt") and "line 2: beta = 2" in r.output
    )


# --- insert_after -----------------------------------------------------------------------------------


async def test_insert_after_the_anchor_line(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "todo.md").write_text("# Todo\n- buy milk\n- call mom\n")
    r = await run_tool("insert_after", path="todo.md", anchor="buy milk", text="- buy eggs")
    assert r.ok and r.output == "inserted 1 line into todo.md after line 2 (file is now 40 bytes)"
    assert (workspace / "todo.md").read_text() == "# Todo\n- buy milk\n- buy eggs\n- call mom\n"


async def test_insert_after_the_last_line_without_a_line_break(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "a.txt").write_text("one\ntwo")
    r = await run_tool("insert_after", path="a.txt", anchor="two", text="three\nfour\n")
    assert r.ok and r.output.startswith("inserted 2 lines into a.txt after line 2")
    assert (workspace / "a.txt").read_text() == "one\ntwo\nthree\nfour\n"


async def test_insert_after_an_empty_anchor_inserts_at_the_top(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "a.py").write_text("print('hi')\n")
    r = await run_tool("insert_after", path="a.py", anchor="", text="#!/usr/bin/env python3")
    assert r.ok and r.output == "inserted 1 line at the top of a.py (file is now 35 bytes)"
    assert (workspace / "a.py").read_text() == "#!/usr/bin/env python3\nprint('hi')\n"


async def test_insert_after_anchor_with_its_line_break(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "a.txt").write_text("[deps]\nx = 1\n")
    r = await run_tool("insert_after", path="a.txt", anchor="[deps]\n", text="y = 2\n")
    assert r.ok and (workspace / "a.txt").read_text() == "[deps]\ny = 2\nx = 1\n"


async def test_insert_after_keeps_windows_line_ends(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "w.txt").write_bytes(b"a\r\nb\r\n")
    r = await run_tool("insert_after", path="w.txt", anchor="a", text="a2\na3")
    assert r.ok, r.output
    assert (workspace / "w.txt").read_bytes() == b"a\r\na2\r\na3\r\nb\r\n"


async def test_insert_after_twice_is_already_applied(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "todo.md").write_text("- milk\n- tea\n")
    assert (await run_tool("insert_after", path="todo.md", anchor="- milk", text="- eggs")).ok
    again = await run_tool("insert_after", path="todo.md", anchor="- milk", text="- eggs")
    assert again.ok and again.output.startswith("already applied: todo.md")
    assert (workspace / "todo.md").read_text() == "- milk\n- eggs\n- tea\n"


async def test_insert_after_anchor_not_found_or_on_several_lines(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "todo.md").write_text("# Todo\n- buy milk\n- buy bread\n")
    missing = await run_tool("insert_after", path="todo.md", anchor="- buy mlik", text="- eggs")
    assert not missing.ok and "'anchor' not found in todo.md" in missing.output
    assert "line 2: - buy milk" in missing.output
    several = await run_tool("insert_after", path="todo.md", anchor="buy", text="- eggs")
    assert not several.ok and "on 2 lines" in several.output
    assert "line 2: - buy milk" in several.output and "line 3: - buy bread" in several.output
    assert (workspace / "todo.md").read_text() == "# Todo\n- buy milk\n- buy bread\n"
    gone = await run_tool("insert_after", path="nope.md", anchor="x", text="y")
    assert not gone.ok and "no such file: nope.md" in gone.output


# --- what the model sees ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "required", "optional"),
    [
        ("write_file", ["path", "content"], ["overwrite"]),
        ("append_file", ["path", "text"], []),
        ("replace_text", ["path", "old", "new"], ["all"]),
        ("insert_after", ["path", "anchor", "text"], []),
    ],
)
def test_edit_tool_specs(name: str, required: list[str], optional: list[str]) -> None:
    spec = next(s["function"] for s in default_registry().specs() if s["function"]["name"] == name)
    assert spec["parameters"]["required"] == required
    assert list(spec["parameters"]["properties"]) == required + optional
    assert len(spec["description"].split()) <= 15, spec["description"]
