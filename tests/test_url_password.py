"""A password in `llm.base_url` is shown as `***` in everything the programs print or record."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from smallclaw_tui.testing.fake_server import unreachable_url
from smallclaw_tui.textsafe import redact_url

PASSWORD = "s3cret-pw"


def _run(ws: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SMALLCLAW_WORKSPACE": str(ws),
        "SMALLCLAW_LLM__BASE_URL": url,
        "SMALLCLAW_LLM__CONNECT_TIMEOUT_S": "2",
        "SMALLCLAW_RUNNER__RETRY_MAX_ATTEMPTS": "1",
        "SMALLCLAW_RUNNER__RETRY_BASE_S": "0.01",
    }
    return subprocess.run(
        [sys.executable, "-m", "smallclaw_tui", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_an_unreachable_server_with_a_password_in_its_url(workspace: Path) -> None:
    url = unreachable_url().replace("http://", f"http://user:{PASSWORD}@")
    shown = url.replace(PASSWORD, "***")

    chat = _run(workspace, url, "chat", "hello")
    assert chat.returncode == 1 and "refused" in chat.stderr
    assert shown in chat.stderr and PASSWORD not in chat.stdout + chat.stderr

    doctor = _run(workspace, url, "doctor")
    assert doctor.returncode == 1 and "FAIL" in doctor.stdout
    assert shown in doctor.stdout and PASSWORD not in doctor.stdout + doctor.stderr

    added = _run(workspace, url, "task", "add", "say hi", "--step", "say hi")
    assert added.returncode == 0, added.stderr
    run = _run(workspace, url, "run", "--until-idle")
    assert run.returncode == 0, run.stderr
    assert f"at {shown}" in run.stdout and PASSWORD not in run.stdout + run.stderr

    show = _run(workspace, url, "task", "show", added.stdout.strip())
    assert f"model server unreachable at {shown}" in show.stdout and PASSWORD not in show.stdout
    files = [p for p in (workspace / ".localclaw").rglob("*") if p.is_file()]
    assert any(p.suffix == ".jsonl" for p in files)  # the journal, not only the task file
    for p in files:
        assert PASSWORD not in p.read_text(errors="replace"), p


def test_redact_url_keeps_everything_but_the_password() -> None:
    assert redact_url("http://user:s3cret@host:11434/v1") == "http://user:***@host:11434/v1"
    assert redact_url("https://tok%40en@host/") == "https://***@host/"  # a user part alone may be a token
    assert redact_url("http://host:11434") == "http://host:11434"
    assert redact_url("http://u:p@ss@host/x?y=1") == "http://u:***@host/x?y=1"
