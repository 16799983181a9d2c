"""`smallclaw run` as a real process: kill -9 mid-task, SIGTERM, until-idle, the lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from runner_helpers import honest_verifier, kind

from smallclaw_tui.testing import FakeModelServer
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

FILES = [("a.txt", "one"), ("b.txt", "two"), ("c.txt", "three")]


def slow_honest(req: ChatRequest) -> Reply:
    k = kind(req)
    if k == "verify":
        return honest_verifier(req)
    if k == "summary":
        return Reply(text="wrote three files")
    step = int(req.last_user_text.split("Current step (", 1)[1].split(" ", 1)[0])
    if req.tool_results or "Tool results so far in this step" in req.last_user_text:
        return Reply(text="DONE", delay_first_s=0.2)
    path, text = FILES[step - 1]
    return Reply.tool("write_file", {"path": path, "content": text}, delay_first_s=0.2)


def _spec(ws: Path) -> Path:
    spec = ws / "spec.toml"
    spec.write_text(
        'prompt = "write three files"\n'
        + "".join(
            f'[[steps]]\ndescription = "write {p}"\n[[steps.checks]]\nkind = "file_contains"\n'
            f'path = "{p}"\ntext = "{t}"\n'
            for p, t in FILES
        )
    )
    return spec


def _env(ws: Path, srv: FakeModelServer) -> dict[str, str]:
    return {
        **os.environ,
        "SMALLCLAW_WORKSPACE": str(ws),
        "SMALLCLAW_LLM__BASE_URL": srv.url,
        "SMALLCLAW_RUNNER__RETRY_BASE_S": "0.05",
        "SMALLCLAW_RUNNER__CONTROL_POLL_S": "0.05",
        "PYTHONUNBUFFERED": "1",
    }


def _smallclaw(*args: str, env: dict[str, str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smallclaw_tui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        **kw,
    )  # type: ignore[call-overload,no-any-return]


class FilePoller(threading.Thread):
    """Reads every task file as fast as it can; counts any read that is not valid JSON."""

    def __init__(self, tasks_dir: Path) -> None:
        super().__init__(daemon=True)
        self.tasks_dir = tasks_dir
        self.reads = 0
        self.bad: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for p in self.tasks_dir.glob("*.json"):
                try:
                    raw = p.read_bytes()
                except FileNotFoundError:
                    continue
                self.reads += 1
                try:
                    json.loads(raw)
                except ValueError:
                    self.bad.append(raw[:80].decode("utf-8", "replace"))


def test_kill_9_mid_task_then_run_until_idle_completes_without_losing_journal(workspace: Path) -> None:
    with FakeModelServer(slow_honest) as srv:
        env = _env(workspace, srv)
        tid = _smallclaw("task", "add", "--spec", str(_spec(workspace)), env=env).stdout.strip()
        journal = workspace / ".localclaw" / "tasks" / f"{tid}.journal.jsonl"
        poller = FilePoller(workspace / ".localclaw" / "tasks")
        poller.start()
        proc = subprocess.Popen(
            [sys.executable, "-m", "smallclaw_tui", "run"], env=env, stdout=subprocess.PIPE, text=True
        )
        try:
            # Kill once the second step is under way (a.txt written, b.txt not yet).
            deadline = time.time() + 30
            while time.time() < deadline and not (workspace / "a.txt").exists():
                time.sleep(0.02)
            deadline = time.time() + 30
            while time.time() < deadline and "step 2" not in journal.read_text():
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
        before = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
        state = json.loads((workspace / ".localclaw" / "tasks" / f"{tid}.json").read_text())
        assert state["status"] == "running" and not (workspace / "c.txt").exists()

        done = _smallclaw("run", "--until-idle", env=env)
        poller.stop.set()
        poller.join()
    assert done.returncode == 0, done.stderr
    final = json.loads(_smallclaw("task", "show", tid, "--json", env=env).stdout)
    assert final["status"] == "complete"
    assert [(p.read_text()) for p in (workspace / f for f, _ in FILES)] == [t for _, t in FILES]
    after = final["journal"]
    assert after[: len(before)] == before, "an entry written before the kill was lost or changed"
    assert any("resuming after the runner stopped" in e["content"] for e in after)
    assert poller.reads > 20 and poller.bad == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT (Ctrl-C)"])
def test_a_stop_signal_stops_running_tasks_at_a_safe_point_for_the_next_start_and_exits_0(
    workspace: Path, sig: signal.Signals
) -> None:
    with FakeModelServer(slow_honest) as srv:
        env = _env(workspace, srv)
        tid = _smallclaw("task", "add", "--spec", str(_spec(workspace)), env=env).stdout.strip()
        proc = subprocess.Popen(
            [sys.executable, "-m", "smallclaw_tui", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if "tool write_file" in line:
                break
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "stopping at a safe point" in out and "Traceback" not in out + err
    task = json.loads((workspace / ".localclaw" / "tasks" / f"{tid}.json").read_text())
    # Not parked: the next start carries on with it, as after a crash (issue 14).
    assert task["status"] == "queued"
    journal = _smallclaw("task", "show", tid, "--json", env=env).stdout
    assert "continues at the next start" in journal


def test_run_until_idle_exits_0_whatever_the_outcome_and_a_second_runner_is_refused(workspace: Path) -> None:
    def liar(req: ChatRequest) -> Reply:
        return Reply(text="VERDICT: YES\nEVIDENCE: x\nREASON: y" if kind(req) == "verify" else "DONE")

    with FakeModelServer(liar) as srv:
        env = _env(workspace, srv)
        tid = _smallclaw("task", "add", "goal", "--step", "do it", env=env).stdout.strip()
        proc = subprocess.Popen(
            [sys.executable, "-m", "smallclaw_tui", "run"], env=env, stdout=subprocess.PIPE, text=True
        )
        try:
            assert proc.stdout is not None
            proc.stdout.readline()  # started
            second = _smallclaw("run", "--until-idle", env=env)
            assert second.returncode == 1 and "already being run by pid" in second.stderr
            assert second.stderr.count("\n") == 1
            listed = _smallclaw("task", "list", env=env)
            assert listed.returncode == 0 and tid in listed.stdout
        finally:
            proc.send_signal(signal.SIGTERM)
            first_out, _ = proc.communicate(timeout=30)
        done = _smallclaw("run", "--until-idle", env=env)
    assert proc.returncode == 0 and done.returncode == 0
    assert (
        json.loads(_smallclaw("task", "show", tid, "--json", env=env).stdout)["status"] == "needs_assistance"
    )
    assert "NEEDS YOU" in first_out + done.stdout


def test_run_with_a_bad_config_exits_1_with_one_line(workspace: Path) -> None:
    (workspace / ".localclaw").mkdir()
    (workspace / ".localclaw" / "config.toml").write_text("[runner]\nmax_concurrent = 0\n")
    r = _smallclaw("run", "--until-idle", env={**os.environ, "SMALLCLAW_WORKSPACE": str(workspace)})
    assert r.returncode == 1 and "runner.max_concurrent" in r.stderr and r.stderr.count("\n") == 1


def test_run_until_idle_can_fail_when_a_task_needs_you_and_never_counts_past_the_last_step(
    workspace: Path,
) -> None:
    """For cron: `--fail-on-needs-you` exits 3 and names the tasks; a 2-step task prints no "step 3"."""

    def liar(req: ChatRequest) -> Reply:
        return Reply(text="VERDICT: YES\nEVIDENCE: x\nREASON: y" if kind(req) == "verify" else "DONE")

    with FakeModelServer(slow_honest) as srv:
        env = _env(workspace, srv)
        _smallclaw("task", "add", "--spec", str(_spec(workspace)), env=env)
        done = _smallclaw("run", "--until-idle", "--fail-on-needs-you", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "step 3: write c.txt" in done.stdout and "step 4" not in done.stdout
    # The long silent model calls are said as they start (a round has its own line).
    assert "] verifying step 3…" in done.stdout and "] summarizing…" in done.stdout
    assert "try 1…" not in done.stdout
    with FakeModelServer(liar) as srv:
        env = _env(workspace, srv)
        tid = _smallclaw("task", "add", "goal", "--step", "do it", env=env).stdout.strip()
        failed = _smallclaw("run", "--until-idle", "--fail-on-needs-you", env=env)
    assert failed.returncode == 3
    assert failed.stderr.strip() == f"smallclaw: 1 task needs you: {tid}"
