"""Sandbox benchmark: what running a shell command in bubblewrap costs per command.

Run: `.venv/bin/python -m bench.sandbox_bench` (writes the "Sandbox" section of docs/benchmarks.md).
Both sides go through the app's own `run_command`, so the numbers include what a tool call pays
(process start, pipes, and for the sandbox its mount points and lock), not bwrap alone.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import write_section
from smallclaw_tui.config import ToolSettings
from smallclaw_tui.tools.sandbox import Sandbox, probe_sandbox
from smallclaw_tui.tools.shell import run_command

RUNS = 50


async def _times(workspace: Path, sandbox: Sandbox | None, runs: int = RUNS) -> list[float]:
    await run_command("true", workspace, timeout_s=10, max_chars=100, sandbox=sandbox)  # warm up
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        code, output = await run_command("true", workspace, timeout_s=10, max_chars=100, sandbox=sandbox)
        out.append(time.perf_counter() - t0)
        assert code == 0, output
    return out


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "unknown"


async def main() -> None:
    status = probe_sandbox(ToolSettings())
    if status.sandbox is None:
        raise SystemExit(f"no sandbox to measure: {status.reason}")
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        bare = await _times(ws, None)
        boxed = await _times(ws, status.sandbox)
    rows = []
    for name, times in (("bare `sh -c true`", bare), ("sandboxed `true` (bwrap + prlimit + sh)", boxed)):
        ms = [t * 1000 for t in times]
        rows.append(
            f"| {name} | {statistics.median(ms):.1f} ms | {min(ms):.1f} ms | "
            f"{statistics.quantiles(ms, n=10)[-1]:.1f} ms |"
        )
    extra = (statistics.median(boxed) - statistics.median(bare)) * 1000
    body = "\n".join(
        [
            f"`python -m bench.sandbox_bench` at commit {_commit()}, {status.sandbox.bwrap}. Wall time of",
            f"one command through `run_command`, {RUNS} runs each after one warm-up (load average",
            f"{os.getloadavg()[0]:.1f} at the end: the machine is shared, so the spread is wide).",
            "",
            "| what | median | min | p90 |",
            "|---|---|---|---|",
            *rows,
            "",
            f"The sandbox adds **{extra:.1f} ms** per command (median).",
        ]
    )
    print(body)
    write_section("Sandbox", body)


if __name__ == "__main__":
    asyncio.run(main())
