"""Shared pieces of the TUI tests: a scripted model routed by request kind, the app in a workspace,
and waiting on state with a deadline (never a bare sleep)."""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from smallclaw_tui.config import TelegramSettings, load_settings
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.runner.verifier import asked_after_worker
from smallclaw_tui.telegram import maybe_start_telegram
from smallclaw_tui.telegram.outbox import TelegramTuning
from smallclaw_tui.testing import FakeModelServer
from smallclaw_tui.testing.fake_server import ChatRequest, Reply
from smallclaw_tui.tui.app import AppOptions, SmallClawApp
from smallclaw_tui.tui.ports import StartTelegram, TelegramPort


def kind(req: ChatRequest) -> str:
    system = req.system_text
    if "You review a change" in system:
        return "review"
    if "You check whether" in system or asked_after_worker(req.texts("user")):
        return "verify"
    if "short, factual summaries" in system:
        return "summary"
    if "You plan work" in system:
        return "plan"
    if "doing one step of a task" in system:
        return "step"
    return "chat"


@dataclass
class World:
    """A small honest model: each step writes the file its description names, or runs the command
    in backquotes, then says DONE; the verifier cites the last tool result.

    `hold[marker]` makes step requests whose goal contains `marker` wait for that event, which is
    how a test keeps a task running (or another one queued) for exactly as long as it wants.
    """

    hold: dict[str, threading.Event] = field(default_factory=dict)
    chat: Callable[[ChatRequest], Reply | str] = lambda req: "Hello from the model."
    summary: str = "Summary text."
    plan: list[str] = field(default_factory=lambda: ["write c.txt", "check c.txt again"])

    def __call__(self, req: ChatRequest) -> Reply | str:
        k = kind(req)
        if k == "verify":
            # Successful results are shown as "- R1: CALL → RESULT"; cite the last one's label.
            labels = re.findall(r"^- (R\d+): ", req.last_user_text, re.M)
            if not labels:
                return "VERDICT: NO\nEVIDENCE: none\nREASON: no tool was called"
            return f"VERDICT: YES\nEVIDENCE: {labels[-1]}\nREASON: the tool result shows it"
        if k == "review":
            return "VERDICT: YES\nREASON: the diff does what the goal asks"
        if k == "summary":
            return self.summary
        if k == "plan":
            return json.dumps({"steps": [{"description": d} for d in self.plan]})
        if k == "chat":
            return self.chat(req)
        prompt = req.texts("user")[0]
        for marker, event in self.hold.items():
            if marker in prompt:
                event.wait(15)
        results = req.tool_results
        if results and ("wrote" in results[-1] or results[-1].startswith("exit 0")):
            return "DONE: did the step"
        step = prompt.split("Current step (", 1)[1].split(": ", 1)[1].splitlines()[0]
        command = re.search(r"`([^`]+)`", step)
        if command:
            return Reply.tool("run_shell", {"command": command.group(1)})
        path = step.split()[-1]
        return Reply.tool("write_file", {"path": path, "content": "hello"})


@dataclass
class Env:
    app: SmallClawApp
    runner: BackgroundTaskRunner
    deps: RunnerDeps
    server: FakeModelServer | None
    workspace: Path


@asynccontextmanager
async def app_env(
    ws: Path,
    world: World | None = None,
    *,
    server_up: bool = True,
    port: int | None = None,
    options: dict[str, Any] | None = None,
    telegram: TelegramSettings | None = None,
    telegram_tuning: TelegramTuning | None = None,
    **overrides: Any,
) -> AsyncIterator[Env]:
    """The real app with the real runner, in `ws`, talking to a loopback scripted model.

    `server_up=False` starts it with nothing listening (at `port` when given, so a test can start
    a server there later); `options` overrides AppOptions fields. With `telegram`, the app starts
    the Telegram adapter next to its runner, as `smallclaw` does when a token is configured.
    """
    server = FakeModelServer(world or World()).start() if server_up else None
    try:
        settings = load_settings(ws)
        if server is not None:
            settings.llm = server.llm_settings()
        else:
            from smallclaw_tui.testing import unreachable_url

            settings.llm.base_url = unreachable_url() if port is None else f"http://127.0.0.1:{port}"
            settings.llm.connect_timeout_s = 1
        settings.runner.retry_base_s = 0.01
        settings.runner.retry_max_s = 0.02
        settings.runner.retry_max_attempts = 1
        # The scheduler wakes on every intent; its poll is only for other processes' requests.
        settings.runner.control_poll_s = 5.0
        for key, value in overrides.items():
            section, name = key.split("__")
            setattr(getattr(settings, section), name, value)
        deps = RunnerDeps.for_settings(settings)
        deps.rng = random.Random(7)
        runner = BackgroundTaskRunner(deps)
        # A short grace: a task mid-round at the end of a test is cancelled, not waited for.
        app_options = AppOptions(
            **{"refresh_s": 0.01, "tz": UTC, "cursor_blink": False, "stop_grace_s": 0.2, **(options or {})}
        )
        start_telegram: StartTelegram | None = None
        if telegram is not None:
            settings.telegram = telegram

            async def start_telegram() -> TelegramPort | None:
                return await maybe_start_telegram(settings, runner, tuning=telegram_tuning)

        app = SmallClawApp(deps, runner, app_options, start_telegram=start_telegram)
        try:
            yield Env(app, runner, deps, server, ws)
        finally:
            await runner.stop(grace_s=0.2)
            await deps.client.aclose()
    finally:
        if server is not None:
            for event in world.hold.values() if world else ():
                event.set()
            server.stop()


class SlowSummary(World):
    """The summary waits for `release` (a small model takes ~20 s there) and says when it began."""

    def __init__(self) -> None:
        super().__init__()
        self.summarizing = threading.Event()
        self.release = threading.Event()

    def __call__(self, req: ChatRequest) -> Reply | str:
        if kind(req) == "summary":
            self.summarizing.set()
            self.release.wait(15)
        return super().__call__(req)


async def until(pilot: Pilot[Any], predicate: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    """Let the app work until `predicate()` holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        # A short pause lets the runner, the loopback server's thread and the UI all move on.
        await pilot.pause(0.01)


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*text)


_TEXT = re.compile(
    r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+"[^>]*clip-path="url\(#[\w-]*line-(\d+)\)">([^<]*)</text>'
)


def screen_text(svg: str) -> str:
    """The characters of an exported screenshot, row by row (for asserting what is on screen)."""
    import html

    rows: dict[int, list[tuple[float, str]]] = {}
    for m in _TEXT.finditer(svg):
        rows.setdefault(int(m.group(2)), []).append(
            (float(m.group(1)), html.unescape(m.group(3)).replace("\n", ""))
        )
    lines = []
    for n in sorted(rows):
        line = ""
        for x, text in sorted(rows[n]):
            column = round(x / 12.2)  # Rich's SVG export: 12.2 px per cell
            line = line.ljust(column)[:column] + text
        lines.append(line.replace("\xa0", " "))
    return "\n".join(lines)


# What a terminal would obey rather than show: C0 controls (but the SVG's own line breaks), DEL, C1.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def control_characters(svg: str) -> list[str]:
    """Control characters anywhere in an exported screenshot (each one would reach the terminal)."""
    return sorted({f"\\x{ord(c):02x}" for c in _CONTROL.findall(svg)})
