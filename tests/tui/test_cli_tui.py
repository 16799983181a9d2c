"""`smallclaw` opens the app; it refuses a workspace that another runner holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from smallclaw_tui.cli import main
from smallclaw_tui.store.lock import WorkspaceLock


def test_refuses_a_workspace_another_runner_holds(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = WorkspaceLock(workspace / ".localclaw")
    lock.acquire(purpose="smallclaw run")
    try:
        assert main([]) == 1
    finally:
        lock.release()
    err = capsys.readouterr().err
    assert "already being run by pid" in err and "smallclaw run" in err
    assert "opens only where no other runner is running" in err


def test_the_package_init_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    code = "import sys, smallclaw_tui.tui; print(any(m.startswith('textual') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
