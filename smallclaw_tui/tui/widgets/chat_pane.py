"""The chat pane: a streaming transcript (one virtualized widget) and an input with history.

Thinking is shown apart, folded to two lines until expanded; tool calls and results are one or
two lines each. `/task GOAL` turns the conversation into a background task; `t` on a selected
message opens the new-task dialog with that message as the goal. Results of tasks started here
come back into this transcript.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static
from textual.worker import Worker

from smallclaw_tui.status import Role
from smallclaw_tui.textsafe import printable
from smallclaw_tui.tui.messages import (
    ChatHistoryLoaded,
    ChatStream,
    ChatTurnDone,
    ChatTurnEvent,
    ChatTurnFailed,
)
from smallclaw_tui.tui.text import flat
from smallclaw_tui.tui.widgets.blocklog import Block, BlockLog

if TYPE_CHECKING:
    from smallclaw_tui.models import ChatMessage
    from smallclaw_tui.runner.deps import RunnerDeps
    from smallclaw_tui.tui.chat import ChatController

HELP_TEXT = (
    "Type a message and press Enter. /task GOAL starts a background task whose result comes back "
    "here. shift+tab goes to the messages (the newest is selected): up/down select another, t "
    "turns it into a task, Enter expands it, Esc goes back to the input."
)
TURN_GROUP = "chat-turn"  # the worker group of a chat turn (the app reports its failures here)
KINDS = ("user", "assistant", "thinking", "tool", "result", "fail", "system", "error", "task")


class Transcript(BlockLog):
    COMPONENT_CLASSES: ClassVar[set[str]] = BlockLog.COMPONENT_CLASSES | {f"blocklog--{k}" for k in KINDS}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "to_task", "To task", id="chat.to_task"),
        Binding("enter", "toggle_block", "Expand", id="chat.expand"),
        Binding("escape", "leave", "Back to the input", id="chat.leave", show=False),
    ]
    DEFAULT_CSS = """
    Transcript {
        & > .blocklog--user { color: $text-primary; text-style: bold; }
        & > .blocklog--assistant { color: $success; text-style: bold; }
        & > .blocklog--thinking { color: $text-muted; text-style: italic; }
        & > .blocklog--tool { color: $accent; }
        & > .blocklog--result { color: $text; }
        & > .blocklog--fail { color: $text-error; }
        & > .blocklog--system { color: $text-muted; text-style: bold; }
        & > .blocklog--error { color: $text-error; text-style: bold; }
        & > .blocklog--task { color: $warning; text-style: bold; }
    }
    """

    class ToTask(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def on_focus(self) -> None:
        # A message is selected as the log takes focus, so `t` and Enter act at once.
        if self.cursor is None:
            self.action_cursor(-1)

    def action_to_task(self) -> None:
        block = self.selected
        if block is None:
            self.app.bell()
            return
        # The dialog's text area draws what it holds as is: never raw model text.
        self.post_message(self.ToTask(printable(block.text)))

    def action_toggle_block(self) -> None:
        if self.cursor is None:
            self.action_cursor(-1)
        self.toggle()

    def action_leave(self) -> None:
        self.clear_cursor()
        self.screen.query_one(ChatInput).focus()


class ChatInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history(-1)", "Previous message", id="chat.history_prev", show=False),
        Binding("down", "history(1)", "Next message", id="chat.history_next", show=False),
        # Shown: in the input every letter is typed, so this is the way out people look for.
        Binding("escape", "app.focus_pane('board')", "Leave the chat", id="chat.to_board"),
        # Shown too: the messages (select one, `t` makes it a task) are a key away, not a secret.
        Binding("shift+tab", "to_messages", "Messages", id="chat.to_messages"),
    ]

    def __init__(self, *, id: str | None = None, disabled: bool = False) -> None:
        super().__init__(
            placeholder="message, or /task GOAL   (Enter sends, Esc leaves)", id=id, disabled=disabled
        )
        self.history: list[str] = []
        self._pos = 0

    def action_to_messages(self) -> None:
        self.screen.query_one(Transcript).focus()

    def remember(self, text: str) -> None:
        # Recalled into the input, which draws what it holds as is: control characters made visible.
        text = printable(text)
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
        self._pos = len(self.history)

    def action_history(self, delta: int) -> None:
        if not self.history:
            return
        self._pos = max(0, min(len(self.history), self._pos + delta))
        self.value = printable(self.history[self._pos]) if self._pos < len(self.history) else ""
        self.cursor_position = len(self.value)


def _args(arguments: dict[str, object]) -> str:
    return json.dumps(arguments, ensure_ascii=False)


def said(who: str, at: datetime, tz: tzinfo | None) -> str:
    """A message's label: when it was said (HH:MM in `tz`, local when None) and by whom."""
    return f"{at.astimezone(tz):%H:%M} {who}"


