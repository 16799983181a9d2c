"""`smallclaw` / `smallclaw tui`: the full-screen app, with the runner inside it.

The app runs the task queue itself, so it takes the workspace lock like `smallclaw run`. When
another runner holds it, the app does not open (a second runner would run the same tasks twice);
it says who holds it, and `smallclaw task list/show/pause/…` keep working alongside that runner.
Heavy imports (Textual, httpx clients) wait until the lock is ours, so the refusal is instant.
Telegram, when configured, runs inside the app's process too (started after the runner).
"""

from __future__ import annotations

import argparse
import asyncio

from smallclaw_tui.cli.common import CLIError, settings_from_args
from smallclaw_tui.config import Settings
from smallclaw_tui.store.lock import WorkspaceLock, WorkspaceLocked


def run_tui_command(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    lock = WorkspaceLock(settings.data_dir)
    try:
        lock.acquire(purpose="smallclaw tui")
    except WorkspaceLocked as e:
        raise CLIError(
            f"{e}. The app runs the task queue itself, so it opens only where no other runner is running."
        ) from None
    try:
        return asyncio.run(_run(settings))
    finally:
        lock.release()


async def _run(settings: Settings) -> int:
    from smallclaw_tui.runner.deps import RunnerDeps
    from smallclaw_tui.runner.runner import BackgroundTaskRunner
    from smallclaw_tui.telegram import maybe_start_telegram
    from smallclaw_tui.tui.app import SmallClawApp
    from smallclaw_tui.tui.ports import TelegramPort

    deps = RunnerDeps.for_settings(settings)
    runner = BackgroundTaskRunner(deps)

    async def start_telegram() -> TelegramPort | None:
        # Called by the app once the runner runs; the app stops it after the runner stops, and
        # shows its state in the status bar and its warnings as notifications (not on stderr).
        return await maybe_start_telegram(settings, runner)

    app = SmallClawApp(deps, runner, start_telegram=start_telegram)
    try:
        await app.run_async()
    finally:
        await runner.stop()  # a no-op when the app already stopped it on quit
        if app.telegram is not None:
            await app.telegram.stop()  # only when the app could not stop it itself
        await deps.client.aclose()
    return app.return_code or 0
