"""Unreadable files are moved aside with a reason, never deleted."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from smallclaw_tui.models import utcnow


@dataclass(frozen=True, slots=True)
class QuarantineReport:
    original: Path
    moved_to: Path
    reason: str
    copied: bool = False  # the original stays where it was (a journal keeps its good lines)

    def __str__(self) -> str:
        how = "copied" if self.copied else "moved"
        name = repr(self.original.name)[1:-1]  # a name with a newline still makes one line
        return f"{name}: {self.reason} ({how} to {self.moved_to})"


def _parked_name(name: str) -> str:
    """The original name, unless it is too long or too odd to carry a time stamp and a suffix here
    (a task file named after a 240-character id); the reason file keeps the original path."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)
    if len(safe) > 100:
        safe = safe[:80] + "-" + hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return safe


def _reason_file(target: Path) -> Path:
    return target.with_name(target.name + ".reason.txt")


def _write_reason(target: Path, original: Path, reason: str) -> None:
    _reason_file(target).write_text(
        f"file: {original}\nwhen: {utcnow().isoformat()}\nreason: {reason}\n", encoding="utf-8"
    )


def quarantine_file(path: Path, quarantine_dir: Path, reason: str, *, copy: bool = False) -> QuarantineReport:
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    name = _parked_name(path.name)
    target = quarantine_dir / f"{name}.{stamp}"
    n = 1
    while target.exists():
        target = quarantine_dir / f"{name}.{stamp}.{n}"
        n += 1
    if copy:
        shutil.copy2(path, target)
    else:
        os.replace(path, target)
    _write_reason(target, path, reason)
    return QuarantineReport(original=path, moved_to=target, reason=reason, copied=copy)


def quarantine_once(
    original: Path, quarantine_dir: Path, reason: str, *, key: str, data: bytes | None = None
) -> QuarantineReport | None:
    """Park a copy of `original` (or of `data`, bytes cut from it) under a name fixed by `key`.

    Returns None when a copy under that key is already there: the same damage seen again (every
    load of a journal with a bad line) must not pile up a new copy each time. The reason is
    written first and the copy last, by rename, so a crash in between leaves no copy and the next
    call makes it; a copy that exists is always complete.
    """
    target = quarantine_dir / f"{_parked_name(original.name)}.{key}"
    if target.exists():
        return None
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    _write_reason(target, original, reason)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if data is None:
            shutil.copy2(original, tmp)
        else:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return QuarantineReport(original=original, moved_to=target, reason=reason, copied=True)
