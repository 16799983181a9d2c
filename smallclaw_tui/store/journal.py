"""Append-only journal files: one JSON object per line beside the task file.

Appending opens, writes one line and closes, so its cost does not depend on the journal's length
(the task JSON is never rewritten to add an entry). A line cut by `kill -9` can only be the last
one; readers skip it and report it, every complete line before it survives.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import aiofiles
from pydantic import ValidationError

from smallclaw_tui.models import JournalEntry


@dataclass(slots=True)
class JournalRead:
    entries: list[JournalEntry] = field(default_factory=list)
    bad_lines: list[int] = field(default_factory=list)
    torn_tail: bool = False


def encode_entry(entry: JournalEntry) -> bytes:
    return (entry.model_dump_json() + "\n").encode("utf-8")


async def append_entries(path: Path, entries: list[JournalEntry]) -> None:
    if not entries:
        return
    data = b"".join(encode_entry(e) for e in entries)
    # O_APPEND: each write lands at the end even if another writer appended meanwhile.
    async with aiofiles.open(path, "ab") as f:
        await f.write(data)
        await f.flush()


def append_entries_sync(path: Path, entries: list[JournalEntry]) -> None:
    data = b"".join(encode_entry(e) for e in entries)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def parse_journal(raw: bytes) -> JournalRead:
    out = JournalRead()
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
    return out


async def read_journal(path: Path) -> JournalRead:
    try:
        async with aiofiles.open(path, "rb") as f:
            raw = await f.read()
    except FileNotFoundError:
        return JournalRead()
    return parse_journal(raw)
