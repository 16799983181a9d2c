"""A goal about one file is one step, with the goal's own words, and no planner call.

Which file a goal is about is read from the goal and the workspace, not from its verbs: the goal
names exactly one file, by its path, its file name, or (for a file that exists) its name without
the extension ("bump the version in pyproject" names `pyproject.toml`, "the changelog" names
`CHANGELOG.md`). Only a file that exists is taken this way, and only when the model, asked one
word, says the goal changes it: the step is then an edit of that file, and the step rules hold it
to changing it. A file to make is planned (tuning 4 in bench/real/TUNING.md §10).

Why: on the held-out set (issue 12), most goals were about one file, and the planner of
Qwen2.5-Coder-1.5B turned them into plans that lost the goal's text ("Read notes.md to find
'recieve'" for "fix them all"), planned editor steps, or dropped the file, at 20–40 s a call on
2 cores. The step prompt shows the file's text anyway.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from smallclaw_tui.models import PlanStep, StepKind
from smallclaw_tui.runner.intent import names_path, paths_in
from smallclaw_tui.runner.writes import norm_path

# A file's name without its extension stands for it only when it is long enough not to be a
# common short word ("app", "run"), and only when one file in the workspace has that name.
MIN_STEM = 4
_WORD = re.compile(r"[\w-]+")
# `.env.bak`, `.gitignore`: names paths_in leaves out (a leading dot); `.venv/` is a folder.
_DOTFILE = re.compile(r"(?<![\w./-])(\.\w[\w.-]*\w)(?![\w/-])")


def _stem(path: str) -> str:
    name = PurePosixPath(path).name
    return name.lstrip(".").split(".", 1)[0].casefold()


def _named_files(goal: str, files: list[str]) -> list[str]:
    """Every file the goal names: workspace files first (by path, file name or stem), then new
    paths the goal gives."""
    hits: list[str] = [f for f in files if names_path(goal, f, in_any_folder=True)]
    words = {w.casefold() for w in _WORD.findall(goal)}
    stems: dict[str, list[str]] = {}
    for f in files:
        stems.setdefault(_stem(f), []).append(f)
    for stem, owners in stems.items():
        if len(stem) >= MIN_STEM and stem in words and len(owners) == 1:
            hits.append(owners[0])
    for p in [*paths_in(goal), *_DOTFILE.findall(goal)]:
        if p.endswith("/"):
            continue
        path = norm_path(p)
        # "a.txt" is the workspace's "notes/a.txt"; "dst/a.txt" is not "src/a.txt", nor is
        # "settings.json.bak" "settings.json".
        if not any(h == path or ("/" not in path and PurePosixPath(h).name == path) for h in hits):
            hits.append(path)
    return list(dict.fromkeys(hits))


def the_one_file(goal: str, files: list[str]) -> str | None:
    """The one file a goal names, or None when it names none or several (the planner's case).
    `files`: the workspace's files (:func:`~smallclaw_tui.runner.listing.workspace_files`)."""
    if re.search(r"https?://", goal):
        return None  # a download has a source and a target; plan it
    named = _named_files(goal, files)
    return named[0] if len(named) == 1 else None


def one_file_step(goal: str, path: str) -> PlanStep:
    return PlanStep(index=0, description=goal.strip(), kind=StepKind.EDIT, files=[path])


# Whether the goal changes a file that exists is the model's call, asked as a one-word question:
# "report the errors in logs/app.log" names one file and must not write to it.
ASK_SYSTEM = "You sort a user's goal for a file assistant. Reply with one word."


def ask_change(goal: str, path: str) -> str:
    return (
        f"Goal: {goal.strip()}\n\nDoes this goal ask to change the file {path}? Reply CHANGE if "
        f"{path} itself must be changed, or LOOK if {path} is only read."
    )


def answered_change(reply: str) -> bool | None:
    """CHANGE → True, LOOK → False, anything else (both, neither) → None."""
    said = {w for w in re.findall(r"[A-Za-z]+", reply.upper()) if w in ("CHANGE", "LOOK")}
    return None if len(said) != 1 else said == {"CHANGE"}
