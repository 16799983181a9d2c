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
]
OPTIONAL_CORE = [
    "smallclaw_tui.llm.factory",
    "smallclaw_tui.agent.session",
    "smallclaw_tui.tools.registry",
    "smallclaw_tui.runner.runner",
]

PROBE = """
import importlib, importlib.util, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("textual", "telegram"):
            raise ImportError(f"core imported {name}")
        return None
sys.meta_path.insert(0, Block())
for mod in sys.argv[1:]:
    if importlib.util.find_spec(mod.rsplit(".", 1)[0]) is None:
        continue
    try:
        importlib.import_module(mod)
    except ModuleNotFoundError as e:
        if e.name == mod:
            continue  # a layer not written yet
        raise
print("ok")
"""


def test_core_imports_without_textual_or_telegram() -> None:
    r = subprocess.run([sys.executable, "-c", PROBE, *CORE, *OPTIONAL_CORE], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
