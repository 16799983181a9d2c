"""TUI benchmark: start-up to first paint, memory at idle with 1,000 tasks, key-press to repaint while
a task streams. Run by hand: `.venv/bin/python -m bench.tui_bench` (writes the "TUI" section of
docs/benchmarks.md; `--no-write` only prints).

* Start-up and memory run the real `smallclaw` command in a pseudo-terminal (100×30), against a
  loopback model server, and watch what it writes: "first paint" is the first frame that shows the
  board ("Queued"), "board loaded" the first that shows the 1,000 finished tasks ("Done 100").
  Memory is the process's resident set size once the board is loaded and the app is idle.
* Key to repaint runs the app in-process (headless, 160×48) with the real runner and 1,000 tasks,
  while the runner streams a long reply from the loopback server (and, in a second run, while the
  chat pane streams one). It times each key press from the moment the key event is sent to the
  end of the first frame that shows its effect (the board cursor moved), so the frame rate (60 Hz)
  is part of what is measured, as it is for a person.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import pty
import select
import statistics
import struct
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import write_section
from smallclaw_tui.runner.verifier import asked_after_worker
from smallclaw_tui.testing import FakeModelServer
from smallclaw_tui.testing.fake_server import ChatRequest, Reply
from smallclaw_tui.tui.demo import write_demo_workspace

SMALLCLAW = Path(sys.executable).with_name("smallclaw")
LONG_TEXT = "Reading the changelog and writing the notes, one line at a time. " * 40


def slow_model(req: ChatRequest) -> Reply:
    """Every answer streams for a few seconds; the verifier (no tools in the reply) says NO."""
    system = req.system_text
    if "You plan work" in system:
        return Reply(text='{"steps": [{"description": "write notes"}, {"description": "check notes"}]}')
    if "You check whether" in system or asked_after_worker(req.texts("user")):
        return Reply(text="VERDICT: NO\nEVIDENCE: none\nREASON: keep going")
    return Reply(text="DONE: " + LONG_TEXT, chunk_size=6, delay_between_s=0.01)


# --- start-up and memory: the real command in a pseudo-terminal ---------------------------------------


# A bare Textual app started the same way: the yardstick the first paint is read against.
BARE = [sys.executable, "-m", "bench.bare_textual"]
ROWS, COLS = 40, 120  # tmux at 120×40, as the issue measured it


def _run_in_pty(
    ws: Path,
    url: str,
    marks: dict[str, bytes],
    timeout: float = 30.0,
    argv: list[str] | None = None,
) -> dict[str, float]:
    """Start `smallclaw` (or `argv`) in `ws`; seconds until each mark appears in its output; plus
    its RSS in KiB."""
    env = dict(os.environ, TERM="xterm-256color", SMALLCLAW_LLM__BASE_URL=url, TEXTUAL_ANIMATIONS="none")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    command = argv or [str(SMALLCLAW)]
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: become smallclaw
        os.chdir(ws)
        os.execve(command[0], command, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    seen: dict[str, float] = {}
    out = b""
    try:
        deadline = t0 + timeout
        while len(seen) < len(marks) and time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.02)
            if ready:
                try:
                    out += os.read(fd, 1 << 16)
                except OSError:
                    break
                now = time.perf_counter() - t0
                for name, mark in marks.items():
                    if name not in seen and mark in out:
                        seen[name] = now
        time.sleep(2.0)  # idle: let start-up work and the first probe finish
        with contextlib.suppress(OSError):
            while select.select([fd], [], [], 0.05)[0]:
                os.read(fd, 1 << 16)
        seen["rss_kib"] = _rss_kib(pid)
    finally:
        os.write(fd, b"\x11")  # ctrl+q
        end = time.monotonic() + 10
        while time.monotonic() < end:
            with contextlib.suppress(OSError):
                if select.select([fd], [], [], 0.05)[0]:
                    os.read(fd, 1 << 16)
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    return seen


def _rss_kib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1])
    return float("nan")


def _compile_bytecode() -> None:
    """What `pip install` does for a package: the app starts from .pyc files, as Textual does.
    (An editable install with PYTHONDONTWRITEBYTECODE set would compile every module on every
    start, which is not what a user runs.)"""
    import compileall

    for package in ("smallclaw_tui", "bench"):
        compileall.compile_dir(Path(__file__).resolve().parent.parent / package, quiet=1)


def startup(runs: int) -> dict[str, Any]:
    _compile_bytecode()
    results: dict[str, Any] = {}
    with FakeModelServer(slow_model) as srv:
        bare: list[float] = []
        for label, extra in (("empty", None), ("1000", 1000)):
            paints, loads, rss = [], [], []
            for _ in range(runs):
                with tempfile.TemporaryDirectory() as tmp:
                    # The yardstick, in turn with the app, so both see the same machine load.
                    bare.append(_run_in_pty(Path(tmp), srv.url, {"paint": b"Queued"}, argv=BARE)["paint"])
                    ws = Path(tmp)
                    marks = {"paint": b"Queued"}
                    if extra is not None:
                        _write_finished(ws, extra)
                        marks["loaded"] = f"Done {extra}".encode()
                    seen = _run_in_pty(ws, srv.url, marks)
                paints.append(seen.get("paint", float("nan")))
                if "loaded" in seen:
                    loads.append(seen["loaded"])
                rss.append(seen["rss_kib"])
            results[label] = {
                "paint": statistics.median(paints),
                "loaded": statistics.median(loads) if loads else None,
                "rss_mib": statistics.median(rss) / 1024,
            }
        results["bare"] = statistics.median(bare)
    return results


def _write_finished(ws: Path, n: int) -> None:
    """`n` finished tasks and nothing else, so the runner stays idle."""
    from smallclaw_tui.models import Task, TaskStatus
    from smallclaw_tui.store.tasks import TaskStore, dump_task

    store = TaskStore(ws / ".localclaw")
    store.ensure()
    for i in range(n):
        task = Task(title=f"Bulk task {i}", prompt=f"bulk task {i}", status=TaskStatus.COMPLETE)
        store.task_path(task.id).write_text(dump_task(task), encoding="utf-8")


# --- key to repaint: in-process, headless ------------------------------------------------------------


async def key_latency(presses: int, *, chat: bool) -> list[float]:
    from textual import events

    from smallclaw_tui.config import load_settings
    from smallclaw_tui.runner.deps import RunnerDeps
    from smallclaw_tui.runner.runner import BackgroundTaskRunner
    from smallclaw_tui.tui.app import AppOptions, SmallClawApp

    with tempfile.TemporaryDirectory() as tmp, FakeModelServer(slow_model) as srv:
        ws = write_demo_workspace(Path(tmp), extra_tasks=1000)
        settings = load_settings(ws)
        settings.llm = srv.llm_settings()
        deps = RunnerDeps.for_settings(settings)
        runner = BackgroundTaskRunner(deps)
        app = SmallClawApp(deps, runner, AppOptions())
        frames: list[float] = []
        waiter: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        display = app._display  # a private hook, for a benchmark only: called once per frame

        def on_frame(*args: Any, **kwargs: Any) -> None:
            display(*args, **kwargs)
            now = time.perf_counter()
            frames.append(now)
            for check, fut in list(waiter):
                if not fut.done() and check():
                    fut.set_result(now)

        app._display = on_frame  # type: ignore[method-assign]
        latencies: list[float] = []
        try:
            async with app.run_test(size=(160, 48)) as pilot:
                await _until(lambda: app.runner_ready and app.board.ids_in("running"), 30)
                await _until(lambda: any(app.board.activity.values()), 30)  # streaming now
                if chat:
                    app.chat.input.value = "tell me a story"
                    await app.chat.input.action_submit()
                    await _until(lambda: app.chat.busy, 10)
                app.board.activate("done", focus=True)
                await pilot.pause()
                cards = app.board.cards("done")
                for i in range(presses):
                    key = "j" if i % 2 == 0 else "k"
                    expected = cards.cursor + (1 if key == "j" else -1)
                    fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
                    waiter.append((partial(_cursor_at, cards, expected), fut))
                    t0 = time.perf_counter()
                    app.post_message(events.Key(key, key))
                    t1 = await asyncio.wait_for(fut, 5)
                    waiter.clear()
                    latencies.append(t1 - t0)
                    await asyncio.sleep(0.03)  # a person's key repeat, not a flood
                assert runner.tasks and any(b for b in app.board.activity.values())
        finally:
            await runner.stop(grace_s=1)
            await deps.client.aclose()
        return latencies


def _cursor_at(cards: Any, index: int) -> bool:
    return bool(cards.cursor == index)


async def _until(predicate: Callable[[], object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("tui_bench: timed out waiting for the app")
        await asyncio.sleep(0.02)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="start-up runs per workspace (median)")
    parser.add_argument("--presses", type=int, default=40, help="key presses per latency run")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md")
    parser.add_argument("--startup-only", action="store_true", help="only start-up (implies --no-write)")
    args = parser.parse_args(argv)

    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    start = startup(args.runs)
    if args.startup_only:
        for label in ("empty", "1000"):
            r = start[label]
            times = r["paint"] / start["bare"]
            print(f"{label}: paint {_ms(r['paint'])} ({times:.2f}× bare {_ms(start['bare'])})")
        if start["1000"]["loaded"]:
            print(f"1000: loaded {_ms(start['1000']['loaded'] - start['1000']['paint'])} after paint")
        return 0
    task_keys = asyncio.run(key_latency(args.presses, chat=False))
    chat_keys = asyncio.run(key_latency(args.presses, chat=True))

    def ratio(label: str) -> str:
        return f"{start[label]['paint'] / start['bare']:.2f}×"

    fill = (start["1000"]["loaded"] or float("nan")) - start["1000"]["paint"]

    def dist(xs: list[float]) -> str:
        xs = sorted(xs)
        p95 = xs[min(len(xs) - 1, int(len(xs) * 0.95))]
        return f"{_ms(statistics.median(xs))} | {_ms(p95)} | {_ms(xs[-1])}"

    body = f"""
