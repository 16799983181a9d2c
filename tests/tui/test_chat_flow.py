"""Pilot tests of the chat pane: streaming replies, /task, a message turned into a task, results
coming back to the chat, chat-side approvals, and a start with no model server."""

from __future__ import annotations

import threading
from pathlib import Path

from textual.app import App
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from tui_helpers import World, app_env, type_text, until

from smallclaw_tui.agent.events import UsageInfo
from smallclaw_tui.models import ChannelKind, PlanStep, TaskStatus
from smallclaw_tui.store.sessions import SessionStore
from smallclaw_tui.testing import FakeModelServer, free_port
from smallclaw_tui.testing.fake_server import ChatRequest, Reply
from smallclaw_tui.tui.messages import ChatTurnEvent
from smallclaw_tui.tui.screens.approve import ApproveScreen
from smallclaw_tui.tui.screens.new_task import NewTaskScreen
from smallclaw_tui.tui.widgets.board import Board
from smallclaw_tui.tui.widgets.chat_pane import ChatInput, Transcript
from smallclaw_tui.tui.widgets.detail import DetailPane
from smallclaw_tui.tui.widgets.journal import JournalView
from smallclaw_tui.tui.widgets.status import StatusBar


def _texts(log: Transcript, kind: str) -> list[str]:
    return [b.text for b in log.blocks if b.kind == kind]


async def say(pilot: Pilot[None], app: App[None], text: str) -> None:
    """Focus the chat input with `c`, type `text` and send it."""
    await pilot.press("c")
    await until(pilot, lambda: isinstance(app.focused, ChatInput), "the chat input to take focus")
    await type_text(pilot, text)
    await pilot.press("enter")


async def test_chat_reply_then_slash_task_result_comes_back(workspace: Path) -> None:
    world = World(plan=["write c.txt", "write d.txt"], summary="Wrote c.txt and d.txt.")
    seen: list[Message] = []
    async with (
        app_env(workspace, world) as env,
        env.app.run_test(size=(120, 40), message_hook=seen.append) as pilot,
    ):
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.focused, ChatInput), "the chat input to take focus")
        log = app.query_one(Transcript)

        await type_text(pilot, "hi there")
        await pilot.press("enter")
        await until(pilot, lambda: "Hello from the model." in _texts(log, "assistant"), "the reply")
        assert _texts(log, "user")[-1] == "hi there"
        assert app.query_one(StatusBar).info.server == "ready"

        await type_text(pilot, "/task make two files")
        await pilot.press("enter")
        task = next(t for t in runner.tasks.values() if t.prompt == "make two files")
        assert task.origin.session_id == "tui" and task.origin.channel == ChannelKind.TUI
        await until(
            pilot, lambda: runner.tasks[task.id].status == TaskStatus.COMPLETE, "the task to finish", 20
        )
        await until(pilot, lambda: any("is done" in t for t in _texts(log, "task")), "the result in the chat")
        assert any("Wrote c.txt and d.txt." in t for t in _texts(log, "task"))
        # Routine: the result is in this chat and the card in Done; nothing pops up over them.
        assert not any(isinstance(m, Notify) and "Done:" in m.notification.message for m in seen)
        # The runner stored it in this chat's session too, so the next turn's history has it.
        record = await SessionStore(workspace / ".localclaw").load("tui")
        assert record is not None and any(m.name == f"task_{task.id}" for m in record.messages)
        assert (workspace / "c.txt").exists() and (workspace / "d.txt").exists()


