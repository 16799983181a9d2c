"""The same tasks through the command line: `smallclaw task add` + `smallclaw run --until-idle`.

The main benchmark drives the runner in-process; this cross-check runs a few tasks through the
headless CLI in subprocesses (settings from SMALLCLAW_* variables), so the numbers are known to
hold for the way the runner is really started.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.reliability import endstate
from bench.reliability.configs import READ_TIMEOUT_S, RETRY_SCALE
from bench.reliability.harness import Bench
from bench.reliability.profiles import make
from bench.reliability.profiles.base import Ctx
from bench.reliability.spec import BenchTask
from bench.reliability.suite import BY_ID
from smallclaw_tui.config import RunnerSettings
from smallclaw_tui.store.tasks import TaskStore

CASES = (
    ("honest", "port-change"),
    ("honest", "backup-settings"),
    ("liar", "status-flow"),
    ("looper", "readme"),
)
_CLI = "from smallclaw_tui.cli import main; raise SystemExit(main())"


@dataclass(frozen=True, slots=True)
class CliResult:
    profile: str
    task: str
    status: str
    end_ok: bool
    exit_code: int


def _spec_toml(task: BenchTask) -> str:
    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"prompt = {q(task.goal)}"]
    if task.mode == "explicit":
        for step in task.steps:
            lines += ["", "[[steps]]", f"description = {q(step.text)}"]
            for c in step.checks:
                fields = ", ".join(
                    f"{k} = {q(str(v))}" for k, v in c.model_dump(exclude_defaults=True).items()
                )
                lines.append(f"checks = [{{kind = {q(c.kind)}{', ' + fields if fields else ''}}}]")
    return "\n".join(lines) + "\n"


def _env(url: str, ws: Path) -> dict[str, str]:
    rs = RunnerSettings()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMALLCLAW_") and k != "OLLAMA_HOST"}
    env.update(
        SMALLCLAW_WORKSPACE=str(ws),
        SMALLCLAW_LLM__BASE_URL=url,
        SMALLCLAW_LLM__READ_TIMEOUT_S=str(READ_TIMEOUT_S),
        SMALLCLAW_RUNNER__RETRY_BASE_S=str(rs.retry_base_s * RETRY_SCALE),
        SMALLCLAW_RUNNER__RETRY_MAX_S=str(rs.retry_max_s * RETRY_SCALE),
    )
    return env


def _run_case(bench: Bench, profile: str, task: BenchTask, root: Path) -> CliResult:
    ws = Path(tempfile.mkdtemp(prefix=f"cli-{task.id}-", dir=root))
    endstate.seed_workspace(task, ws)
    bench.policy = make(profile, Ctx(random.Random(f"cli:{profile}:{task.id}"), bench.server, READ_TIMEOUT_S))
    spec = root / f"{task.id}.toml"
    spec.write_text(_spec_toml(task), encoding="utf-8")
    env = _env(bench.server.url, ws)
    add = _smallclaw(["task", "add", "--spec", str(spec)], env)
    run = _smallclaw(["run", "--until-idle"], env)
    loaded = asyncio.run(TaskStore(ws / ".localclaw").load_all())
    status = loaded.tasks[0].status.value if add.returncode == 0 and loaded.tasks else "not created"
    return CliResult(profile, task.id, status, endstate.judge(task, ws).ok, run.returncode)


def _smallclaw(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CLI, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def run_cli_cases() -> list[CliResult]:
    with tempfile.TemporaryDirectory(prefix="smallclaw-cli-") as tmp, Bench(Path(tmp)) as bench:
        return [_run_case(bench, p, BY_ID[t], Path(tmp)) for p, t in CASES]
