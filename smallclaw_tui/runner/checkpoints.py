"""File checkpoints: what a task's writes replaced, so a failed try can be undone and a whole task too.

Before the first write of an attempt at a step to a file, its bytes (or its absence) are kept in a
content-addressed store under ``.localclaw/snapshots/<task id>/``. Three maps in one manifest say
what each kept state is for:

- ``baseline``: each file as it was before the task first wrote it — what ``task undo`` restores;
- ``attempt``: each file as it was before the current try of the current step — what a rejected
  try, or a task that stops in the middle of a step, restores;
- ``last``: each file as the task last left it — ``task undo`` refuses a file that changed since,
  so undo never destroys the user's own later edits.

Paths come from the model, so they go through the tools' confinement: never outside the
workspace, never the app's own data (``.localclaw/`` is never snapshotted), never ``.git/``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smallclaw_tui.store.atomic import atomic_write_bytes_sync
from smallclaw_tui.tools.workspace import WorkspaceEscape, display_path, resolve_writable

SNAPSHOTS_DIR = "snapshots"
_MANIFEST = "manifest.json"
# A file bigger than this is not kept: copying it on every first write would cost more than the
# safety is worth on a small box. Such a file is named in the journal as not restorable.
MAX_FILE_BYTES = 16 * 1024 * 1024
_DIFF_MAX_CHARS = 60_000


@dataclass(slots=True)
class UndoOutcome:
    done: bool
    # What was restored, or, when refused, which files differ and why.
    lines: list[str] = field(default_factory=list)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes_sync(path, data)


class Checkpoints:
    """One task's checkpoints. Synchronous: callers run it in a thread (the files may be big)."""

    def __init__(self, data_dir: Path, workspace: Path, task_id: str) -> None:
        self.workspace = workspace
        self.root = data_dir / SNAPSHOTS_DIR / task_id
        self._blobs = self.root / "blobs"
        self._manifest_path = self.root / _MANIFEST
        self._m: dict[str, Any] | None = None

    # --- the manifest -----------------------------------------------------------------------------

    @property
    def _manifest(self) -> dict[str, Any]:
        if self._m is None:
            try:
                loaded = json.loads(self._manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                loaded = {}
            m = loaded if isinstance(loaded, dict) else {}
            for key in ("baseline", "last"):
                if not isinstance(m.get(key), dict):
                    m[key] = {}
            if not isinstance(m.get("attempt"), dict):
                m["attempt"] = {"step": None, "files": {}}
            self._m = m
        return self._m

    def _save(self) -> None:
        _atomic_write(self._manifest_path, json.dumps(self._manifest, indent=1).encode())

    # --- reading and keeping file states ---------------------------------------------------------

    def _resolve(self, path: str) -> tuple[str, Path] | None:
        try:
            resolved = resolve_writable(self.workspace, path)
        except (WorkspaceEscape, OSError, ValueError):
            return None
        return display_path(self.workspace, resolved), resolved

    def _current(self, resolved: Path) -> bytes | None:
        """The file's bytes, or None when there is no regular file there."""
        try:
            st = resolved.lstat()
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        return resolved.read_bytes()

    def _keep(self, resolved: Path) -> str | None:
        """Store the file's current state; the blob's name, or None for 'no file here'."""
        data = self._current(resolved)
        if data is None:
            return None
        if len(data) > MAX_FILE_BYTES:
            return "too-big"
        name = _sha(data)
        blob = self._blobs / name
        if not blob.exists():
            _atomic_write(blob, data)
        return name

    def _put_back(self, resolved: Path, state: str | None) -> str:
        shown = display_path(self.workspace, resolved)
        if state == "too-big":
            return f"{shown} was too big to keep a copy of; left as it is"
        if state is None:
            if resolved.is_file() or resolved.is_symlink():
                resolved.unlink()
                return f"removed {shown} (it did not exist before)"
            return f"{shown} did not exist before and does not now"
        data = (self._blobs / state).read_bytes()
        if resolved.is_symlink():
            resolved.unlink()  # a link swapped in meanwhile is not written through
        # The write tools keep the file (and its mode); the atomic replace makes a new one.
        mode = stat.S_IMODE(resolved.stat().st_mode) if resolved.is_file() else None
        _atomic_write(resolved, data)
        if mode is not None:
            os.chmod(resolved, mode)
        return f"restored {shown} ({len(data)} bytes)"

    def _state_now(self, resolved: Path) -> str | None:
        data = self._current(resolved)
        if data is None:
            return None
        return "too-big" if len(data) > MAX_FILE_BYTES else _sha(data)

    # --- what the runner calls ---------------------------------------------------------------------

    def before_write(self, paths: list[str], step: int) -> None:
        """Keep each file's state before this try of `step` first writes it (and before the task
        first wrote it at all)."""
        m = self._manifest
        attempt = m["attempt"]
        if attempt.get("step") != step:
            attempt["step"], attempt["files"] = step, {}
        changed = False
        for path in paths:
            found = self._resolve(path)
            if found is None:
                continue
            key, resolved = found
            if key in attempt["files"] and key in m["baseline"]:
                continue
            state = self._keep(resolved)
            attempt["files"].setdefault(key, state)
            m["baseline"].setdefault(key, state)
            changed = True
        if changed:
            self._save()

    def after_write(self, paths: list[str]) -> None:
        """Note how the task left these files (undo refuses a file that differs from this later)."""
        m = self._manifest
        changed = False
        for path in paths:
            found = self._resolve(path)
            if found is None or found[0] not in m["baseline"]:
                continue
            m["last"][found[0]] = self._state_now(found[1])
            changed = True
        if changed:
            self._save()

    def attempt_files(self) -> list[str]:
        return sorted(self._manifest["attempt"]["files"])

    def attempt_changes(self) -> list[tuple[str, str | None, str | None]]:
        """(path, text before this try, text now) of each file this try wrote; None is 'no file'.
        A file too big to keep a copy of is left out: no rule can compare it."""
        out: list[tuple[str, str | None, str | None]] = []
        for key, state in sorted(self._manifest["attempt"]["files"].items()):
            found = self._resolve(key)
            if found is None or state == "too-big":
                continue
            before = None if state is None else (self._blobs / state).read_bytes()
            now = self._current(found[1])
            if now is not None and len(now) > MAX_FILE_BYTES:
                continue
            out.append((key, _text(before), _text(now)))
        return out

    def attempt_changed(self) -> bool:
        """Did this try leave any file different from before it?"""
        return any(before != after for _path, before, after in self.attempt_changes())

    def restore_attempt(self, only: set[str] | None = None) -> list[str]:
        """Put every file the current try wrote (or those of them in `only`) back as it was before
        the try. Returns what was done, one line a file; files the try did not change are not
        mentioned."""
        m = self._manifest
        if not m["attempt"]["files"]:
            return []  # nothing written: no manifest for a task that never wrote a file
        done: list[str] = []
        for key, state in sorted(m["attempt"]["files"].items()):
            if only is not None and key not in only:
                continue
            found = self._resolve(key)
            if found is None:
                continue
            resolved = found[1]
            if self._state_now(resolved) == state:
                continue
            done.append(self._put_back(resolved, state))
            m["last"][key] = self._state_now(resolved)
        if only is None:
            m["attempt"]["files"] = {}
        self._save()
        return done

    def end_attempt(self) -> None:
        """The try stood (the step was accepted): its writes are now the task's work."""
        if self._manifest["attempt"]["files"]:
            self._manifest["attempt"]["files"] = {}
            self._save()

    def changed_files(self) -> list[str]:
        """The files the task changed: those whose state now differs from before the task."""
        out: list[str] = []
        for key, state in sorted(self._manifest["baseline"].items()):
            found = self._resolve(key)
            if found is not None and self._state_now(found[1]) != state:
                out.append(key)
        return out

    def baseline_text(self, key: str) -> str | None:
        state = self._manifest["baseline"].get(key)
        if not isinstance(state, str) or state == "too-big":
            return None
        return _text((self._blobs / state).read_bytes())

    def diff(self, max_chars: int = _DIFF_MAX_CHARS) -> str:
        """The unified diff of everything the task changed, from before the task to now."""
        chunks: list[str] = []
        for key in self.changed_files():
            found = self._resolve(key)
            assert found is not None
            before = self.baseline_text(key)
            now_bytes = self._current(found[1])
            now = None if now_bytes is None else now_bytes.decode("utf-8", errors="replace")
            chunks.append(unified(key, before, now))
        text = "".join(chunks)
        if len(text) > max_chars:
            text = text[:max_chars] + f"\n... [diff cut: {len(text) - max_chars} more chars]\n"
        return text

    def undo(self) -> UndoOutcome:
        """Restore every file the task changed to its state before the task — only if none of
        them changed since the task last wrote it; otherwise change nothing and say which differ."""
        m = self._manifest
        if not m["baseline"]:
            return UndoOutcome(
                False,
                [
                    "nothing to undo: the task changed no files, was undone already, "
                    "or its checkpoint was pruned"
                ],
            )
        differ: list[str] = []
        todo: list[tuple[Path, str | None]] = []
        for key, state in sorted(m["baseline"].items()):
            found = self._resolve(key)
            if found is None:
                differ.append(f"{key} can no longer be written by the tools")
                continue
            now = self._state_now(found[1])
            left = m["last"].get(key, state)
            if now != left:
                differ.append(f"{key} changed after the task last wrote it")
            elif now != state:
                todo.append((found[1], state))
        if differ:
            return UndoOutcome(False, differ)
        if any(state == "too-big" for _p, state in todo):
            big = [display_path(self.workspace, p) for p, s in todo if s == "too-big"]
            return UndoOutcome(False, [f"{b} was too big to keep a copy of" for b in big])
        lines = [self._put_back(path, state) for path, state in todo]
        m["baseline"], m["last"], m["attempt"] = {}, {}, {"step": None, "files": {}}
        self._save()
        return UndoOutcome(True, lines or ["every file the task changed was already as before"])


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", errors="replace")


def unified(key: str, before: str | None, now: str | None) -> str:
    """One file's unified diff; a file that did not exist is diffed from /dev/null."""
    a = [] if before is None else before.splitlines(keepends=True)
    b = [] if now is None else now.splitlines(keepends=True)
    lines = list(
        difflib.unified_diff(
            a,
            b,
            fromfile="/dev/null" if before is None else f"a/{key}",
            tofile="/dev/null" if now is None else f"b/{key}",
        )
    )
    text = "".join(ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n" for ln in lines)
    if not text and (before is None) != (now is None):
        # An empty file made or removed has no lines to diff, and is still a change to show
        # (a model "downloaded" a report by creating it empty).
        made = before is None
        text = f"--- {'/dev/null' if made else 'a/' + key}\n+++ {'b/' + key if made else '/dev/null'}\n"
        text += f"({'new' if made else 'deleted'} empty file)\n"
    return text


def prune(data_dir: Path, cap_bytes: int, keep: set[str]) -> list[str]:
    """Delete whole task checkpoints, oldest first, until the store is under `cap_bytes`. The
    tasks in `keep` (those still running or able to resume) are never pruned. Returns the task ids
    whose checkpoints went."""
    root = data_dir / SNAPSHOTS_DIR
    if not root.is_dir():
        return []
    sizes: list[tuple[float, str, int]] = []
    total = 0
    for entry in root.iterdir():
        if not entry.is_dir() or entry.is_symlink():
            continue
        size = sum(f.stat().st_size for f in entry.rglob("*") if f.is_file() and not f.is_symlink())
        total += size
        sizes.append((entry.stat().st_mtime, entry.name, size))
    gone: list[str] = []
    for _mtime, name, size in sorted(sizes):
        if total <= cap_bytes:
            break
        if name in keep:
            continue
        shutil.rmtree(root / name, ignore_errors=True)
        total -= size
        gone.append(name)
    return gone
