"""What a tool call wrote, as the journal records it, and how a file's text compares with what it
held: the facts the runner's verification rules and final re-check stand on. Pure functions."""

from __future__ import annotations

import re

from smallclaw_tui.models import JournalEntry, JournalType
from smallclaw_tui.tools.args import ALIASES
from smallclaw_tui.tools.policy import redirect_targets

WRITERS = frozenset({"write_file", "append_file", "replace_text", "insert_after", "edit_file"})
# The argument holding the text each writer puts in the file.
_WRITTEN_ARG = {"write_file": "content", "append_file": "text", "insert_after": "text"}
# Writers that replace text: what they meant to change is recorded too.
_REPLACERS = frozenset({"replace_text", "edit_file"})


def _arg(args: dict[str, object], name: str) -> object:
    """An argument by its name or by one of the aliases the tools accept (`file_path` for `path`)."""
    for key in (name, *ALIASES.get(name, ())):
        if key in args:
            return args[key]
    return None


def write_record(name: str, args: dict[str, object], ok: bool) -> dict[str, object]:
    path = _arg(args, "path")
    if not ok or name not in WRITERS or not isinstance(path, str):
        return {}
    text = _arg(args, _WRITTEN_ARG.get(name, "new"))
    record: dict[str, object] = {"wrote": path, "wrote_text": text[:2000] if isinstance(text, str) else ""}
    old = _arg(args, "old")
    if name in _REPLACERS and isinstance(old, str):
        record["replaced"] = old[:2000]  # what a "change" step meant to change
    return record


def command_of(args: dict[str, object]) -> object:
    """A run_shell call's command, under its name or an alias (`cmd`)."""
    return _arg(args, "command")


def targets(name: str, args: dict[str, object]) -> list[str]:
    """The workspace files a call writes: the path of a file tool in WRITERS, a copy's
    destination, the redirect targets of run_shell (`wc -l a > b` runs without approval, so it is
    a write like any other)."""
    if name in WRITERS:
        path = _arg(args, "path")
        return [norm_path(path)] if isinstance(path, str) else []
    if name == "copy_file":
        destination = _arg(args, "destination")
        return [norm_path(destination)] if isinstance(destination, str) else []
    command = args.get("command")
    if name == "run_shell" and isinstance(command, str):
        return [norm_path(t) for t in redirect_targets(command)]
    return []


def writes(entry: JournalEntry) -> list[tuple[str, str]]:
    """(path, text written) of a tool result: one for a file tool in WRITERS, any for run_shell
    and copy_file (what the file held after the call)."""
    d = entry.detail
    if isinstance(d.get("wrote"), str) and d["wrote"]:
        return [(norm_path(d["wrote"]), str(d.get("wrote_text") or ""))]
    texts = d.get("wrote_texts")
    if isinstance(texts, dict):
        return [(norm_path(str(p)), str(t or "")) for p, t in texts.items()]
    return []


def try_start(entries: list[JournalEntry]) -> int:
    """Where the current try begins in a step's journal: after its last rejected try."""
    return max((i for i, e in enumerate(entries) if e.type == JournalType.RETRY), default=-1) + 1


def accepted_texts(journal: list[JournalEntry], done: set[int]) -> list[str]:
    """What the accepted try of each step in `done` wrote (its last try), in order."""
    out: list[str] = []
    for index in sorted(done):
        entries = [e for e in journal if e.step == index]
        out += [
            text
            for e in entries[try_start(entries) :]
            if e.type == JournalType.TOOL_RESULT
            for _p, text in writes(e)
        ]
    return out


# The journal detail naming the files the runner undid as written in the wrong place.
UNDONE_PATHS = "undone_paths"


def files_written(entries: list[JournalEntry]) -> list[str]:
    """The files these journal entries wrote, in order, less those the runner undid after."""
    out: dict[str, None] = {}
    for e in entries:
        if e.type == JournalType.TOOL_RESULT:
            out |= dict.fromkeys(path for path, _text in writes(e))
        elif isinstance(undone := e.detail.get(UNDONE_PATHS), list):
            for path in undone:
                out.pop(str(path), None)
    return list(out)


# How much of a file the journal keeps as "what it held before the task first wrote it".
BEFORE_CHARS = 4000


def first_befores(journal: list[JournalEntry], before_step: int | None = None) -> dict[str, str | None]:
    """What each file the task wrote held before its first write (None: it did not exist), from
    the calls of steps before `before_step` when given."""
    out: dict[str, str | None] = {}
    for e in journal:
        if e.type != JournalType.TOOL_CALL:
            continue
        if before_step is not None and (e.step is None or e.step >= before_step):
            continue
        befores = e.detail.get("befores")
        for path, before in befores.items() if isinstance(befores, dict) else ():
            out.setdefault(str(path), before if isinstance(before, str) else None)
    return out


def norm_path(path: str) -> str:
    return path.strip().strip("`'\"").removeprefix("./")


def kept(before: str, now: str) -> bool:
    """Does `now` still hold all of `before`, give or take whitespace? Every line of it, in order;
    or, since an addition may land inside a line (a key added to one-line JSON, an item to a list
    literal), every character of it in order with not much more added — so that a long new text
    cannot pass just by holding the old characters scattered about."""
    old, new = "".join(before.split()), "".join(now.split())
    pos = 0
    for line in ("".join(ln.split()) for ln in before.splitlines()):
        if not line:
            continue
        pos = new.find(line, pos)
        if pos < 0:
            break
        pos += len(line)
    else:
        return True
    it = iter(new)
    return len(new) - len(old) <= max(200, len(old)) and all(ch in it for ch in old)


def overlaps(text: str, replaced: str) -> bool:
    a, b = " ".join(text.split()), " ".join(replaced.split())
    return len(b) >= 3 and (a in b or b in a)


def same_key_changed(text: str, now: str) -> bool:
    """`port = 8000` lost while the file has a `port = …` line: a value changed, not a line lost."""
    m = re.match(r"\s*([\w.\-\[\]\"']{1,40})\s*([=:])", text)
    if m is None:
        return False
    key, sep = m.group(1), m.group(2)
    return re.search(rf"(?m)^\s*{re.escape(key)}\s*{re.escape(sep)}", now) is not None
