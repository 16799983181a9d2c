"""Shared CLI plumbing: errors with exit codes, settings loading, async entry."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from smallclaw_tui.config_files import DATA_DIR_NAME, ConfigError, resolve_workspace
from smallclaw_tui.textsafe import printable

if TYPE_CHECKING:
    from smallclaw_tui.config import Settings


class CLIError(Exception):
    """Exit 1 with this one-line message."""


class UsageError(CLIError):
    """Exit 2 with this one-line message."""


def _check_workspace(args: argparse.Namespace) -> Path | None:
    """The workspace named by --workspace or $SMALLCLAW_WORKSPACE must already be a folder.

    Both ways are refused alike: creating the folder would quietly start an empty workspace in
    the wrong place when the name has a typo.
    """
    workspace: Path | None = getattr(args, "workspace", None)
    if workspace is not None:
        if not workspace.expanduser().is_dir():
            raise UsageError(f"workspace {printable(str(workspace))} is not a folder")
        return workspace
    env = os.environ.get("SMALLCLAW_WORKSPACE")
    if env and not Path(env).expanduser().is_dir():
        raise UsageError(f"workspace {printable(env)} (from SMALLCLAW_WORKSPACE) is not a folder")
    return None


def settings_from_args(args: argparse.Namespace) -> Settings:
    from smallclaw_tui.config import load_settings

    workspace = _check_workspace(args)
    try:
        settings = load_settings(workspace)
    except ConfigError as e:
        raise CLIError(str(e)) from None
    _check_data_dir(settings.data_dir)
    return settings


def workspace_from_args(args: argparse.Namespace) -> Path:
    """The workspace folder, checked as for `settings_from_args`, without loading the settings."""
    workspace = resolve_workspace(_check_workspace(args))
    _check_data_dir(workspace / DATA_DIR_NAME)
    return workspace


def _check_data_dir(data: Path) -> None:
    if data.exists() and not data.is_dir():
        raise CLIError(
            f"{printable(str(data))} is a file, but SmallClaw keeps its data in a folder of that name; "
            "move the file away"
        )
