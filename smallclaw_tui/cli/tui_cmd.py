"""`smallclaw` / `smallclaw tui`: the full-screen app."""

from __future__ import annotations

import argparse

from smallclaw_tui.cli.common import CLIError, settings_from_args


def run_tui_command(args: argparse.Namespace) -> int:
    settings_from_args(args)
    raise CLIError("the full-screen app is not built yet; use `smallclaw task …`")
