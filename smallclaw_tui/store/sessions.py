"""Chat sessions: `.localclaw/sessions/<key>.json`, one atomic file each."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import aiofiles
from pydantic import ValidationError

from smallclaw_tui.models import ChatMessage, ChatSessionRecord, utcnow
from smallclaw_tui.store.atomic import atomic_write_text
from smallclaw_tui.store.quarantine import QuarantineReport, quarantine_file

_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,120}$")


class BadSessionKey(ValueError):
    pass


def check_key(key: str) -> str:
    if not _KEY.match(key) or key.startswith("."):
        raise BadSessionKey(f"session key {key!r} must be letters, digits, '_', '-' or '.'")
    return key


class SessionStore:
    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir / "sessions"
        self.quarantine_dir = data_dir / "quarantine"
        self.problems: list[QuarantineReport] = []
        self._locks: dict[str, asyncio.Lock] = {}

    def path(self, key: str) -> Path:
        return self.dir / f"{check_key(key)}.json"

    def keys(self) -> list[str]:
        if not self.dir.is_dir():
            return []
        return sorted(p.stem for p in self.dir.glob("*.json") if not p.name.startswith("."))

    async def load(self, key: str) -> ChatSessionRecord | None:
        path = self.path(key)
        try:
            async with aiofiles.open(path, "rb") as f:
                raw = await f.read()
        except FileNotFoundError:
            return None
        try:
            return ChatSessionRecord.model_validate(json.loads(raw.decode("utf-8")))
        except (ValueError, ValidationError) as err:
            reason = (
                "empty file" if not raw.strip() else f"not a valid chat session: {str(err).splitlines()[0]}"
            )
            self.problems.append(await asyncio.to_thread(quarantine_file, path, self.quarantine_dir, reason))
            return None

    async def save(self, record: ChatSessionRecord) -> None:
        lock = self._locks.setdefault(record.key, asyncio.Lock())
        async with lock:
            record.updated_at = utcnow()
            text = record.model_dump_json(indent=2)
            self.dir.mkdir(parents=True, exist_ok=True)
            await atomic_write_text(self.path(record.key), text)

    async def append_message(self, key: str, message: ChatMessage) -> ChatSessionRecord:
        """Add one message to a session (creating it), e.g. a task's result delivered to its chat."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            record = await self.load(key) or ChatSessionRecord(key=key)
            record.messages.append(message)
            record.updated_at = utcnow()
            self.dir.mkdir(parents=True, exist_ok=True)
            await atomic_write_text(self.path(key), record.model_dump_json(indent=2))
            return record
