"""The workspace's files as the planner sees them: names only, bounded, tooling folders left out.

A planner that sees only the goal guesses file names: asked for "a 1.3.0 entry on top of the
changelog", Qwen2.5-Coder-1.5B planned to create `changelog.txt` beside the real `CHANGELOG.md`.
"""

from __future__ import annotations

import os
from pathlib import Path

from smallclaw_tui.tools.files import SEARCH_SKIP_DIRS

MAX_FILES = 40


def workspace_files(workspace: Path, limit: int = MAX_FILES) -> tuple[list[str], bool]:
    """Up to `limit` workspace-relative file paths, shallow ones first; and whether there are more."""
    root = workspace.resolve()
    found: list[str] = []
    more = False
    # Breadth first: the top of a big tree says more about where things are than one deep folder.
    level = [root]
    while level and not more:
        nxt: list[Path] = []
        for folder in level:
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SEARCH_SKIP_DIRS and not entry.name.startswith("."):
                        nxt.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    if len(found) >= limit:
                        more = True
                        break
                    rel = Path(entry.path).relative_to(root).as_posix()
                    found.append(rel.encode("utf-8", "backslashreplace").decode("utf-8"))
            if more:
                break
        level = nxt
    return found, more


def listing_text(workspace: Path) -> str:
    files, more = workspace_files(workspace)
    if not files:
        return "The workspace has no files yet."
    tail = ", …" if more else ""
    return "Files in the workspace: " + ", ".join(files) + tail
