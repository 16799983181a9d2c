"""Opening a workspace file for a write, so that the write lands only in the file that was checked.

Confinement (:mod:`smallclaw_tui.tools.workspace`) checks a path; between that check and the write
the last part of the path could become a symlink, and a regular file inside the workspace can be a
hard link to one outside it (`ln /etc/x notes.txt` needs no permission on /etc/x's folder). So
every write opens with ``O_NOFOLLOW`` and checks the open file itself (``fstat``) before changing
a byte: a regular file with one name only. Shared by write_file and every edit tool.
"""

from __future__ import annotations

import difflib
import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from smallclaw_tui.tools.base import ToolError
from smallclaw_tui.tools.text import escape_surrogates
from smallclaw_tui.tools.workspace import display_path

OpenMode = Literal["new", "replace", "edit", "append"]

# O_NONBLOCK: opening a FIFO for writing would otherwise wait for a reader forever; it has no
# effect on a regular file, and anything else is refused below.
_BASE = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_FLAGS: dict[OpenMode, int] = {
    "new": os.O_WRONLY | os.O_CREAT | os.O_EXCL,  # fails if anything appeared there meanwhile
    # No O_TRUNC: the checks below must pass before a byte is lost. Read too, to compare.
    "replace": os.O_RDWR | os.O_CREAT,
    "edit": os.O_RDWR,
    "append": os.O_RDWR | os.O_CREAT | os.O_APPEND,
}
_NEAREST_MAX_LINES = 20_000
_NEAREST_LINE_CHARS = 200


@contextmanager
def open_for_write(target: Path, shown: str, mode: OpenMode) -> Iterator[int]:
    """An fd for `target`, opened without following a final symlink and checked on the fd."""
    try:
        fd = os.open(target, _FLAGS[mode] | _BASE, 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP:  # O_NOFOLLOW met a symlink the path check did not see
            raise ToolError(f"{shown} became a symlink while being written; refused") from None
        if e.errno == errno.ENXIO:  # a FIFO with no reader
            raise ToolError(f"{shown} is not a regular file") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ToolError(f"{shown} is not a regular file")
        if st.st_nlink > 1:
            raise ToolError(
                f"{shown} has {st.st_nlink} hard links (other names for the same file, maybe outside "
                "the workspace), so tools do not write through it; write a new file instead"
            )
        yield fd
    finally:
        os.close(fd)


def read_fd(fd: int) -> bytes:
    chunks = []
    offset = 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def write_fd(fd: int, data: bytes, *, truncate: bool = True) -> None:
    """Put `data` at the start of the file (or at its end, for an ``append`` fd) and cut the rest."""
    view = memoryview(data)
    offset = 0
    if truncate:
        os.ftruncate(fd, 0)
    while offset < len(view):
        offset += os.write(fd, view[offset:])


def refuse_folder_path(path: str) -> None:
    """A path that ends in a slash names a folder: it is never made into a file of that name (a
    path library would quietly drop the slash)."""
    if path.endswith(("/", "\\")):
        raise ToolError(f"{path} names a folder; give a file path such as {path}notes.txt")


def check_parents(workspace: Path, target: Path, shown: str) -> None:
    """Refuse a new file's path that cannot hold a file (a folder there, a file above it)."""
    if target.is_dir():
        raise ToolError(f"{shown} is a folder; give a file path such as {shown}/notes.txt")
    blocker = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ToolError(f"{display_path(workspace, blocker)} is a file, so it cannot hold {shown}")


def encode(text: str) -> bytes:
    """Text for a file. surrogateescape: bytes of the file that were not UTF-8 go back unchanged."""
    try:
        return text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError as e:
        # A lone UTF-16 surrogate from the model's JSON ("\\ud83d" without its pair).
        bad = escape_surrogates(e.object[e.start : e.end])
        raise ToolError(
            f"the text holds an invalid character ({bad}, half of an emoji?); send it without it"
        ) from None


def to_line_ends(text: str, like: str) -> str:
    """`text` with the line ends of `like`: a model never types Windows line ends itself."""
    if "\r\n" not in like:
        return text
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def count_lines(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def nearest_lines(text: str, wanted: str, limit: int = 3) -> list[str]:
    """Up to `limit` lines of `text` most like the first non-blank line of `wanted`, numbered
    (`line 12: def load(path):`), best first, so a model can copy the exact text."""
    probe = next((ln.strip() for ln in wanted.splitlines() if ln.strip()), "")
    if not probe:
        return []
    lines = text.splitlines()
    first: dict[str, int] = {}  # each distinct line, by its first line number
    for number, line in enumerate(lines[:_NEAREST_MAX_LINES], 1):
        first.setdefault(line.strip(), number)
    first.pop("", None)
    close = difflib.get_close_matches(probe, list(first), n=limit, cutoff=0.5)
    return [numbered(lines, first[c]) for c in close]


def numbered(lines: list[str], number: int) -> str:
    """Line `number` (1-based) as the tools quote it."""
    line = lines[number - 1].rstrip("\r")
    if len(line) > _NEAREST_LINE_CHARS:
        line = line[:_NEAREST_LINE_CHARS] + "…"
    return f"line {number}: {line}"
