"""`smallclaw` / `smallclaw tui`: the full-screen app, with the runner inside it.

The app runs the task queue itself, so it takes the workspace lock like `smallclaw run`. When
another runner holds it, the app does not open (a second runner would run the same tasks twice);
it says who holds it, and `smallclaw task list/show/pause/…` keep working alongside that runner.

The first frame comes before anything heavy: this module and the app import Textual and light
modules only. The settings (pydantic), the model client (httpx), the runner and Telegram are made
by `load` in a thread once the frame is on screen, and the tasks fill the board after that. A
config file that is not TOML is refused before the app opens; a value the settings reject closes
the app at once with the same one line (`smallclaw: …`, exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
from pathlib import Path

from smallclaw_tui.cli.common import CLIError, workspace_from_args
from smallclaw_tui.config_files import DATA_DIR_NAME, ConfigError, first_frame_theme
from smallclaw_tui.store.lock import WorkspaceLock, WorkspaceLocked
from smallclaw_tui.tui.ports import Loaded


def run_tui_command(args: argparse.Namespace) -> int:
    workspace = workspace_from_args(args)
    try:
        theme = first_frame_theme(workspace)  # also refuses a config file that is not TOML
    except ConfigError as e:
        raise CLIError(str(e)) from None
    lock = WorkspaceLock(workspace / DATA_DIR_NAME)
    try:
        lock.acquire(purpose="smallclaw tui")
    except WorkspaceLocked as e:
        raise CLIError(
            f"{e}. The app runs the task queue itself, so it opens only where no other runner is running."
        ) from None
    try:
        return asyncio.run(_run(workspace, theme))
    finally:
        lock.release()


def load_for(workspace: Path) -> Loaded:
    """Settings, model client, runner and the Telegram starter for `workspace` (blocking)."""
    from smallclaw_tui.config import load_settings
    from smallclaw_tui.runner.deps import RunnerDeps
    from smallclaw_tui.runner.runner import BackgroundTaskRunner
    from smallclaw_tui.telegram import maybe_start_telegram
    from smallclaw_tui.tui.ports import TelegramPort

    settings = load_settings(workspace)
    deps = RunnerDeps.for_settings(settings)
    runner = BackgroundTaskRunner(deps)

    async def start_telegram() -> TelegramPort | None:
        # Called by the app once the runner runs; the app stops it after the runner stops, and
        # shows its state in the status bar and its warnings as notifications (not on stderr).
        return await maybe_start_telegram(settings, runner)

    return Loaded(deps, runner, start_telegram)


async def _run(workspace: Path, theme: str | None) -> int:
    from smallclaw_tui.tui.app import SmallClawApp

    def load() -> Loaded:
        try:
            return load_for(workspace)
        finally:
            # Off since the start (see the CLI): what is alive now stays alive, so the collector
            # need not walk it again; then it runs as usual.
            gc.freeze()
            gc.enable()

    app = SmallClawApp(load=load, theme=theme)
    try:
        await app.run_async()
    finally:
        if app.loaded:
            await app.runner.stop()  # a no-op when the app already stopped it on quit
            if app.telegram is not None:
                await app.telegram.stop()  # only when the app could not stop it itself
            await app.deps.client.aclose()
    if app.load_error is not None:
        raise CLIError(app.load_error)
    return app.return_code or 0