def blocks_for_history(messages: list[ChatMessage], tz: tzinfo | None = None) -> list[Block]:
    out: list[Block] = []
    for m in messages:
        if m.role is Role.USER:
            out.append(Block("user", said("you", m.created_at, tz), m.content, fold=6, data=m))
        elif m.role is Role.ASSISTANT:
            if (m.name or "").startswith("task_"):
                out.append(Block("task", said("task", m.created_at, tz), m.content, fold=8, data=m))
                continue
            if m.thinking:
                out.append(Block("thinking", "think", m.thinking, fold=2, data=m))
            if m.content:
                out.append(Block("assistant", said("model", m.created_at, tz), m.content, data=m))
            for call in m.tool_calls:
                out.append(Block("tool", "→", f"{call.name} {_args(call.arguments)}", fold=2, data=m))
        elif m.role is Role.TOOL:
            out.append(Block("result", "←", m.content, fold=2, data=m))
    return out


class ChatPane(Vertical):
    DEFAULT_CSS = """
    ChatPane {
        #chat-head { height: 1; padding: 0 1; background: $panel; color: $text-muted; text-style: bold; }
        Transcript { height: 1fr; }
        ChatInput { height: 3; }
        /* Textual's own placeholder colour ($text-disabled) reads at 3.5:1 on the pane. */
        ChatInput > .input--placeholder, ChatInput > .input--suggestion { color: $text-muted; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+g", "stop_turn", "Stop reply", id="chat.stop"),
    ]

    class Sent(Message):
        """A message went to the model; the app watches for a slow first token."""

    class TaskRequested(Message):
        """`/task GOAL` was typed: create it now, with this chat as its origin."""

        def __init__(self, goal: str) -> None:
            super().__init__()
            self.goal = goal

    def __init__(
        self,
        key: str,
        *,
        tz: tzinfo | None = None,
        clock: Callable[[], float] = time.time,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.tz = tz
        self._clock = clock
        self.key = key
        # Made by attach, after the first paint: the chat engine imports the agent's modules.
        self._controller: ChatController | None = None
        self.busy = False
        self.history_loaded = False
        # Blocks of the round streaming now: (round, thinking block index, text block index).
        self._stream: tuple[int, int | None, int | None] = (0, None, None)

    def compose(self) -> ComposeResult:
        yield Static(Content(f"Chat · session {flat(self.key)}"), id="chat-head")
        yield Transcript(
            placeholder="No messages yet. Type below; /task GOAL starts a background task.", id="transcript"
        )
        # Off until the app has its settings and model client (a fraction of a second after the
        # first paint): a message typed before could not be sent.
        yield ChatInput(id="chat-input", disabled=True)

    def _said(self, who: str) -> str:
        return said(who, datetime.fromtimestamp(self._clock(), UTC), self.tz)

    @property
    def transcript(self) -> Transcript:
        return self.query_one(Transcript)

    @property
    def input(self) -> ChatInput:
        return self.query_one(ChatInput)

    @property
    def controller(self) -> ChatController:
        if self._controller is None:
            raise RuntimeError("the chat is not attached to a model client yet")
        return self._controller

    def attach(self, deps: RunnerDeps) -> None:
        """The model client and sessions to chat through: the history loads, the input opens."""
        from smallclaw_tui.tui.chat import ChatController

        self._controller = ChatController(self.key, deps, self.post_message)
        self.input.disabled = False
        # Workers run on the app, whose one Worker.StateChanged handler reports their failures.
        _: Worker[None] = self.app.run_worker(self._load_history, group="chat-history", exit_on_error=False)

    async def _load_history(self) -> None:
        try:
            messages = await self.controller.history()
        except Exception as e:  # an unreadable session is quarantined by the store; start empty
            self.post_message(ChatHistoryLoaded([]))
            self.post_message(ChatTurnFailed(f"could not read the chat history: {e}", unreachable=False))
            return
        self.post_message(ChatHistoryLoaded(messages))

    def on_chat_history_loaded(self, message: ChatHistoryLoaded) -> None:
        if not self.app.is_running:
            return  # the app is closing: the transcript may be gone
        message.stop()
        blocks = blocks_for_history(message.messages, self.tz)
        # Anything shown before the history arrived (a server notice) stays below it.
        self.transcript.set_blocks(blocks + self.transcript.blocks)
        for m in message.messages:
            if m.role is Role.USER:
                self.input.remember(m.content)
        self.history_loaded = True

    # --- what other parts of the app show here --------------------------------------------------

    def show_system(self, text: str, *, error: bool = False) -> None:
        self.transcript.append(Block("error" if error else "system", "!" if error else "·", text))

    def show_delivery(self, text: str) -> None:
        self.transcript.append(Block("task", self._said("task"), text, fold=8))

    # --- sending --------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is not self.input:
            return
        event.stop()
        text = event.value.strip()
        if not text:
            return
        self.input.remember(text)
        self.input.value = ""
        if text.startswith("/"):
            self._command(text)
            return
        if self.busy:
            self.show_system("the model is still answering; wait, or stop it with ctrl+g")
            return
        self.busy = True
        self._stream = (0, None, None)
        self.transcript.append(Block("user", self._said("you"), text, fold=6))
        self.post_message(self.Sent())
        turn = partial(self._turn, text)
        _: Worker[None] = self.app.run_worker(turn, group=TURN_GROUP, exclusive=True, exit_on_error=False)

    def _command(self, text: str) -> None:
        name, _, rest = text.partition(" ")
        if name == "/task":
            if not rest.strip():
                self.show_system("usage: /task GOAL — e.g. /task write notes/todo.md with three items")
                return
            self.post_message(self.TaskRequested(rest.strip()))
        elif name == "/help":
            self.show_system(HELP_TEXT)
        else:
            self.show_system(f"unknown command {name}; try /task GOAL or /help", error=True)

    async def _turn(self, text: str) -> None:
        await self.controller.run_turn(text)

    def action_stop_turn(self) -> None:
        if self.busy:
            self.app.workers.cancel_group(self.app, TURN_GROUP)
            self.busy = False
            self.show_system("stopped")

    # --- turn events ----------------------------------------------------------------------------

    def on_chat_stream(self, message: ChatStream) -> None:
        if not self.app.is_running:
            return  # the app is closing: the transcript may be gone
        # Not stopped: the app learns from it that the model is answering (status bar).
        log = self.transcript
        round_no, think_i, text_i = self._stream
        if message.round_no != round_no:
            think_i = text_i = None
        if message.thinking:
            if think_i is None:
                log.append(Block("thinking", "think", message.thinking, fold=2))
                think_i = len(log) - 1
            else:
                log.update_block(think_i, text=message.thinking)
        if message.text:
            if text_i is None:
                log.append(Block("assistant", self._said("model"), message.text))
                text_i = len(log) - 1
            else:
                log.update_block(text_i, text=message.text)
        self._stream = (message.round_no, think_i, text_i)

    def on_chat_turn_event(self, message: ChatTurnEvent) -> None:
        if not self.app.is_running:
            return  # the app is closing: the transcript may be gone
        from smallclaw_tui.agent.events import (
            AssistantReply,
            LoopNotice,
            ToolFinished,
            ToolStarted,
            TurnFinished,
        )

        event = message.event
        log = self.transcript
        if isinstance(event, AssistantReply):
            message.stop()
            round_no, _, text_i = self._stream
            streamed = text_i if round_no == event.round else None
            # Calls written as text may have streamed; the settled reply is what the model said.
            if streamed is not None and event.text:
                log.update_block(streamed, text=event.text)
            elif streamed is not None:
                log.remove_block(streamed)
            elif event.text:
                log.append(Block("assistant", self._said("model"), event.text))
            self._stream = (event.round, None, None)
        elif isinstance(event, ToolStarted):
            message.stop()
            log.append(Block("tool", "→", f"{event.call.name} {_args(event.call.arguments)}", fold=2))
        elif isinstance(event, ToolFinished):
            message.stop()
            kind = "result" if event.result.ok else "fail"
            log.append(Block(kind, "←", event.result.output, fold=2))
        elif isinstance(event, LoopNotice):
            message.stop()
            self.show_system(f"loop guard ({event.action}): {event.message}", error=event.action == "stuck")
        elif isinstance(event, TurnFinished):
            message.stop()
            if event.stop_reason == "stuck":
                self.show_system(f"stopped: {event.stuck_reason}", error=True)
            elif event.stop_reason == "round_cap":
                self.show_system("stopped: too many tool rounds in one turn; say how to go on")
        # ContextInfo and UsageInfo go on to the app, which feeds the status bar.

    def on_chat_turn_failed(self, message: ChatTurnFailed) -> None:
        if not self.app.is_running:
            return  # the app is closing: the transcript may be gone
        # Not stopped: the app also updates the server state from it.
        self.show_system(message.error, error=True)

    def on_chat_turn_done(self, message: ChatTurnDone) -> None:
        self.busy = False