`python -m bench.tui_bench`. Start-up and memory: the real `smallclaw` in a pseudo-terminal
({COLS}×{ROWS}), median of {args.runs} runs; the yardstick is a bare Textual app (Header, Static,
Footer: `bench/bare_textual.py`) started the same way, in turn with it, median of {2 * args.runs}
runs. Both start from compiled bytecode, as an installed package does. Key to repaint: the app
in-process (headless, 160×48), real runner, 1,000 finished tasks on the board, {args.presses}
presses of j/k in the Done column, from the key event to the end of the first frame showing the
moved cursor (frames are at most 60 per second).
Load average when it started: {load} (other work on the machine shows up in these numbers).

| what | empty workspace | 1,000 tasks |
|---|---|---|
| start-up to first paint (board frame) | {_ms(start["empty"]["paint"])} | {_ms(start["1000"]["paint"])} |
| the same, as a multiple of a bare Textual app ({_ms(start["bare"])}) | {ratio("empty")} | {ratio("1000")} |
| start-up to the tasks on the board | — | {_ms(start["1000"]["loaded"] or float("nan"))} |
| first paint to the tasks on the board | — | {_ms(fill)} |
| memory (RSS) at idle | {start["empty"]["rss_mib"]:.0f} MiB | {start["1000"]["rss_mib"]:.0f} MiB |

| key to repaint | median | p95 | max |
|---|---|---|---|
| while a background task streams | {dist(task_keys)} |
| while a task and the chat both stream | {dist(chat_keys)} |
"""
    print(body)
    if not args.no_write:
        write_section("TUI", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
