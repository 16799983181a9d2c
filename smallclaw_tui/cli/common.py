"""Shared CLI plumbing: errors with exit codes, settings loading, async entry."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from smallclaw_tui.config import ConfigError, Settings, load_settings
from smallclaw_tui.textsafe import printable


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
    workspace = _check_workspace(args)
    try:
        settings = load_settings(workspace)
    except ConfigError as e:
        raise CLIError(str(e)) from None
    data = settings.data_dir
    if data.exists() and not data.is_dir():
        raise CLIError(
            f"{printable(str(data))} is a file, but SmallClaw keeps its data in a folder of that name; "
            "move the file away"
        )
    return settings
