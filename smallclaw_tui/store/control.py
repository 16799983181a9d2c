"""Control requests for a runner in another process (`smallclaw task pause ID` while `smallclaw run` runs).

The runner owns its tasks while it holds the workspace lock; other processes never write those
task files, they drop a small request file here, and the runner applies it at a safe point.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from smallclaw_tui.models import utcnow
from smallclaw_tui.store.atomic import atomic_write_text_sync

Action = Literal["pause", "resume", "cancel", "approve", "deny", "archive", "unarchive", "edit"]
ACTIONS: tuple[Action, ...] = ("pause", "resume", "cancel", "approve", "deny", "archive", "unarchive", "edit")


@dataclass(frozen=True, slots=True)
class ControlRequest:
    task_id: str
    action: Action
    note: str | None = None
    # For "edit": the new goal, title and steps (steps as plan-step dicts), each optional.
    data: dict[str, Any] | None = None


class ControlInbox:
    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir / "control"

    def send(self, request: ControlRequest) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow().strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(3)}.json"
        path = self.dir / name
        atomic_write_text_sync(path, json.dumps(asdict(request)))
        return path

    def take(self) -> list[ControlRequest]:
        """Read and remove pending requests, oldest first. Unreadable ones are dropped with the rest kept."""
        if not self.dir.is_dir():
            return []
        out: list[ControlRequest] = []
        for path in sorted(p for p in self.dir.glob("*.json") if not p.name.startswith(".")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("action") in ACTIONS and isinstance(data.get("task_id"), str):
                    extra = data.get("data")
                    out.append(
                        ControlRequest(
                            data["task_id"],
                            data["action"],
                            data.get("note"),
                            extra if isinstance(extra, dict) else None,
                        )
                    )
            except (OSError, ValueError, AttributeError):
                pass
            with contextlib.suppress(OSError):
                os.unlink(path)
        return out