async def test_a_chat_message_becomes_a_task_whose_result_comes_back(workspace: Path) -> None:
    seen: list[Message] = []
    world = World(summary="Tidied the notes into c.txt.")
    async with (
        app_env(workspace, world) as env,
        env.app.run_test(size=(120, 40), message_hook=seen.append) as pilot,
    ):
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        await say(pilot, app, "tidy notes")
        log = app.query_one(Transcript)
        await until(pilot, lambda: _texts(log, "assistant"), "the reply")

        await pilot.press("shift+tab")  # input → transcript, shown in the footer as "Messages"
        assert app.focused is log
        # A message is selected as the log takes focus: the newest, so `t` works at once.
        assert log.selected is not None and log.selected.kind == "assistant"
        await pilot.press("up")  # the message before the reply
        assert log.selected is not None and log.selected.text == "tidy notes"
        await pilot.press("t")
        assert isinstance(app.screen, NewTaskScreen)
        await pilot.press("ctrl+s")
        task = next(t for t in runner.tasks.values() if t.prompt == "tidy notes")
        assert task.origin.session_id == "tui"

        # It runs with the scripted model to the end, and the result comes back to this chat.
        await until(
            pilot, lambda: runner.tasks[task.id].status == TaskStatus.COMPLETE, "the task to finish", 20
        )
        done = f"Task {task.id} “tidy notes” is done."
        await until(pilot, lambda: any(t.startswith(done) for t in _texts(log, "task")), "the result")
        assert any("Tidied the notes into c.txt." in t for t in _texts(log, "task"))
        # Routine: the result is in the chat and the card in Done; nothing pops up over them.
        assert not any(isinstance(m, Notify) and m.notification.title == "Task complete" for m in seen)


def _shell_then_answer(req: ChatRequest) -> Reply | str:
    if req.tool_results:
        return "Made chat.txt."
    return Reply.tool("run_shell", {"command": "touch chat.txt"})


async def test_chat_asks_before_running_a_command(workspace: Path) -> None:
    async with (
        app_env(workspace, World(chat=_shell_then_answer)) as env,
        env.app.run_test(size=(120, 40)) as pilot,
    ):
        app = env.app
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        await say(pilot, app, "make it")
        await until(pilot, lambda: isinstance(app.screen, ApproveScreen), "the approval dialog")
        assert "touch chat.txt" in str(app.screen.query_one("#command").render())
        assert not (workspace / "chat.txt").exists()
        await pilot.press("y")
        log = app.query_one(Transcript)
        await until(pilot, lambda: "Made chat.txt." in _texts(log, "assistant"), "the final reply")
        assert (workspace / "chat.txt").exists()
        assert any(t.startswith("run_shell") for t in _texts(log, "tool"))


async def test_starts_without_a_model_server(workspace: Path) -> None:
    async with app_env(workspace, server_up=False) as env, env.app.run_test(size=(80, 24)) as pilot:
        app, runner = env.app, env.runner
        status = app.query_one(StatusBar)
        await until(pilot, lambda: status.info.server == "unreachable", "the probe to fail")
        log = app.query_one(Transcript)
        advice = "\n".join(_texts(log, "error"))
        assert "SMALLCLAW_LLM__BASE_URL" in advice and "smallclaw doctor" in advice

        # The board and the detail still work: a new task goes in, and stops asking for help.
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        await pilot.press("n")
        await type_text(pilot, "offline goal")
        await pilot.press("ctrl+s")
        task = next(t for t in runner.tasks.values() if t.prompt == "offline goal")
        board = app.query_one(Board)
        await until(pilot, lambda: board.column_of_id(task.id) == "needs", "the task to need help")
        assert (runner.tasks[task.id].pause_reason or "").startswith("model server unreachable")
        board.select(task.id, focus=True)
        await pilot.press("enter")
        journal = app.query_one(JournalView)
        await until(pilot, lambda: any(b.kind == "retry" for b in journal.blocks), "the journal")
        assert app.query_one(DetailPane).task_id == task.id


async def test_the_server_coming_up_later_turns_the_status_ready(workspace: Path) -> None:
    port = free_port()
    async with (
        app_env(workspace, server_up=False, port=port, options={"probe_interval_s": 0.1}) as env,
        env.app.run_test(size=(120, 40)) as pilot,
    ):
        app = env.app
        status = app.query_one(StatusBar)
        await until(pilot, lambda: status.info.server == "unreachable", "the first probe to fail")
        with FakeModelServer(World(), port=port):  # started after the app, where it looks
            await until(pilot, lambda: status.info.server == "ready", "the server to be seen")
            log = app.query_one(Transcript)
            assert "Model server is back." in _texts(log, "system")
            assert "ready" in str(status.render())


