"""The first frame comes before the heavy parts: the board is drawn, then the settings, model client
and runner load in a thread and the tasks fill it (issue 15, first paint)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import pytest

from smallclaw_tui.cli import main
from smallclaw_tui.cli.tui_cmd import load_for
from smallclaw_tui.config_files import ConfigError, first_frame_theme
from smallclaw_tui.models import Task
from smallclaw_tui.store.tasks import TaskStore, dump_task
from smallclaw_tui.testing import FakeModelServer
from smallclaw_tui.tui.app import AppOptions, SmallClawApp
from smallclaw_tui.tui.ports import Loaded
from smallclaw_tui.tui.screens.help import HelpScreen
from smallclaw_tui.tui.screens.new_task import NewTaskScreen
from smallclaw_tui.tui.widgets.chat_pane import ChatInput
from smallclaw_tui.tui.widgets.status import StatusBar
from tests.tui.tui_helpers import World, until

OPTIONS = AppOptions(refresh_s=0.01, tz=UTC, cursor_blink=False, stop_grace_s=0.2, probe_server=False)


def test_the_first_frame_imports_no_pydantic_httpx_or_runner() -> None:
    # What `smallclaw` imports before it draws: the command line, the tui command and the app.
    heavy = [
        "pydantic",
        "httpx",
        "smallclaw_tui.models",
        "smallclaw_tui.config",
        "smallclaw_tui.runner.runner",
    ]
    code = (
        "import sys, smallclaw_tui.cli, smallclaw_tui.cli.tui_cmd, smallclaw_tui.tui.app; "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _gated_load(ws: Path, server: FakeModelServer, gate: threading.Event) -> Callable[[], Loaded]:
    def load() -> Loaded:
        gate.wait(15)  # the settings and runner take this long to load
        loaded = load_for(ws)
        loaded.deps.settings.llm = server.llm_settings()
        return loaded

    return load


async def test_the_board_is_drawn_before_the_runner_loads_and_filled_after(workspace: Path) -> None:
    store = TaskStore(workspace / ".localclaw")
    store.ensure()
    task = Task(title="Waiting in the queue", prompt="do it")
    store.task_path(task.id).write_text(dump_task(task), encoding="utf-8")
    gate = threading.Event()
    with FakeModelServer(World()) as server:
        app = SmallClawApp(load=_gated_load(workspace, server, gate), options=OPTIONS)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            # Drawn: the columns are there, empty; nothing that needs the runner can be used yet.
            assert not app.loaded
            assert app.board.cards("queued").ids == []
            assert app.query_one(ChatInput).disabled
            await pilot.press("n")
            assert not isinstance(app.screen, NewTaskScreen)
            await pilot.press("question_mark")  # help needs nothing loaded
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")

            gate.set()
            await until(pilot, lambda: app.runner_ready, "the runner to start")
            assert app.board.cards("queued").ids == [task.id] or app.board.ids_in("running") == [task.id]
            assert not app.query_one(ChatInput).disabled
            assert app.query_one("#status", StatusBar).info.model == server.llm_settings().model
            await pilot.press("n")
            assert isinstance(app.screen, NewTaskScreen)
            await pilot.press("escape")
        await app.runner.stop(grace_s=0.2)
        await app.deps.client.aclose()


@pytest.mark.parametrize(("size", "theme"), [((120, 40), None), ((80, 24), "nord")])
async def test_the_first_frame_is_styled_as_a_full_restyle_would_style_it(
    workspace: Path, size: tuple[int, int], theme: str | None
) -> None:
    # The first frame skips Textual's restyle of the whole screen after the mount (see _MainScreen).
    gate = threading.Event()
    with FakeModelServer(World()) as server:
        app = SmallClawApp(load=_gated_load(workspace, server, gate), options=OPTIONS, theme=theme)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            drawn = app.export_screenshot()
            app.screen.update_node_styles(animate=False)
            await pilot.pause()
            assert app.export_screenshot() == drawn
            await pilot.press("ctrl+q")
            await until(pilot, lambda: not app.is_running, "the app to close")
        gate.set()


async def test_quitting_before_the_load_finishes_leaves_at_once(workspace: Path) -> None:
    gate = threading.Event()
    with FakeModelServer(World()) as server:
        app = SmallClawApp(load=_gated_load(workspace, server, gate), options=OPTIONS)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+q")
            await until(pilot, lambda: not app.is_running, "the app to close")
            gate.set()
    assert not app.loaded and app.load_error is None


async def test_settings_that_do_not_load_close_the_app_with_one_line(workspace: Path) -> None:
    def load() -> Loaded:
        raise ConfigError(
            f"{workspace}/.localclaw/config.toml: key llm.num_ctx: Input should be a valid integer"
        )

    app = SmallClawApp(load=load, options=OPTIONS)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: not app.is_running, "the app to close")
    assert app.return_code == 1
    assert (
        app.load_error
        == f"{workspace}/.localclaw/config.toml: key llm.num_ctx: Input should be a valid integer"
    )


def test_a_config_file_that_is_not_toml_is_refused_before_the_app_opens(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = workspace / ".localclaw" / "config.toml"
    config.parent.mkdir(exist_ok=True)
    config.write_text("[tui\ntheme = 'nord'\n", encoding="utf-8")
    assert main([]) == 1
    err = capsys.readouterr().err
    assert (
        err.startswith("smallclaw: ") and "config.toml: not valid TOML" in err and len(err.splitlines()) == 1
    )


def test_the_first_frame_is_painted_in_the_configured_theme(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMALLCLAW_TUI__THEME", raising=False)
    config = workspace / ".localclaw" / "config.toml"
    config.parent.mkdir(exist_ok=True)
    assert first_frame_theme(workspace) is None
    config.write_text('[tui]\ntheme = "nord"\n', encoding="utf-8")
    assert first_frame_theme(workspace) == "nord"
    monkeypatch.setenv("SMALLCLAW_TUI__THEME", "gruvbox")
    assert first_frame_theme(workspace) == "gruvbox"  # the environment wins, as in the settings

    def never() -> Loaded:
        raise AssertionError("not called before the first paint")

    assert SmallClawApp(load=never, theme="nord").theme == "nord"
    assert SmallClawApp(load=never, theme="no-such-theme").theme == "textual-dark"


def test_a_refused_start_leaves_the_cycle_collector_on(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import gc

    (workspace / ".localclaw").mkdir()
    (workspace / ".localclaw" / "config.toml").write_text("not toml [", encoding="utf-8")
    assert main([]) == 1
    assert gc.isenabled()
