"""Confinement: every path a tool touches is resolved inside the workspace, or refused.

Resolution follows symlinks first (`Path.resolve`) and checks containment after, so a link that
points out of the workspace is caught however deep it sits in the path.
"""

from __future__ import annotations

import os
from pathlib import Path

from smallclaw_tui.config_files import DATA_DIR_NAME
from smallclaw_tui.tools.text import escape_surrogates, unescape_name

# Git's own data: a write there can run code (`core.fsmonitor`, hooks) the next time anyone runs
# git. A worktree or submodule has a `.git` file naming the real folder, so any part named
# `.git` counts, at any depth.
GIT_DIR_NAME = ".git"


class WorkspaceEscape(ValueError):
    """A path that resolves outside the workspace, or into a part of it tools may not change."""


def resolve_in_workspace(workspace: Path, path: str) -> Path:
    """Resolve `path` (relative to the workspace, or absolute inside it) to an absolute path.

    Raises :class:`WorkspaceEscape` with a message meant to be read by the model.
    """
    root = workspace.resolve()
    if "\x00" in path:
        raise WorkspaceEscape(f"path {path!r} contains a NUL character")
    text = path.strip()
    if text.startswith("~"):
        raise WorkspaceEscape(
            f"path {path!r} points into a home directory, outside the workspace; "
            "use a path relative to the workspace, like 'notes/a.txt'"
        )
    candidate = Path(text)
    if not candidate.is_absolute():
        candidate = root / candidate
    candidate = _shown_name(candidate)
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError) as e:  # a symlink loop (RuntimeError before Python 3.13)
        raise WorkspaceEscape(f"path {path!r} cannot be resolved: {e}") from None
    if resolved.is_relative_to(root):
        return resolved
    if Path(os.path.normpath(candidate)).is_relative_to(root):
        raise WorkspaceEscape(f"path {path!r} leads outside the workspace through a symlink; refused")
    raise WorkspaceEscape(
        f"path {path!r} is outside the workspace ({root}); "
        "use a path relative to the workspace, like 'notes/a.txt'"
    )


def _shown_name(candidate: Path) -> Path:
    """The file a model means when it copies a name as the tools showed it (`caf\\xe9.txt` for a
    name that is not UTF-8). A file really named with a backslash wins when both exist."""
    text = str(candidate)
    real = Path(unescape_name(text))
    if real == candidate or os.path.lexists(candidate):
        return candidate
    if os.path.lexists(real) or (os.path.isdir(real.parent) and not os.path.isdir(candidate.parent)):
        return real
    return candidate


def resolve_writable(workspace: Path, path: str) -> Path:
    """Like :func:`resolve_in_workspace`, and also refuse the app's own data folder and git's."""
    resolved = resolve_in_workspace(workspace, path)
    if is_app_data(workspace, resolved):
        raise WorkspaceEscape(
            f"path {path!r} is inside {DATA_DIR_NAME}/, where the app keeps its own data; "
            "tools may not change it"
        )
    if is_git_data(workspace, resolved):
        raise WorkspaceEscape(
            f"path {path!r} is inside {GIT_DIR_NAME}/, where git keeps its own data; tools may not change it"
        )
    return resolved


def is_git_data(workspace: Path, resolved: Path) -> bool:
    """Inside (or itself) a `.git` folder or file, at any depth; case-insensitive like the rule
    for the app's data."""
    rel = resolved.relative_to(workspace.resolve())
    return any(part.casefold() == GIT_DIR_NAME for part in rel.parts)


def is_app_data(workspace: Path, resolved: Path) -> bool:
    rel = resolved.relative_to(workspace.resolve())
    # casefold: on a case-insensitive file system `.LocalClaw` is the same folder.
    return bool(rel.parts) and rel.parts[0].casefold() == DATA_DIR_NAME


def is_app_settings(workspace: Path, resolved: Path) -> bool:
    """The app's settings file, or a copy beside it (config.toml.bak, an editor's swap file).

    It may hold the Telegram token and API keys: tools never show it, since a tool result lands
    in the journal and the chat session.
    """
    rel = resolved.relative_to(workspace.resolve())
    return len(rel.parts) == 2 and is_app_data(workspace, resolved) and "config" in rel.parts[1].casefold()


def display_path(workspace: Path, resolved: Path) -> str:
    """The workspace-relative form used in results, so the model sees the paths it would write."""
    rel = resolved.relative_to(workspace.resolve())
    return escape_surrogates(rel.as_posix()) if rel.parts else "."
