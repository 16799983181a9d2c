"""One runner per workspace: an advisory `flock` that the kernel drops when the process dies.

`kill -9` leaves the lock file behind but not the lock, so the next runner starts cleanly.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType


class WorkspaceLocked(RuntimeError):
    pass


class WorkspaceLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "runner.lock"
        self._fd: int | None = None

    def holder(self) -> dict[str, object] | None:
        """Who holds the lock now, or None when nobody does."""
        if not self.path.exists():
            return None
        fd = os.open(self.path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                try:
                    info = json.loads(self.path.read_text(encoding="utf-8") or "{}")
                except (OSError, ValueError):
                    info = {}
                return info if isinstance(info, dict) else {}
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def acquire(self, purpose: str = "runner") -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            info = self.holder() or {}
            who = f"pid {info.get('pid', '?')}"
            if info.get("purpose"):
                who += f" ({info['purpose']}, since {info.get('since', '?')})"
            raise WorkspaceLocked(
                f"workspace {self.path.parent.parent} is already being run by {who}; "
                "stop it first (read-only commands like `smallclaw task list` still work)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(
            fd,
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "purpose": purpose,
                    "since": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            ).encode(),
        )
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> WorkspaceLock:
        self.acquire()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
