"""The core never imports Textual (and nothing below the runner imports telegram).

Modules are found by walking the package on disk, so a new module is covered the day it lands.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import smallclaw_tui

ROOT = Path(smallclaw_tui.__file__).parent
# Below the runner, and the runner itself: neither Textual nor python-telegram-bot.
CORE_PACKAGES = ("store", "llm", "agent", "tools", "runner")
# Above the runner: may use python-telegram-bot (the adapter), never Textual.
FRONT_PACKAGES = ("cli", "telegram", "testing")
# Only here may Textual be imported; it is not walked.
TUI_PACKAGE = "tui"


def _walk(directory: Path, prefix: str) -> list[str]:
    """Every module under `directory`, without importing anything (pkgutil reads the folder)."""
    out: list[str] = []
    for info in pkgutil.iter_modules([str(directory)]):
        if info.name == "__main__":
            continue  # importing it would run the program
        name = f"{prefix}.{info.name}"
        out.append(name)
        if info.ispkg:
            out += _walk(directory / info.name, name)
    return out


def _top_level_modules() -> list[str]:
    """models, config, taskops, textsafe, doctor, …: plain modules beside the packages."""
    return [
        f"smallclaw_tui.{i.name}"
        for i in pkgutil.iter_modules([str(ROOT)])
        if not i.ispkg and i.name != "__main__"
    ]


def _package(name: str) -> list[str]:
    return [f"smallclaw_tui.{name}", *_walk(ROOT / name, f"smallclaw_tui.{name}")]


def no_telegram_modules() -> list[str]:
    modules = ["smallclaw_tui", *_top_level_modules()]
    for pkg in CORE_PACKAGES:
        modules += _package(pkg)
    # The CLI and the telegram package's front door load python-telegram-bot only once a token is
    # configured, so `smallclaw task list` stays quick; the adapter modules themselves may use it.
    modules += [*_package("cli"), "smallclaw_tui.telegram"]
    return modules


def no_textual_modules() -> list[str]:
    modules = no_telegram_modules()
    for pkg in FRONT_PACKAGES:
        modules += _package(pkg)
    return sorted(set(modules))


PROBE = """
import importlib, sys, traceback
blocked = tuple(sys.argv[1].split(","))
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ImportError(f"imported {name}")
        return None
sys.meta_path.insert(0, Block())
bad = []
for mod in sys.argv[2:]:
    try:
        importlib.import_module(mod)
    except ImportError as e:
        bad.append(f"{mod}: {e}")
print("\\n".join(bad) or "ok")
"""


def _probe(blocked: str, modules: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, blocked, *modules], capture_output=True, text=True, timeout=120
    )


def test_the_walk_finds_every_package_and_new_modules() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    # A new package must be placed in a layer here, or this fails and says so.
    assert packages == {*CORE_PACKAGES, *FRONT_PACKAGES, TUI_PACKAGE}, packages
    core = no_telegram_modules()
    for expected in (
        "smallclaw_tui.models",
        "smallclaw_tui.config",
        "smallclaw_tui.taskops",
        "smallclaw_tui.store.journal",
        "smallclaw_tui.llm.ollama",
        "smallclaw_tui.runner.runner",
        "smallclaw_tui.cli.task_cmds",
    ):
        assert expected in core
    assert not any(m.startswith("smallclaw_tui.tui") or m.endswith("__main__") for m in no_textual_modules())
    # One module per .py file outside tui/ (the package itself is __init__.py), none missed.
    files = [p for p in ROOT.rglob("*.py") if p.relative_to(ROOT).parts[0] != TUI_PACKAGE]
    assert len(no_textual_modules()) == len([p for p in files if p.name != "__main__.py"])


def test_core_imports_without_textual_or_telegram() -> None:
    r = _probe("textual,telegram", no_telegram_modules())
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok", r.stdout


def test_nothing_outside_tui_imports_textual() -> None:
    r = _probe("textual", no_textual_modules())
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok", r.stdout
