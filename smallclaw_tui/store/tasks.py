"""The task store: `.localclaw/tasks/<id>.json` plus `<id>.journal.jsonl` beside it.

The task file holds everything but the journal and is replaced atomically on every save; the
journal only ever grows by appends (see :mod:`smallclaw_tui.store.journal`).
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from smallclaw_tui.models import JournalEntry, JournalType, Task, utcnow
from smallclaw_tui.store.atomic import atomic_write_text
from smallclaw_tui.store.ids import is_plain_id, require_plain_id, shown_id, shown_name
from smallclaw_tui.store.journal import append_entries, read_journal
from smallclaw_tui.store.quarantine import QuarantineReport, quarantine_file, quarantine_once

__all__ = ["AmbiguousTaskId", "LoadResult", "TaskNotFound", "TaskStore", "dump_task", "is_plain_id"]

_TASK_SUFFIX = ".json"
_JOURNAL_SUFFIX = ".journal.jsonl"

log = logging.getLogger(__name__)


class TaskNotFound(LookupError):
    pass


class AmbiguousTaskId(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class _Unread:
    """A task file that gave no task: a note to pass on, or a reason to set the file aside."""

    note: str | None
    set_aside: str | None = None


@dataclass(slots=True)
class LoadResult:
    tasks: list[Task] = field(default_factory=list)
    problems: list[QuarantineReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _reason_for(raw: bytes, err: Exception) -> str:
    if not raw.strip():
        return "empty file"
    if isinstance(err, UnicodeDecodeError):
        return "not UTF-8 text (garbage bytes)"
    if isinstance(err, json.JSONDecodeError):
        # Some messages already end in "at" ("Unterminated string starting at").
        at = "" if err.msg.endswith(" at") else " at"
        return f"not valid JSON ({err.msg}{at} line {err.lineno} column {err.colno}; truncated?)"
    if isinstance(err, ValidationError):
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        return f"not a valid task: {loc}: {first['msg']}"
    return f"unreadable: {err}"


def _id_problem(path: Path, task_id: str) -> str | None:
    """Why this file cannot be trusted as the task it says it is, or None.

    The runner keys everything by id and builds the save path from it: a file named otherwise
    (a copy, `copy.json` holding `abc`) would be read from one file and saved to another, and an
    id like `../../x` would be saved outside `tasks/`.
    """
    if not is_plain_id(task_id):
        return f"holds task id {shown_id(task_id)}, which is not a plain task id"
    stem = path.name[: -len(_TASK_SUFFIX)]
    if stem != task_id:
        return (
            f"{shown_name(path.name)} holds task id {task_id!r}; a task file must be named after "
            f"its id ({task_id}{_TASK_SUFFIX}), so this looks like a copy"
        )
    return None


def dump_task(task: Task) -> str:
    return task.model_dump_json(indent=2, exclude={"journal"})


class TaskStore:
    """`quarantine=False` is for read-only commands (`task list`, `task show`): an unreadable file
    is only reported and stays in place. The runner, which owns the folder, moves it aside."""

    def __init__(self, data_dir: Path, *, quarantine: bool = True, folder: str = "tasks") -> None:
        self.data_dir = data_dir
        # "archive" holds archived tasks the same way (see :mod:`.archive`); nothing runs from it.
        self.tasks_dir = data_dir / folder
        self.quarantine_dir = data_dir / "quarantine"
        self.quarantine = quarantine
        self._locks: dict[str, asyncio.Lock] = {}

    def ensure(self) -> None:
        try:
            self.tasks_dir.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            # A file where the folder belongs: say that, not mkdir's puzzling "File exists".
            raise NotADirectoryError(
                errno.ENOTDIR, "a file is where this folder belongs", str(self.tasks_dir)
            ) from None

    def task_path(self, task_id: str) -> Path:
        return self.tasks_dir / f"{require_plain_id(task_id)}{_TASK_SUFFIX}"

    def journal_path(self, task_id: str) -> Path:
        return self.tasks_dir / f"{require_plain_id(task_id)}{_JOURNAL_SUFFIX}"

    def task_files(self) -> list[Path]:
        """Every `*.json` in `tasks/`, good or bad: what a load looks at."""
        if not self.tasks_dir.is_dir():
            return []
        return sorted(
            p
            for p in self.tasks_dir.iterdir()
            if p.name.endswith(_TASK_SUFFIX) and not p.name.startswith(".")
        )

    def task_ids(self) -> list[str]:
        """The ids that files are named after (a badly named file has none)."""
        stems = (p.name[: -len(_TASK_SUFFIX)] for p in self.task_files())
        return [s for s in stems if is_plain_id(s)]

    # --- reading --------------------------------------------------------------------------------

    def _read_parse(self, path: Path) -> Task | _Unread:
        """One task file read and validated (blocking): the task, or why it is not one."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return _Unread(None)  # deleted or quarantined by someone else meanwhile
        except IsADirectoryError:
            # Not ours to move: a folder may hold anything, so it stays put and is only reported.
            return _Unread(f"{path.name} in {self.tasks_dir} is a folder, not a task file (skipped)")
        except OSError as e:
            # Unreadable (permissions, I/O): moving it could lose a file that is fine; skip it.
            return _Unread(f"{path.name}: cannot read: {e.strerror or e} (skipped)")
        try:
            if not raw.strip():
                raise ValueError("empty")
            task = Task.model_validate(json.loads(raw.decode("utf-8")))
        except (ValueError, ValidationError) as err:
            return _Unread(None, set_aside=_reason_for(raw, err))
        id_problem = _id_problem(path, task.id)
        return task if id_problem is None else _Unread(None, set_aside=id_problem)

    def _read_many(self, paths: list[Path]) -> list[Task | _Unread]:
        return [self._read_parse(p) for p in paths]

    async def _finish_one(
        self, path: Path, read: Task | _Unread, with_journal: bool, result: LoadResult
    ) -> Task | None:
        """What a read needs on the event loop: the quarantine, the journal, the notes."""
        if isinstance(read, _Unread):
            if read.set_aside is not None:
                await self._set_aside(path, read.set_aside, result)
            elif read.note is not None:
                result.notes.append(read.note)
            return None
        if with_journal:
            await self._attach_journal(read, result)
        return read

    async def _set_aside(self, path: Path, reason: str, result: LoadResult) -> None:
        if self.quarantine:
            result.problems.append(await asyncio.to_thread(self._quarantine_task, path, reason))
        else:
            result.notes.append(
                f"{shown_name(path.name)}: {reason} (left in place; the runner moves it to quarantine)"
            )

    def _quarantine_task(self, path: Path, reason: str) -> QuarantineReport:
        report = quarantine_file(path, self.quarantine_dir, reason)
        journal = path.with_name(path.name[: -len(_TASK_SUFFIX)] + _JOURNAL_SUFFIX)
        if journal.is_file():  # a folder in its place is left alone (it may hold anything)
            quarantine_file(journal, self.quarantine_dir, f"journal of quarantined task file ({reason})")
        return report

    async def _attach_journal(self, task: Task, result: LoadResult) -> None:
        read = await read_journal(self.journal_path(task.id))
        task.journal = read.entries
        if read.error:
            result.notes.append(f"task {task.id}: journal cannot be read: {read.error} (shown empty)")
        if read.bad_lines and not self.quarantine:
            result.notes.append(
                f"task {task.id}: journal lines {read.bad_lines[:5]} are not valid entries (skipped)"
            )
        elif read.bad_lines:
            # Keep every good line in place; park a copy of the damaged file for a human to look at,
            # once per damage: later loads of the same journal only mention it.
            report = await asyncio.to_thread(
                quarantine_once,
                self.journal_path(task.id),
                self.quarantine_dir,
                f"journal lines {read.bad_lines[:5]} are not valid entries (skipped; the rest kept)",
                key=f"bad-{read.bad_digest}",
            )
            if report is not None:
                result.problems.append(report)
            else:
                result.notes.append(
                    f"task {task.id}: journal lines {read.bad_lines[:5]} are not valid entries "
                    "(skipped; a copy is already in quarantine)"
                )
        if read.torn_tail:
            result.notes.append(
                f"task {task.id}: last journal line was cut short (crash?) and skipped; "
                "the next append sets it aside in quarantine"
            )

    async def reload_journal(self, task: Task) -> LoadResult:
        """Replace the in-memory journal with the one on disk (a superset: appends land there first)."""
        result = LoadResult()
        await self._attach_journal(task, result)
        return result

    async def load_all(self, *, with_journal: bool = False) -> LoadResult:
        """Load every task (read in one thread hop). Bad files are quarantined and reported; the rest load."""
        return await self.load_files(self.task_files(), with_journal=with_journal)

    async def load_files(self, paths: list[Path], *, with_journal: bool = False) -> LoadResult:
        """Load these task files (from :meth:`task_files`), as :meth:`load_all` does."""
        result = LoadResult()
        # Read and validated in one thread hop for them all: a hop per file (aiofiles makes three)
        # cost five times the reading itself and kept the event loop busy with them (a board of
        # 1,000 tasks came up 0.2 s later). The journals, when wanted, follow per task.
        reads = await asyncio.to_thread(self._read_many, paths)
        loaded = [
            await self._finish_one(p, read, with_journal, result)
            for p, read in zip(paths, reads, strict=True)
        ]
        result.tasks = sorted((t for t in loaded if t is not None), key=lambda t: (t.created_at, t.id))
        return result

    def resolve_id(self, prefix: str) -> str:
        prefix = prefix.strip()
        if not prefix:
            raise TaskNotFound("empty task id")
        ids = self.task_ids()
        if prefix in ids:
            return prefix
        matches = [i for i in ids if i.startswith(prefix)]
        if not matches:
            raise TaskNotFound(f"no task with id {prefix!r}")
        if len(matches) > 1:
            shown = ", ".join(matches[:5]) + (" …" if len(matches) > 5 else "")
            raise AmbiguousTaskId(f"task id {prefix!r} is ambiguous: {shown}")
        return matches[0]

    async def load(
        self, task_id: str, *, with_journal: bool = True, report: LoadResult | None = None
    ) -> Task:
        """Load one task by id or unique prefix. A bad file is quarantined and reported as not found.

        Pass `report` to collect what else was noticed on the way (a damaged journal line).
        """
        real = self.resolve_id(task_id)
        result = report if report is not None else LoadResult()
        path = self.task_path(real)
        read = await asyncio.to_thread(self._read_parse, path)
        task = await self._finish_one(path, read, with_journal, result)
        if task is None:
            why = next((str(x) for x in [*result.problems, *result.notes]), "file vanished")
            raise TaskNotFound(f"task {real} could not be read: {why}")
        return task

    # --- writing --------------------------------------------------------------------------------

    def _lock(self, task_id: str) -> asyncio.Lock:
        lock = self._locks.get(task_id)
        if lock is None:
            lock = self._locks[task_id] = asyncio.Lock()
        return lock

    async def save(self, task: Task) -> None:
        """Replace the task file atomically. Saves of one task are serialized in this process."""
        async with self._lock(task.id):
            task.updated_at = utcnow()
            text = dump_task(task)
            self.ensure()
            await atomic_write_text(self.task_path(task.id), text)

    async def append_journal(self, task: Task, *entries: JournalEntry) -> None:
        """Append to the journal file (durable first) and then to the in-memory task."""
        self.ensure()
        mended = await append_entries(
            self.journal_path(task.id), list(entries), quarantine_dir=self.quarantine_dir
        )
        if mended is not None:
            log.warning("task %s: %s", task.id, mended)
        task.journal.extend(entries)

    async def create(self, task: Task) -> Task:
        self.ensure()
        if self.task_path(task.id).exists():
            raise FileExistsError(f"task {task.id} already exists")
        await self.save(task)
        await self.append_journal(task, JournalEntry(type=JournalType.NOTE, content=f"created: {task.title}"))
        return task

    async def delete_temp_litter(self) -> int:
        """Remove temp files left by a writer killed mid-save (they never replaced anything)."""
        n = 0
        for p in self.tasks_dir.glob(".*.tmp") if self.tasks_dir.is_dir() else []:
            try:
                os.unlink(p)
                n += 1
            except OSError:
                pass
        return n
