"""Append-only journal files: one JSON object per line beside the task file.

Appending opens, writes one line and closes, so its cost does not depend on the journal's length
(the task JSON is never rewritten to add an entry). A line cut by `kill -9` can only be the last
one; readers skip it and report it, every complete line before it survives.

The next append mends such a torn tail before writing, or its first line would be glued onto the
broken bytes and lost with them: it looks at the last byte only (O(1)); when that is not a newline
it reads back to the previous newline (one line, never the whole file), parks the torn bytes in
quarantine with a reason, cuts them off and then appends. An append holds an exclusive `flock` on
the journal meanwhile, so the mending can never cut into another process's append in progress.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import aiofiles
from pydantic import ValidationError

from smallclaw_tui.models import JournalEntry
from smallclaw_tui.store.quarantine import QuarantineReport, quarantine_once

_BACKSCAN_CHUNK = 8192


@dataclass(slots=True)
class JournalRead:
    entries: list[JournalEntry] = field(default_factory=list)
    bad_lines: list[int] = field(default_factory=list)
    # Names the bad lines (numbers and bytes); a journal only grows, so the same damage keeps the
    # same digest and is quarantined once, however often it is loaded.
    bad_digest: str = ""
    torn_tail: bool = False
    error: str | None = None  # the file exists but cannot be read (e.g. it is a folder)


def encode_entry(entry: JournalEntry) -> bytes:
    return (entry.model_dump_json() + "\n").encode("utf-8")


def default_quarantine_dir(path: Path) -> Path:
    """`.localclaw/quarantine/` for a journal in `.localclaw/tasks/`."""
    return path.parent.parent / "quarantine"


def _is_entry(line: bytes) -> bool:
    try:
        JournalEntry.model_validate(json.loads(line))
    except (ValueError, ValidationError):
        return False
    return True


def _line_start(fd: int, end: int) -> int:
    """Offset just after the last newline before `end` (0 when there is none)."""
    pos = end
    while pos > 0:
        n = min(_BACKSCAN_CHUNK, pos)
        pos -= n
        i = os.pread(fd, n, pos).rfind(b"\n")
        if i >= 0:
            return pos + i + 1
    return 0


def _mend_tail(fd: int, path: Path, quarantine_dir: Path) -> QuarantineReport | None:
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return None
    start = _line_start(fd, size)
    tail = os.pread(fd, size - start, start)
    if not tail.strip() or _is_entry(tail):
        # Only the newline is missing: finish the line, the entry (if any) stays in the journal.
        os.write(fd, b"\n")
        return None
    digest = hashlib.sha256(tail).hexdigest()[:12]
    report = quarantine_once(
        path,
        quarantine_dir,
        f"last journal line was cut short (crash mid-append?): {len(tail)} bytes at offset {start} "
        "set aside before the next append; every line before it was kept",
        key=f"torn-{start}-{digest}",
        data=tail,
    )
    # Cut only once the bytes are safe in quarantine; a crash before this leaves them in place.
    os.ftruncate(fd, start)
    return report


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def append_entries_sync(
    path: Path, entries: list[JournalEntry], *, quarantine_dir: Path | None = None
) -> QuarantineReport | None:
    """Append `entries`; returns the report when a torn tail had to be set aside first."""
    if not entries:
        return None
    data = b"".join(encode_entry(e) for e in entries)
    # O_APPEND: each write lands at the end even if another writer appended meanwhile.
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released by close, or by the kernel if we are killed
        report = _mend_tail(fd, path, quarantine_dir or default_quarantine_dir(path))
        _write_all(fd, data)
    finally:
        os.close(fd)
    return report


async def append_entries(
    path: Path, entries: list[JournalEntry], *, quarantine_dir: Path | None = None
) -> QuarantineReport | None:
    if not entries:
        return None
    # One thread hop for lock, tail check and write together (aiofiles would make one per call).
    return await asyncio.to_thread(append_entries_sync, path, entries, quarantine_dir=quarantine_dir)


def parse_journal(raw: bytes) -> JournalRead:
    out = JournalRead()
    bad = hashlib.sha256()
    lines = raw.split(b"\n")
    last = len(lines) - 1
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            out.entries.append(JournalEntry.model_validate(json.loads(line)))
        except (ValueError, ValidationError):
            if i == last:
                out.torn_tail = True  # no newline after it: a write cut short
            else:
                out.bad_lines.append(i + 1)
                bad.update(b"%d:" % (i + 1) + line + b"\n")
    if out.bad_lines:
        out.bad_digest = bad.hexdigest()[:12]
    return out


async def read_journal(path: Path) -> JournalRead:
    try:
        async with aiofiles.open(path, "rb") as f:
            raw = await f.read()
    except FileNotFoundError:
        return JournalRead()
    except OSError as e:
        return JournalRead(error=e.strerror or str(e))
    return parse_journal(raw)
