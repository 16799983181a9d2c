"""Unreadable files are moved aside with a reason, never deleted."""

from __future__ import annotations

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

    def __str__(self) -> str:
        return f"{self.original.name}: {self.reason} (moved to {self.moved_to})"


def quarantine_file(path: Path, quarantine_dir: Path, reason: str, *, copy: bool = False) -> QuarantineReport:
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    target = quarantine_dir / f"{path.name}.{stamp}"
    n = 1
    while target.exists():
        target = quarantine_dir / f"{path.name}.{stamp}.{n}"
        n += 1
    if copy:
        shutil.copy2(path, target)
    else:
        os.replace(path, target)
    target.with_name(target.name + ".reason.txt").write_text(
        f"file: {path}\nwhen: {utcnow().isoformat()}\nreason: {reason}\n", encoding="utf-8"
    )
    return QuarantineReport(original=path, moved_to=target, reason=reason)
