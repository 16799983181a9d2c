"""The durable half of the outbox: one file per task delivery not yet done, `.localclaw/outbox/<id>.json`.

A task delivery is written here before it is queued, rewritten after each part Telegram accepts
(so a restart never sends that part again), and removed once its outcome is in the task journal.
What is still here when smallclaw starts is sent then. Files are replaced atomically (temp file,
fsync, rename: :mod:`smallclaw_tui.store.atomic`); one that can not be read is moved to
`.localclaw/quarantine/` with a reason and the rest load. The token never reaches a file: the
text is passed through :func:`~smallclaw_tui.telegram.redact.redact` before it is written.

Answers to commands (``/tasks``…) are not kept here: after a restart they would answer a question
asked long ago.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiofiles.os
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from smallclaw_tui.models import utcnow
from smallclaw_tui.store.atomic import atomic_write_text
from smallclaw_tui.store.quarantine import QuarantineReport, quarantine_file
from smallclaw_tui.telegram.outbox import Outgoing
from smallclaw_tui.telegram.redact import redact

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_SUFFIX = ".json"
_SAFE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"


def new_outbox_id() -> str:
    """Sortable by creation time (files load in the order they were queued), unique by the suffix."""
    return f"{utcnow():%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"


class OutboxRecord(BaseModel):
    """The file format. Unknown fields are ignored; a newer `schema_version` is left alone."""

    model_config = ConfigDict(extra="ignore")

    schema_version: int = SCHEMA_VERSION
    id: str = Field(pattern=_SAFE_NAME)
    task_id: str = Field(pattern=_SAFE_NAME)  # names a journal file: no path separators
    kind: str
    key: str  # the dedupe key of the news it carries (see TelegramAdapter._notify)
    chat_id: int
    parts: list[str] = Field(min_length=1)
    sent_ids: list[int] = Field(default_factory=list)  # message ids of the parts Telegram accepted
    reply_to: int | None = None
    attempts: int = Field(default=0, ge=0)
    failures: int = Field(default=0, ge=0)
    migrated: bool = False
    created_at: datetime
    first_try_at: float | None = None  # epoch seconds: `give_up_after_s` counts across restarts
    last_error: str = ""
    reported_retry: bool = False
    reported_queued: bool = False

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        # Compared with journal times, which are UTC: a hand-written naive time is read as UTC too.
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

    @model_validator(mode="after")
    def _consistent(self) -> OutboxRecord:
        if len(self.sent_ids) > len(self.parts):
            raise ValueError("more sent message ids than parts")
        if any(not p.strip() for p in self.parts):
            raise ValueError("an empty part")
        return self

    @classmethod
    def of(cls, item: Outgoing) -> OutboxRecord:
        if item.id is None or item.task_id is None:
            raise ValueError("only task deliveries are kept in the outbox")
        return cls(
            id=item.id,
            task_id=item.task_id,
            kind=item.kind,
            key=item.key,
            chat_id=item.chat_id,
            parts=list(item.parts),
            sent_ids=list(item.sent_ids),
            reply_to=item.reply_to,
            attempts=item.attempts,
            failures=item.failures,
            migrated=item.migrated,
            created_at=item.created_at,
            first_try_at=item.first_try,
            last_error=item.last_error,
            reported_retry=item.reported_retry,
            reported_queued=item.reported_queued,
        )

    def outgoing(self) -> Outgoing:
        return Outgoing(
            chat_id=self.chat_id,
            parts=list(self.parts),
            kind=self.kind,
            task_id=self.task_id,
            reply_to=self.reply_to,
            sent_ids=list(self.sent_ids),
            attempts=self.attempts,
            failures=self.failures,
            first_try=self.first_try_at,
            last_error=self.last_error,
            reported_retry=self.reported_retry,
            reported_queued=self.reported_queued,
            migrated=self.migrated,
            id=self.id,
            key=self.key,
            created_at=self.created_at,
            persisted=True,
        )


@dataclass(slots=True)
class OutboxLoad:
    items: list[Outgoing] = field(default_factory=list)
    problems: list[QuarantineReport] = field(default_factory=list)  # files moved to quarantine
    notes: list[str] = field(default_factory=list)  # files left where they are, and why


def _reason_for(raw: bytes, err: Exception) -> str:
    if not raw.strip():
        return "empty file"
    if isinstance(err, UnicodeDecodeError):
        return "not UTF-8 text (garbage bytes)"
    if isinstance(err, json.JSONDecodeError):
        at = "" if err.msg.endswith(" at") else " at"  # "Unterminated string starting at"
        return f"not valid JSON ({err.msg}{at} line {err.lineno} column {err.colno}; truncated?)"
    if isinstance(err, ValidationError):
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        return f"not a valid outbox entry: {loc}: {first['msg']}"
    return f"not a valid outbox entry: {err}"


class OutboxStore:
    """`folder` holds the pending deliveries; bad files go to `quarantine_dir`."""

    def __init__(self, folder: Path, quarantine_dir: Path) -> None:
        self.folder = folder
        self.quarantine_dir = quarantine_dir

    def path_for(self, outbox_id: str) -> Path:
        return self.folder / f"{outbox_id}{_SUFFIX}"

    async def save(self, item: Outgoing) -> bool:
        """Write `item`'s file atomically; False (and a warning) when the disk refuses."""
        if item.id is None:
            return False
        text = redact(OutboxRecord.of(item).model_dump_json(indent=2))
        try:
            await asyncio.to_thread(self.folder.mkdir, parents=True, exist_ok=True)
            await atomic_write_text(self.path_for(item.id), text)
        except OSError as e:
            log.warning(
                "telegram: could not keep a %s delivery in %s (it is only in memory now): %s",
                item.kind,
                self.folder,
                e.strerror or e,
            )
            return False
        return True

    async def remove(self, item: Outgoing) -> None:
        if item.id is None:
            return
        try:
            await aiofiles.os.remove(self.path_for(item.id))
        except FileNotFoundError:
            pass
        except OSError as e:
            # Left behind, it is sent again at the next start; its recorded outcome stops that.
            log.warning("telegram: could not remove %s: %s", self.path_for(item.id), e.strerror or e)

    async def load(self) -> OutboxLoad:
        return await asyncio.to_thread(self._load_sync)

    def _load_sync(self) -> OutboxLoad:
        out = OutboxLoad()
        try:
            names = sorted(os.listdir(self.folder))
        except FileNotFoundError:
            return out
        except OSError as e:
            out.notes.append(f"{self.folder}: cannot list: {e.strerror or e} (pending deliveries not loaded)")
            return out
        records: list[OutboxRecord] = []
        for name in names:
            path = self.folder / name
            if name.startswith("."):
                if name.endswith(".tmp"):
                    # A writer killed mid-save: the temp file never replaced anything.
                    with contextlib.suppress(OSError):
                        os.unlink(path)
                continue
            if not name.endswith(_SUFFIX):
                continue
            record = self._read_one(path, out)
            if record is not None:
                records.append(record)
        records.sort(key=lambda r: (r.created_at, r.id))
        out.items = [r.outgoing() for r in records]
        return out

    def _read_one(self, path: Path, out: OutboxLoad) -> OutboxRecord | None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            out.notes.append(f"{path.name} in {self.folder} is a folder, not an outbox file (skipped)")
            return None
        except OSError as e:
            out.notes.append(f"{path.name}: cannot read: {e.strerror or e} (skipped)")
            return None
        try:
            if not raw.strip():
                raise ValueError("empty")
            data = json.loads(raw.decode("utf-8"))
            version = data.get("schema_version") if isinstance(data, dict) else None
            if isinstance(version, int) and version > SCHEMA_VERSION:
                out.notes.append(
                    f"{path.name}: written by a newer smallclaw (schema {version}); left where it is"
                )
                return None
            record = OutboxRecord.model_validate(data)
            if record.id != path.name[: -len(_SUFFIX)]:
                raise ValueError(f"its id {record.id!r} does not match the file name")
        except (ValueError, ValidationError) as err:
            reason = _reason_for(raw, err)
            try:
                out.problems.append(quarantine_file(path, self.quarantine_dir, reason))
            except OSError as e:
                out.notes.append(f"{path.name}: {reason}; could not move it to quarantine: {e.strerror or e}")
            return None
        return record
