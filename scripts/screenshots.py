"""Regenerate the SVG screenshots in screenshots/ from the demo workspace.

    .venv/bin/python scripts/screenshots.py            # all of them
    .venv/bin/python scripts/screenshots.py main       # just screenshots/main.svg

The demo has fixed ids and times and a frozen runner, so the files only change when the UI does.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from smallclaw_tui.tui.app import SmallClawApp
from smallclaw_tui.tui.demo import NEEDS_APPROVAL_ID, RUNNING_ID, demo_app, settled
from smallclaw_tui.tui.demo_client import DemoClient

OUT = Path(__file__).resolve().parent.parent / "screenshots"
Step = Callable[[SmallClawApp], Awaitable[None]]


async def _wait(app: SmallClawApp, ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def shoot(
    name: str, size: tuple[int, int], step: Step | None = None, client: DemoClient | None = None
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = demo_app(Path(tmp), client=client)
        async with app.run_test(size=size) as pilot:
            await _wait(app, lambda: settled(app), "the demo to load")
            if step is not None:
                await step(app)
                await _wait(app, lambda: settled(app), "the demo to settle")
            await pilot.pause()
            svg = app.export_screenshot(title="SmallClaw")
    # Rich gives every export a random id; a fixed one keeps regenerated files byte-identical.
    svg = re.sub(r"\bterminal-\d+-", "terminal-smallclaw-", svg)
    path = OUT / f"{name}.svg"
    path.write_text(svg, encoding="utf-8", newline="\n")
    print(f"wrote {path.relative_to(OUT.parent)}")


async def _select_running(app: SmallClawApp) -> None:
    app.board.select(RUNNING_ID, focus=True)


async def _open_needs_you(app: SmallClawApp) -> None:
    app.open_task(NEEDS_APPROVAL_ID)


async def _new_task(app: SmallClawApp) -> None:
    app.action_new_task()
    await asyncio.sleep(0)
    await _press(app, *"Summarise notes/ into notes/summary.md")
    await _press(app, "tab", "tab", *"list notes/", "enter", *"write notes/summary.md", "tab")
    await _press(app, *"file_exists notes/summary.md")


async def _press(app: SmallClawApp, *keys: str) -> None:
    # Pilot-free key presses (run_test's pilot lives in the caller).
    from textual.pilot import Pilot

    await Pilot(app).press(*keys)


STREAM = DemoClient(
    thinking=["The user wants a summary of notes/. ", "I should list the folder, then read each file."],
    chunks=[
        "Here is what I will do:\n",
        "1. list notes/\n",
        "2. read meeting-2026-01-14.md and todo.md\n",
        "3. write a five-line summary to notes/sum",
    ],
    hang=True,
)


async def _chat(app: SmallClawApp) -> None:
    await _press(app, "c", *"summarise my notes", "enter")
    await _wait(app, STREAM.streamed.is_set, "the reply to stream")
    await _wait(
        app,
        lambda: any(b.text.endswith("notes/sum") for b in app.chat.transcript.blocks),
        "the streamed text",
    )


SHOTS: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
    "main": lambda: shoot("main", (140, 40), _select_running),
    "main-80x24": lambda: shoot("main-80x24", (80, 24)),
    "detail-needs-you": lambda: shoot("detail-needs-you", (140, 40), _open_needs_you),
    "chat-streaming": lambda: shoot("chat-streaming", (140, 40), _chat, client=STREAM),
    "new-task": lambda: shoot("new-task", (100, 30), _new_task),
}


def main(argv: list[str]) -> int:
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    names = argv or list(SHOTS)
    unknown = [n for n in names if n not in SHOTS]
    if unknown:
        print(f"unknown screenshot {unknown[0]!r}; choose from {', '.join(SHOTS)}", file=sys.stderr)
        return 2
    OUT.mkdir(exist_ok=True)
    for name in names:
        asyncio.run(SHOTS[name]())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
