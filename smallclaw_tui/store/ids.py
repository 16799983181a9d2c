"""What a task id may look like before it becomes part of a file name.

Ids are made by :func:`smallclaw_tui.models.new_task_id` (eight lower-case hex digits), but a task
file can be copied or edited by hand, so an id read from disk is untrusted. The plain form is a
little wider than what is generated, so hand-made ids like `fix-docs` still work, and narrow
enough to be safe as a file name everywhere:

- lower case only: on a case-insensitive file system `ABC` and `abc` would be one file;
- no dot, no slash: `<id>.json` stays inside `tasks/` and never collides with `<id>.journal.jsonl`;
- at most 64 characters: `<id>.journal.jsonl` plus a quarantine time stamp stays under NAME_MAX.
"""

from __future__ import annotations

import re

MAX_ID_LEN = 64
_PLAIN_ID = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{MAX_ID_LEN - 1}}}")


def is_plain_id(task_id: str) -> bool:
    return _PLAIN_ID.fullmatch(task_id) is not None


def require_plain_id(task_id: str) -> str:
    """The id itself, or ValueError: no path is ever built from anything else."""
    if not is_plain_id(task_id):
        raise ValueError(f"{shown_id(task_id)} is not a plain task id")
    return task_id


def shown_name(name: str) -> str:
    """A file name from a directory listing, for a one-line message: escaped, unquoted, cut short."""
    text = repr(name)[1:-1]
    return text if len(text) <= 80 else text[:79] + "…"


def shown_id(task_id: str) -> str:
    """An untrusted id for a message: quoted, escaped (no control characters), cut short."""
    if len(task_id) > 40:
        return repr(task_id[:40]) + f"… ({len(task_id)} characters)"
    return repr(task_id)
