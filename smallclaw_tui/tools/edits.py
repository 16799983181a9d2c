"""The tools that change part of a file: append_file, replace_text, insert_after (and edit_file,
replace_text's older name, kept for the models and benchmark profiles that use it).

Small models copy text badly (NOTES_SMALL_MODELS.md, "edit tools"), so each tool asks for as
little exact text as it can: append_file none, insert_after one line's worth, replace_text the
text to change. When the text is not there, the error shows the nearest lines of the file to copy
from. Doing the same edit twice (a model redoing a step) changes nothing and says "already
applied", so a retry cannot double a line. Each open goes through :func:`open_for_write`.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from smallclaw_tui.tools.args import Param
from smallclaw_tui.tools.base import Tool, ToolContext, ToolError, ToolResult
from smallclaw_tui.tools.fileio import (
    check_parents,
    count_lines,
    encode,
    nearest_lines,
    numbered,
    open_for_write,
    read_fd,
    refuse_folder_path,
    to_line_ends,
    write_fd,
)
from smallclaw_tui.tools.files import PATH_PARAM, existing
from smallclaw_tui.tools.text import looks_binary
from smallclaw_tui.tools.workspace import display_path, resolve_writable

_MAX_LINES_NAMED = 8


def _decode(data: bytes, shown: str, tool: str) -> str:
    if looks_binary(data):
        raise ToolError(f"{shown} is a binary file; {tool} only changes text files")
    # surrogateescape: bytes that are not UTF-8 survive the round trip unchanged.
    return data.decode("utf-8", errors="surrogateescape")


def _squash(text: str) -> str:
    return " ".join(text.split())


def _line_of(text: str, at: int) -> int:
    return text.count("\n", 0, at) + 1


def _lines_named(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:_MAX_LINES_NAMED]))
    return shown + (f", … ({len(numbers)} in all)" if len(numbers) > _MAX_LINES_NAMED else "")


def _not_found(what: str, shown: str, text: str, wanted: str, hint: str) -> ToolError:
    if not text:
        return ToolError(f"{what} not found in {shown}: the file is empty")
    near = nearest_lines(text, wanted)
    if not near:
        return ToolError(
            f"{what} not found in {shown}{hint}; read_file it and copy the exact text, "
            "including spaces and line breaks"
        )
    return ToolError(
        f"{what} not found in {shown}{hint}. The closest lines:\n"
        + "\n".join(near)
        + "\nCopy the exact text (without 'line N: '), or read_file to see the whole file"
    )


# --- replace_text / edit_file -----------------------------------------------------------------------


def _replace(ctx: ToolContext, path: str, old: str, new: str, *, every: bool, tool: str) -> ToolResult:
    target = resolve_writable(ctx.workspace, path)
    shown = existing(ctx, target, want_dir=False)
    if not old:
        raise ToolError("'old' is empty; give the exact text to replace, copied from read_file")
    with open_for_write(target, shown, "edit") as fd:
        text = _decode(read_fd(fd), shown, tool)
        count = text.count(old)
        # The file uses Windows line ends; a model never types them.
        crlf = to_line_ends(old, text)
        if count == 0 and "\n" in old and crlf != old and crlf in text:
            old, new, count = crlf, to_line_ends(new, text), text.count(crlf)
        if old == new:
            raise ToolError("'old' and 'new' are the same; nothing to change")
        if count and old in new and text.count(new) == count and (every or count == 1):
            # The same edit again (a model redoing a step it was told to retry): applying it would
            # only duplicate what it added. Say it is there, so the answer still reads as evidence.
            return ToolResult(
                True, f"already applied: {shown} already contains the new text (nothing changed)"
            )
        if count == 0:
            hint = ""
            if _squash(old) and _squash(old) in _squash(text):
                hint = " (it is there with different spaces or line breaks)"
            elif new.strip() and new in text:
                hint = " (but the new text is already there: the change may be done)"
            raise _not_found("'old' text", shown, text, old, hint)
        lines = _match_lines(text, old)
        if count > 1 and not every:
            more = ""
            if tool == "replace_text":
                # A ready call to copy: the 1.5B repeated the same call three times when the
                # message only said "set all: true" (held-out typo-recieve).
                call = json.dumps({"path": shown, "old": old, "new": new, "all": True}, ensure_ascii=False)
                more = f". To replace every one, call replace_text {call}"
            raise ToolError(
                f"'old' text found {count} times in {shown} (lines {_lines_named(lines)}); it must "
                f"match exactly once. Include more of the surrounding lines in 'old' to pick one{more}"
            )
        result = encode(text.replace(old, new, -1 if every else 1))
        write_fd(fd, result)
    if tool == "edit_file":
        return ToolResult(
            True,
            f"edited {shown} at line {lines[0]}: replaced {len(old)} chars with {len(new)} chars "
            f"(file is now {len(result)} bytes)",
        )
    where = f"line {lines[0]}" if count == 1 else f"lines {_lines_named(lines)}"
    matches = "1 match" if count == 1 else f"{count} matches"
    return ToolResult(True, f"replaced {matches} in {shown} at {where} (file is now {len(result)} bytes)")


def _match_lines(text: str, old: str) -> list[int]:
    """The line each (non-overlapping) occurrence starts on, as str.replace would see them."""
    lines: list[int] = []
    at = text.find(old)
    while at >= 0:
        lines.append(_line_of(text, at))
        at = text.find(old, at + len(old))
    return lines


async def replace_text(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(
        _replace, ctx, args["path"], args["old"], args["new"], every=args["all"], tool="replace_text"
    )


async def edit_file(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(
        _replace, ctx, args["path"], args["old"], args["new"], every=False, tool="edit_file"
    )


# --- insert_after -----------------------------------------------------------------------------------


def _insert_after(ctx: ToolContext, path: str, anchor: str, lines: str) -> ToolResult:
    target = resolve_writable(ctx.workspace, path)
    shown = existing(ctx, target, want_dir=False)
    if not lines:
        raise ToolError("'text' is empty; give the line(s) to insert")
    with open_for_write(target, shown, "edit") as fd:
        text = _decode(read_fd(fd), shown, "insert_after")
        eol = "\r\n" if "\r\n" in text else "\n"
        insert = to_line_ends(lines if lines.endswith("\n") else lines + "\n", text)
        if not anchor.strip():
            at, before, where = 0, "", f"at the top of {shown}"
        else:
            at, number = _after_anchor(text, anchor, shown)
            # The anchor's line may be the last one, with no line break to insert after.
            before = eol if at == len(text) and not text.endswith("\n") else ""
            where = f"into {shown} after line {number}"
        if not before and text.startswith(insert, at):
            return ToolResult(True, f"already applied: {shown} already has that text there (nothing changed)")
        result = encode(text[:at] + before + insert + text[at:])
        write_fd(fd, result)
    n = count_lines(insert)
    return ToolResult(
        True, f"inserted {n} line{'s' if n != 1 else ''} {where} (file is now {len(result)} bytes)"
    )


def _after_anchor(text: str, anchor: str, shown: str) -> tuple[int, int]:
    """(offset just after the anchor's line, its line number); the anchor must be on one line."""
    wanted = anchor.rstrip("\r\n")  # "[deps]\n" means the line "[deps]"
    if "\n" in wanted and wanted not in text:
        wanted = to_line_ends(wanted, text)
    ends: dict[int, int] = {}  # line number the anchor ends on -> offset after that line
    at = text.find(wanted)
    while at >= 0:
        end = at + len(wanted)
        newline = text.find("\n", end)
        ends.setdefault(_line_of(text, end), len(text) if newline < 0 else newline + 1)
        at = text.find(wanted, at + 1)
    if not ends:
        raise _not_found("'anchor'", shown, text, wanted, "")
    if len(ends) > 1:
        all_lines = text.splitlines()
        found = list(ends)
        quoted = "\n".join(numbered(all_lines, n) for n in found[:3])
        raise ToolError(
            f"'anchor' found on {len(found)} lines of {shown} (lines {_lines_named(found)}); it must "
            f"match one line. Use more of the line you mean:\n{quoted}"
        )
    ((number, offset),) = ends.items()
    return offset, number


async def insert_after(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(_insert_after, ctx, args["path"], args["anchor"], args["text"])


# --- append_file ------------------------------------------------------------------------------------


def _append_file(ctx: ToolContext, path: str, text: str) -> ToolResult:
    refuse_folder_path(path)
    target = resolve_writable(ctx.workspace, path)
    shown = display_path(ctx.workspace, target)
    if not text:
        raise ToolError("'text' is empty; nothing to append")
    encode(text)  # a broken character is refused before a missing file is created
    created = not os.path.lexists(target)
    check_parents(ctx.workspace, target, shown)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open_for_write(target, shown, "append") as fd:
        data = read_fd(fd)
        before = _decode(data, shown, "append_file") if data else ""
        # Whole lines, like insert_after: a line break before it when the file lacks its last
        # one, and after it, so the next append starts on a line of its own.
        added = to_line_ends(text if text.endswith("\n") else text + "\n", before)
        if before and not before.endswith("\n"):
            added = ("\r\n" if "\r\n" in before else "\n") + added
        out = encode(added)
        write_fd(fd, out, truncate=False)  # O_APPEND: lands at the end
    total = len(data) + len(out)
    n = count_lines(before + added)
    state = f"{'new file; ' if created else ''}now {total} bytes, {n} line{'s' if n != 1 else ''}"
    return ToolResult(True, f"appended {len(out)} bytes to {shown} ({state})")


async def append_file(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(_append_file, ctx, args["path"], args["text"])


APPEND_FILE = Tool(
    "append_file",
    "Add lines at the end of a file; creates the file if missing.",
    (PATH_PARAM, Param("text", "Line(s) to add.")),
    append_file,
)
REPLACE_TEXT = Tool(
    "replace_text",
    "Replace exact text in a file. 'old' must match once, or set all: true.",
    (
        PATH_PARAM,
        Param("old", "Exact text to replace."),
        Param("new", "Replacement text."),
        Param("all", "true replaces every match.", type="boolean", required=False, default=False),
    ),
    replace_text,
)
INSERT_AFTER = Tool(
    "insert_after",
    "Insert lines after the line containing 'anchor'.",
    (
        PATH_PARAM,
        Param("anchor", 'Text of the line to insert after; "" for the top.'),
        Param("text", "Line(s) to insert."),
    ),
    insert_after,
)
EDIT_FILE = Tool(
    "edit_file",
    "Replace text in a file. 'old' must match the file exactly, once.",
    (PATH_PARAM, Param("old", "Exact text to replace."), Param("new", "Replacement text.")),
    edit_file,
)
