"""The core never imports Textual (and nothing below the runner imports telegram)."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "smallclaw_tui.models",
    "smallclaw_tui.config",
    "smallclaw_tui.taskops",
    "smallclaw_tui.store.tasks",
    "smallclaw_tui.store.sessions",
    "smallclaw_tui.store.lock",
    "smallclaw_tui.store.control",
    "smallclaw_tui.llm.base",
    "smallclaw_tui.cli.task_cmds",
    "smallclaw_tui.cli.run_cmd",
    "smallclaw_tui.cli.chat_cmd",
    "smallclaw_tui.llm.factory",
    "smallclaw_tui.llm.ollama",
    "smallclaw_tui.llm.openai",
    "smallclaw_tui.agent.session",
    "smallclaw_tui.tools.registry",
    "smallclaw_tui.runner.runner",
    "smallclaw_tui.runner.execute",
    "smallclaw_tui.doctor",
]

PROBE = """
import importlib, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("textual", "telegram"):
            raise ImportError(f"core imported {name}")
        return None
sys.meta_path.insert(0, Block())
for mod in sys.argv[1:]:
    importlib.import_module(mod)
print("ok")
"""


def test_core_imports_without_textual_or_telegram() -> None:
    r = subprocess.run([sys.executable, "-c", PROBE, *CORE], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
