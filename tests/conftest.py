from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Tests never read the developer's environment for settings.
for _k in list(os.environ):
    if _k.startswith("SMALLCLAW_") or _k == "OLLAMA_HOST":
        del os.environ[_k]
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
# Nor the developer's own ~/.config/smallclaw/config.toml: an empty config home for the whole run.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="smallclaw-test-config-")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    monkeypatch.chdir(ws)
    return ws
