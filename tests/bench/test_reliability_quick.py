"""Smoke test for the reliability benchmark: `--quick` runs end to end, and with the default
settings no task is marked complete while its end state is wrong. No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)
def test_quick_benchmark_runs_and_has_no_false_completions(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    # A subprocess from the repository root: `bench` is a top-level package, not installed.
    proc = subprocess.run(
        [sys.executable, "-m", "bench.reliability", "--quick", "--no-write", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=580,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["profile_errors"] == []
    runs = data["runs"]
    assert {r["config"] for r in runs} >= {"default", "verification=off", "loop_guard=off", "retries=off"}
    false = [
        f"{r['profile']} / {r['task']} / seed {r['seed']}: {r['problems']}"
        for r in runs
        if r["config"] == "default" and r["verdict"] == "false"
    ]
    assert not false, "false completions with the default settings (see bench/reliability/FINDINGS.md):\n" + (
        "\n".join(false)
    )
