"""Where settings live, and reading their files: no pydantic here.

:mod:`smallclaw_tui.config` validates; this module only finds the workspace and the files and
reads TOML. The app needs no more than this before its first frame (the lock's folder, a theme
to paint with), so it draws that frame before pydantic is imported (issue 15, first paint).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DATA_DIR_NAME = ".localclaw"
CONFIG_FILE_NAME = "config.toml"


class ConfigError(Exception):
    """A configuration problem, already phrased for the user (one line)."""


def resolve_workspace(workspace: Path | None = None) -> Path:
    """The workspace folder: the one given, else `$SMALLCLAW_WORKSPACE`, else the current one."""
    return (workspace or Path(os.environ.get("SMALLCLAW_WORKSPACE") or Path.cwd())).expanduser().resolve()


def user_config_path() -> Path:
    """The user's own config file: `$XDG_CONFIG_HOME/smallclaw/config.toml`, else under ~/.config."""
    xdg = os.environ.get("XDG_CONFIG_HOME", "").strip()
    # The XDG spec says a relative value is invalid and to be ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base / "smallclaw" / CONFIG_FILE_NAME


def workspace_config_path(workspace: Path) -> Path:
    return workspace / DATA_DIR_NAME / CONFIG_FILE_NAME


def read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # here: most starts have no config file to parse, and the module takes 8 ms

    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None


def read_config_files(workspace: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The user's file and the workspace's, parsed (empty where absent); not validated."""
    found: list[dict[str, Any]] = []
    for path in (user_config_path(), workspace_config_path(workspace)):
        found.append(read_toml(path) if path.is_file() else {})
    return found[0], found[1]


def first_frame_theme(workspace: Path) -> str | None:
    """The `tui.theme` the settings will have, read without validating anything, so the first
    frame is painted in it (a wrong value is reported once the settings load)."""
    env = os.environ.get("SMALLCLAW_TUI__THEME")
    if env:
        return env
    user, local = read_config_files(workspace)
    for data in (local, user):  # the workspace's file wins over the user's
        tui = data.get("tui")
        if isinstance(tui, dict) and isinstance(tui.get("theme"), str):
            return str(tui["theme"])
    return None
