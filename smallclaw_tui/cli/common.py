"""Shared CLI plumbing: errors with exit codes, settings loading, async entry."""

from __future__ import annotations

import argparse
from pathlib import Path

from smallclaw_tui.config import ConfigError, Settings, load_settings


class CLIError(Exception):
    """Exit 1 with this one-line message."""


class UsageError(CLIError):
    """Exit 2 with this one-line message."""


def settings_from_args(args: argparse.Namespace) -> Settings:
    workspace: Path | None = getattr(args, "workspace", None)
    if workspace is not None and not workspace.expanduser().is_dir():
        raise UsageError(f"workspace {workspace} is not a folder")
    try:
        return load_settings(workspace)
    except ConfigError as e:
        raise CLIError(str(e)) from None
