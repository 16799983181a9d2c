"""The file tools: read, write, edit, list and search files inside the workspace.

Each result is one short, plain statement of what happened (with the workspace-relative path), so
the verifier can quote it as evidence. Disk work runs in a thread: the UI never waits on the disk.
Problems the model can fix are raised as :class:`ToolError` with a hint saying what to do instead.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from smallclaw_tui.config import DATA_DIR_NAME
from smallclaw_tui.tools.args import Param
from smallclaw_tui.tools.base import Tool, ToolContext, ToolError, ToolResult
from smallclaw_tui.tools.text import decode_text, looks_binary
from smallclaw_tui.tools.workspace import (
    display_path,
    is_app_settings,
    resolve_in_workspace,
    resolve_writable,
)

MAX_LIST_ENTRIES = 200
MAX_SEARCH_MATCHES = 100
MAX_SEARCH_FILES = 5000
_MATCH_LINE_CHARS = 200
# Folders that are tooling noise, not the user's work; skipped when a search walks into them
# (searching inside one on purpose, by naming it as the path, still works).
SEARCH_SKIP_DIRS = frozenset(
    {DATA_DIR_NAME, ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox"}
    | {".mypy_cache", ".pytest_cache", ".ruff_cache"}
)
# Room kept beside a file's text for its header and the note saying what was cut.
_NOTE_ROOM = 200


def _refuse_settings(ctx: ToolContext, target: Path) -> None:
    if is_app_settings(ctx.workspace, target):
        raise ToolError(
            f"{display_path(ctx.workspace, target)} holds the app's settings, which can include "
            "tokens and API keys, so tools do not show it; ask the user for the setting you need"
        )


def _existing(ctx: ToolContext, target: Path, *, want_dir: bool) -> str:
    shown = display_path(ctx.workspace, target)
    if not target.exists():
        hint = "" if want_dir else "; use list_dir to see which files exist"
        raise ToolError(f"no such {'folder' if want_dir else 'file'}: {shown}{hint}")
    if want_dir and not target.is_dir():
        raise ToolError(f"{shown} is a file, not a folder; use read_file to read it")
    if not want_dir and target.is_dir():
        raise ToolError(f"{shown} is a folder, not a file; use list_dir to see what is in it")
    if not want_dir and not target.is_file():
        # A FIFO or device would block the read forever.
        raise ToolError(f"{shown} is not a regular file")
    return shown


# --- read_file --------------------------------------------------------------------------------------


def _read_file(ctx: ToolContext, path: str) -> ToolResult:
    target = resolve_in_workspace(ctx.workspace, path)
    _refuse_settings(ctx, target)
    shown = _existing(ctx, target, want_dir=False)
    size = target.stat().st_size
    with target.open("rb") as f:
        data = f.read(ctx.settings.read_max_bytes)
    if not data:
        return ToolResult(True, f"{shown} is empty (0 bytes)")
    if looks_binary(data):
        return ToolResult(True, f"{shown} is a binary file ({size} bytes); its content is not shown")
    text = decode_text(data)
    header = f"{shown} ({size} bytes):\n"
    budget = max(0, ctx.settings.output_max_chars - len(header) - _NOTE_ROOM)
    body = text[:budget]
    if len(body) == len(text) and len(data) == size:
        return ToolResult(True, header + body)
    note = f"\n... [clipped {len(text) - len(body)} chars"
    if len(data) < size:
        note += f"; only the first {len(data)} of {size} bytes were read"
    note += "; use search_files, or run_shell with head/tail/grep, to see other parts]"
    return ToolResult(True, header + body + note)


async def read_file(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(_read_file, ctx, args["path"])


# --- write_file -------------------------------------------------------------------------------------


def _write_file(ctx: ToolContext, path: str, content: str) -> ToolResult:
    target = resolve_writable(ctx.workspace, path)
    shown = display_path(ctx.workspace, target)
    if target.is_dir():
        raise ToolError(f"{shown} is a folder; give a file path such as {shown}/notes.txt")
    blocker = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ToolError(f"{display_path(ctx.workspace, blocker)} is a file, so it cannot hold {shown}")
    target.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8")
    # Bytes, not text mode: the content is written exactly as given, no newline translation.
    with target.open("wb") as f:
        f.write(data)
    return ToolResult(True, f"wrote {len(data)} bytes to {shown}")


async def write_file(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(_write_file, ctx, args["path"], args["content"])


# --- edit_file --------------------------------------------------------------------------------------


def _squash(text: str) -> str:
    return " ".join(text.split())


def _edit_file(ctx: ToolContext, path: str, old: str, new: str) -> ToolResult:
    target = resolve_writable(ctx.workspace, path)
    shown = _existing(ctx, target, want_dir=False)
    if not old:
        raise ToolError("'old' is empty; give the exact text to replace, copied from read_file")
    data = target.read_bytes()
    if looks_binary(data):
        raise ToolError(f"{shown} is a binary file; edit_file only changes text files")
    # surrogateescape: bytes that are not UTF-8 survive the round trip unchanged.
    text = data.decode("utf-8", errors="surrogateescape")
    count = text.count(old)
    if count == 0 and "\r\n" in text and "\n" in old:
        # The file uses Windows line ends; a model never types them.
        crlf_old = old.replace("\r\n", "\n").replace("\n", "\r\n")
        if text.count(crlf_old):
            old, new = crlf_old, new.replace("\r\n", "\n").replace("\n", "\r\n")
            count = text.count(old)
    if old in new and text.count(new) == 1 and count == 1:
        # The same edit again (a model redoing a step it was told to retry): applying it would
        # only duplicate what it added. Say it is there, so the answer still reads as evidence.
        return ToolResult(True, f"already applied: {shown} already contains the new text (nothing changed)")
    if count == 0:
        hint = (
            " (it is there with different spaces or line breaks)"
            if _squash(old) and _squash(old) in _squash(text)
            else ""
        )
        raise ToolError(
            f"'old' text not found in {shown}{hint}; read_file it and copy the exact text, "
            "including spaces and line breaks"
        )
    if count > 1:
        raise ToolError(
            f"'old' text found {count} times in {shown}; it must match exactly once. "
            "Include more of the surrounding lines in 'old' to pick one"
        )
    if old == new:
        raise ToolError("'old' and 'new' are the same; nothing to change")
    at = text.index(old)
    result = (text[:at] + new + text[at + len(old) :]).encode("utf-8", errors="surrogateescape")
    with target.open("wb") as f:
        f.write(result)
    line = text.count("\n", 0, at) + 1
    return ToolResult(
        True,
        f"edited {shown} at line {line}: replaced {len(old)} chars with {len(new)} chars "
        f"(file is now {len(result)} bytes)",
    )


async def edit_file(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(_edit_file, ctx, args["path"], args["old"], args["new"])


# --- list_dir ---------------------------------------------------------------------------------------


def _list_dir(ctx: ToolContext, path: str) -> ToolResult:
    target = resolve_in_workspace(ctx.workspace, path)
    shown = _existing(ctx, target, want_dir=True)
    at_root = target == ctx.workspace.resolve()
    dirs: list[str] = []
    files: list[str] = []
    with os.scandir(target) as it:
        for entry in it:
            # The app's own data is not the user's work; it stays reachable by naming it.
            if at_root and entry.name == DATA_DIR_NAME:
                continue
            if entry.is_dir():
                dirs.append(entry.name + "/")
            else:
                try:
                    size = f" ({entry.stat().st_size} bytes)"
                except OSError:  # a dangling symlink
                    size = " (broken link)"
                files.append(entry.name + size)
    label = "." if shown == "." else shown + "/"
    if not dirs and not files:
        return ToolResult(True, f"{label} is empty")
    entries = sorted(dirs) + sorted(files)
    lines = [f"{label}: {len(dirs)} folders, {len(files)} files", *entries[:MAX_LIST_ENTRIES]]
    if len(entries) > MAX_LIST_ENTRIES:
        lines.append(f"... and {len(entries) - MAX_LIST_ENTRIES} more")
    return ToolResult(True, "\n".join(lines))


async def list_dir(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(_list_dir, ctx, args["path"])


# --- search_files -----------------------------------------------------------------------------------


def _walk(root: Path, workspace: Path) -> list[Path] | None:
    """Files under `root` in a stable order, or None when there are more than we will scan."""
    found: list[Path] = []
    for here, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SEARCH_SKIP_DIRS)
        for name in sorted(filenames):
            p = Path(here) / name
            # os.walk does not enter linked folders, but it does list linked files; FIFOs and
            # devices would block the read.
            if not p.is_file() or (p.is_symlink() and not p.resolve().is_relative_to(workspace)):
                continue
            if is_app_settings(workspace, p.resolve()):
                continue  # searching .localclaw/ by name must not print the token lines
            found.append(p)
            if len(found) > MAX_SEARCH_FILES:
                return None
    return found


def _match_line(line: str, needle: str) -> str:
    line = line.strip()
    if len(line) <= _MATCH_LINE_CHARS:
        return line
    # Long lines (minified code, data): show the stretch around the match, not the start.
    start = max(0, line.casefold().find(needle) - _MATCH_LINE_CHARS // 3)
    piece = line[start : start + _MATCH_LINE_CHARS]
    return ("…" if start else "") + piece + ("…" if start + _MATCH_LINE_CHARS < len(line) else "")


def _search_files(ctx: ToolContext, pattern: str, path: str) -> ToolResult:
    if not pattern.strip():
        raise ToolError("'pattern' is empty; give the text to look for")
    target = resolve_in_workspace(ctx.workspace, path)
    if not target.exists():
        raise ToolError(f"no such file or folder: {display_path(ctx.workspace, target)}")
    _refuse_settings(ctx, target)
    shown = display_path(ctx.workspace, target)
    workspace = ctx.workspace.resolve()
    files = [target] if target.is_file() else _walk(target, workspace)
    if files is None:
        raise ToolError(f"{shown} holds more than {MAX_SEARCH_FILES} files; search a smaller folder")
    needle = pattern.casefold()
    matches: list[str] = []
    matched_files = 0
    binary = 0
    for file in files:
        try:
            with file.open("rb") as f:
                data = f.read(ctx.settings.read_max_bytes)
        except OSError:
            continue  # unreadable (permissions, vanished): not worth failing the whole search
        if looks_binary(data):
            binary += 1
            continue
        rel = display_path(ctx.workspace, file)
        hit = False
        for number, line in enumerate(decode_text(data).splitlines(), 1):
            if needle in line.casefold():
                hit = True
                matches.append(f"{rel}:{number}: {_match_line(line, needle)}")
                if len(matches) >= MAX_SEARCH_MATCHES:
                    break
        matched_files += hit
        if len(matches) >= MAX_SEARCH_MATCHES:
            break
    searched = f"searched {len(files)} files" + (f", skipped {binary} binary" if binary else "")
    if not matches:
        return ToolResult(True, f"no matches for {pattern!r} in {shown} ({searched})")
    summary = f"{len(matches)} matches in {matched_files} files ({searched})"
    if len(matches) >= MAX_SEARCH_MATCHES:
        summary = (
            f"stopped at the first {MAX_SEARCH_MATCHES} matches; narrow the pattern or the path for more"
        )
    return ToolResult(True, "\n".join([*matches, summary]))


async def search_files(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    return await asyncio.to_thread(_search_files, ctx, args["pattern"], args["path"])


_PATH = "File path relative to the workspace."

FILE_TOOLS: tuple[Tool, ...] = (
    Tool("read_file", "Read a text file.", (Param("path", _PATH),), read_file),
    Tool(
        "write_file",
        "Create or overwrite a file with the given content.",
        (Param("path", _PATH), Param("content", "The full file text.")),
        write_file,
    ),
    Tool(
        "edit_file",
        "Replace text in a file. 'old' must match the file exactly, once.",
        (Param("path", _PATH), Param("old", "Exact text to replace."), Param("new", "Replacement text.")),
        edit_file,
    ),
    Tool(
        "list_dir",
        "List a folder. Folders end with /.",
        (Param("path", "Folder relative to the workspace.", required=False, default="."),),
        list_dir,
    ),
    Tool(
        "search_files",
        "Find lines containing some text (not case-sensitive).",
        (
            Param("pattern", "Text to find."),
            Param("path", "Folder or file to search.", required=False, default="."),
        ),
        search_files,
    ),
)
