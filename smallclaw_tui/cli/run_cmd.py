"""`smallclaw run [--until-idle]`: the runner, headless, until idle or until a signal."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import TYPE_CHECKING

from smallclaw_tui.cli.common import CLIError, settings_from_args
from smallclaw_tui.cli.printer import ProgressPrinter
from smallclaw_tui.config import Settings
from smallclaw_tui.models import TaskStatus
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.store.lock import WorkspaceLock, WorkspaceLocked
from smallclaw_tui.telegram import maybe_start_telegram
from smallclaw_tui.textsafe import printable, redact_url

if TYPE_CHECKING:
    from smallclaw_tui.telegram.adapter import TelegramAdapter


def run_runner_command(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    lock = WorkspaceLock(settings.data_dir)
    try:
        lock.acquire(purpose="smallclaw run")
    except WorkspaceLocked as e:
        raise CLIError(str(e)) from None
    try:
        return asyncio.run(
            _run(settings, until_idle=args.until_idle, fail_on_needs_you=args.fail_on_needs_you)
        )
    finally:
        lock.release()


# The exit status of `run --fail-on-needs-you` when a task waits for the user (1 and 2 are errors).
NEEDS_YOU_EXIT = 3


async def _run(settings: Settings, *, until_idle: bool, fail_on_needs_you: bool = False) -> int:
    deps = RunnerDeps.for_settings(settings)
    runner = BackgroundTaskRunner(deps)
    deps.bus.on(ProgressPrinter())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    telegram: TelegramAdapter | None = None
    try:
        await runner.start()
        telegram = await maybe_start_telegram(settings, runner)
        if telegram is not None:
            print(telegram.describe(), flush=True)
            if telegram.restored:
                print(f"telegram: {telegram.restored} message(s) from an earlier run to send", flush=True)
        for p in runner.problems:  # the adapter logs its own (unreadable outbox files)
            print(f"smallclaw: quarantined {printable(str(p))}", file=sys.stderr)
        where = redact_url(settings.llm.base_url)
        print(f"runner started in {settings.workspace} with {settings.llm.model} at {where}", flush=True)
        waiters: list[asyncio.Task[object]] = [asyncio.create_task(stop.wait())]
        if until_idle:
            waiters.append(asyncio.create_task(runner.wait_until_idle()))
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for w in waiters:
            w.cancel()
        if stop.is_set():
            print("stopping at a safe point…", flush=True)
    finally:
        await runner.stop()
        if telegram is not None:
            # After the runner, so a task that finished just before --until-idle returned still
            # gets its message out (within the adapter's grace). What misses it waits in
            # .localclaw/outbox/ and goes out at the next start; the task journal says so.
            await telegram.stop()
            if telegram.left_queued:
                print(
                    f"telegram: {telegram.left_queued} message(s) not sent yet "
                    f"({printable(telegram.last_error or 'Telegram did not answer in time')}); "
                    "queued for the next start",
                    flush=True,
                )
        await deps.client.aclose()
    counts: dict[str, int] = {}
    for t in runner.tasks.values():
        counts[t.status.value] = counts.get(t.status.value, 0) + 1
    print(
        "runner stopped: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no tasks"),
        flush=True,
    )
    waiting = sorted(t.id for t in runner.tasks.values() if t.status is TaskStatus.NEEDS_ASSISTANCE)
    if fail_on_needs_you and waiting:
        verb = "task needs" if len(waiting) == 1 else "tasks need"
        print(f"smallclaw: {len(waiting)} {verb} you: {', '.join(waiting)}", file=sys.stderr)
        return NEEDS_YOU_EXIT
    return 0