async def test_a_chat_task_that_is_cancelled_says_so_in_the_chat(workspace: Path) -> None:
    hold = threading.Event()
    async with (
        app_env(workspace, World(hold={"blocker": hold})) as env,
        env.app.run_test(size=(120, 40)) as pilot,
    ):
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        await runner.create_task("blocker", steps=[PlanStep(index=0, description="write a.txt")])
        await say(pilot, app, "/task never mind")
        task = next(t for t in runner.tasks.values() if t.prompt == "never mind")
        board = app.query_one(Board)
        await until(pilot, lambda: board.column_of_id(task.id) == "queued", "the card")
        board.select(task.id, focus=True)
        await pilot.pause()
        await pilot.press("x", "y")
        log = app.query_one(Transcript)
        said = f"Task {task.id} “never mind” was cancelled."
        await until(pilot, lambda: said in _texts(log, "task"), "the chat to be told")
        hold.set()


async def test_a_chat_task_that_needs_you_says_so_in_the_chat(workspace: Path) -> None:
    # The plan's first step runs a command the policy does not allow by itself: the task pauses
    # for approval, and the chat it came from hears about it (and so does the notification area).
    world = World(plan=["run `make deploy`", "write d.txt"])
    seen: list[Message] = []
    async with (
        app_env(workspace, world) as env,
        env.app.run_test(size=(120, 40), message_hook=seen.append) as pilot,
    ):
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        await say(pilot, app, "/task deploy it")
        task = next(t for t in runner.tasks.values() if t.prompt == "deploy it")
        await until(
            pilot, lambda: runner.tasks[task.id].status == TaskStatus.NEEDS_ASSISTANCE, "the pause", 20
        )
        log = app.query_one(Transcript)
        await until(pilot, lambda: any("needs you" in t for t in _texts(log, "task")), "the chat to be told")
        told = next(t for t in _texts(log, "task") if "needs you" in t)
        assert task.id in told and "make deploy" in told
        assert any(
            isinstance(m, Notify)
            and m.notification.title == "Task needs you"
            and m.notification.message == "deploy it: waiting for approval to run: make deploy"
            for m in seen
        )
        record = await SessionStore(workspace / ".localclaw").load("tui")
        assert any("needs you" in m.content and "make deploy" in m.content for m in record.messages)


async def test_status_bar_shows_loading_then_context_use_and_speed(workspace: Path) -> None:
    # A first token slower than `loading_after_s` reads as a model still loading; the reply's own
    # counts then give the context use of that round and the generation speed.
    world = World(chat=lambda req: Reply(text="Loaded and answering.", delay_first_s=1.0, tokens_per_s=23.0))
    seen: list[Message] = []
    async with (
        app_env(workspace, world, options={"loading_after_s": 0.2}, llm__num_ctx=2048) as env,
        env.app.run_test(size=(120, 40), message_hook=seen.append) as pilot,
    ):
        app = env.app
        status = app.query_one(StatusBar)
        await until(pilot, lambda: app.runner_ready and status.info.server == "ready", "the first probe")
        await say(pilot, app, "are you there?")
        await until(pilot, lambda: status.info.server == "loading", "the slow first token to show as loading")
        assert "loading" in str(status.render())
        log = app.query_one(Transcript)
        await until(pilot, lambda: "Loaded and answering." in _texts(log, "assistant"), "the reply")
        await until(pilot, lambda: status.info.tokens_per_s is not None, "the speed")
        # The last round's usage (the hook sees a message once per node it passes through).
        usages = [m.event for m in seen if isinstance(m, ChatTurnEvent) and isinstance(m.event, UsageInfo)]
        usage = usages[-1]
        pct = round(100 * usage.prompt_tokens / 2048)
        shown = str(status.render())
        assert status.info.server == "ready" and "ready" in shown
        assert pct > 0 and f"ctx {pct}%" in shown and "23 tok/s" in shown
