"""The registry: the specs the model reads, and argument checking that tells it how to fix a call."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from smallclaw_tui.models import ToolCall
from smallclaw_tui.tools import Tool, ToolContext, ToolRegistry, ToolResult, default_registry
from smallclaw_tui.tools.args import ALIASES, Param

RunTool = Callable[..., Awaitable[ToolResult]]

EXPECTED = {
    "read_file": (["path"], []),
    "list_dir": ([], ["path"]),
    "search_files": (["pattern"], ["path"]),
    "write_file": (["path", "content"], ["overwrite"]),
    "append_file": (["path", "text"], []),
    "replace_text": (["path", "old", "new"], ["all"]),
    "insert_after": (["path", "anchor", "text"], []),
    "edit_file": (["path", "old", "new"], []),
    "copy_file": (["path", "destination"], ["overwrite"]),
    "run_shell": (["command"], []),
    "web_fetch": (["url"], []),
}
BOOLEANS = {"overwrite", "all"}


def test_specs_are_openai_functions_and_short() -> None:
    registry = default_registry()
    assert registry.names() == list(EXPECTED)
    specs = registry.specs()
    for spec in specs:
        assert spec["type"] == "function"
        fn = spec["function"]
        required, optional = EXPECTED[fn["name"]]
        params = fn["parameters"]
        assert params["type"] == "object"
        assert params["required"] == required
        assert list(params["properties"]) == required + optional
        for name, p in params["properties"].items():
            assert p["type"] == ("boolean" if name in BOOLEANS else "string"), (fn["name"], name)
        # Small models read every word on every turn.
        assert len(fn["description"].split()) <= 15, fn["description"]
    # Eleven tools; edit_file alone is about 330 of these characters.
    assert len(json.dumps(specs)) < 4200


async def test_unknown_tool_lists_the_real_ones(run_tool: RunTool) -> None:
    r = await run_tool("delete_everything", path="x")
    assert not r.ok
    assert r.output.startswith("unknown tool 'delete_everything'; available: read_file, list_dir,")
    assert r.output.endswith("web_fetch")


async def test_missing_argument_names_it_and_shows_the_call(run_tool: RunTool) -> None:
    r = await run_tool("write_file", path="a.txt")
    assert not r.ok
    assert r.output == (
        "bad arguments for write_file: missing 'content'. "
        "Call it as write_file{path: string, content: string, overwrite: boolean (optional)}"
    )


async def test_extra_and_wrong_type_arguments(run_tool: RunTool) -> None:
    extra = await run_tool("read_file", path="a.txt", encoding="utf-8")
    assert (
        not extra.ok
        and "unknown argument 'encoding'" in extra.output
        and "read_file{path: string}" in extra.output
    )
    wrong = await run_tool("write_file", path="a.json", content={"a": 1})
    assert not wrong.ok and "'content' must be a string, not an object" in wrong.output
    several = await run_tool("edit_file", path=3, old=None)
    assert not several.ok
    assert "'path' must be a string, not an integer" in several.output
    assert "missing 'old'" in several.output and "missing 'new'" in several.output


async def test_aliases_are_accepted(workspace: Path, run_tool: RunTool) -> None:
    r = await run_tool("write_file", file_path="a.txt", text="hi")
    assert r.ok and r.output == "wrote 2 bytes to a.txt"
    r = await run_tool("edit_file", filename="a.txt", old_string="hi", new_string="ho")
    assert r.ok and (workspace / "a.txt").read_text() == "ho"
    r = await run_tool("search_files", query="ho")
    assert r.ok and r.output.startswith("a.txt:1: ho")
    r = await run_tool("run_shell", cmd="echo via-alias")
    assert r.ok and "via-alias" in r.output


async def test_alias_errors_are_not_guesses(run_tool: RunTool) -> None:
    both = await run_tool("read_file", path="a.txt", file_path="b.txt")
    assert not both.ok and "'path' given twice (as 'path' and 'file_path')" in both.output
    typed = await run_tool("read_file", filename=["a.txt"])
    assert not typed.ok and "'path' (given as 'filename') must be a string, not an array" in typed.output
    # `text` means `content` for write_file; search_files has no `content`, so it is unknown there.
    unknown = await run_tool("search_files", text="x")
    assert (
        not unknown.ok
        and "unknown argument 'text'" in unknown.output
        and "missing 'pattern'" in unknown.output
    )


def test_alias_table_has_no_collisions() -> None:
    # Within one tool an alias names one argument only (`text` is content's alias for write_file
    # and an argument of its own for append_file).
    for spec in default_registry().specs():
        params = list(spec["function"]["parameters"]["properties"])
        claimed = [a for p in params for a in ALIASES.get(p, ()) if a not in params]
        assert len(claimed) == len(set(claimed)), (spec["function"]["name"], claimed)


async def test_null_optional_argument_means_default(workspace: Path, run_tool: RunTool) -> None:
    (workspace / "a.txt").write_text("x")
    r = await run_tool("list_dir", path=None)
    assert r.ok and "a.txt" in r.output


async def test_an_unknown_argument_left_empty_is_no_mistake(workspace: Path, run_tool: RunTool) -> None:
    """The 1.5B called list_dir{path: "src", required: []}, a schema keyword as an argument with
    nothing in it, was refused, and answered BLOCKED (suite index-src). An empty value asks for
    nothing; an unknown argument that holds something is still refused."""
    (workspace / "src").mkdir()
    (workspace / "src" / "a.py").write_text("x")
    r = await run_tool("list_dir", path="src", required=[], properties={}, note="", extra=None)
    assert r.ok and r.output.splitlines()[1:] == ["a.py"]
    kept = await run_tool("list_dir", path="src", recursive=True)
    assert not kept.ok and "unknown argument 'recursive'" in kept.output


async def test_a_tool_bug_is_a_result_not_a_crash(ctx: ToolContext) -> None:
    async def broken(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        raise KeyError("oops")

    registry = ToolRegistry([Tool("broken", "Breaks.", (), broken)])
    r = await registry.execute(ToolCall(name="broken", arguments={}), ctx)
    assert not r.ok and r.output == "broken failed unexpectedly: KeyError: 'oops'"


async def test_every_result_is_clipped_with_a_note(ctx: ToolContext) -> None:
    async def chatty(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        return ToolResult(True, "x" * 20_000)

    registry = ToolRegistry(
        [Tool("chatty", "Talks.", (Param("n", "n", required=False, default=""),), chatty)]
    )
    r = await registry.execute(ToolCall(name="chatty"), ctx)
    limit = ctx.settings.output_max_chars
    assert len(r.output) <= limit
    cut = 20_000 - r.output.count("x")
    assert r.output.endswith(f"\n... [clipped {cut} chars]")
