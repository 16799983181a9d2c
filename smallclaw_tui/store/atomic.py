"""Atomic file replacement: a reader sees the old file or the new one, never half of either.

Temp file in the same folder (so `os.replace` is a rename, not a copy), flush, fsync, replace.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

import aiofiles
import aiofiles.os


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


async def atomic_write_text(path: Path, text: str) -> None:
    tmp = _temp_name(path)
    try:
        async with aiofiles.open(tmp, "w", encoding="utf-8") as f:
            await f.write(text)
            await f.flush()
            await aiofiles.os.wrap(os.fsync)(f.fileno())
        await aiofiles.os.replace(tmp, path)
    except BaseException:
        # Leave no temp litter behind on failure or cancellation.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text_sync(path: Path, text: str) -> None:
    """Same guarantee for code that cannot await (signal handlers, CLI one-shots)."""
    atomic_write_bytes_sync(path, text.encode("utf-8"))


def atomic_write_bytes_sync(path: Path, data: bytes) -> None:
    """The bytes exactly as given (a file restored from a checkpoint keeps its line ends)."""
    tmp = _temp_name(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
