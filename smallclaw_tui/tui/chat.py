"""The chat pane's engine: one :class:`ChatSession` at interactive priority, reporting by messages.

It never touches a widget. Turn events become Textual messages (streamed text as one replaceable
message per round, so bursts coalesce), and a command that needs approval becomes an
:class:`ApprovalRequested` message whose future the UI resolves after asking the user.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

from smallclaw_tui.agent.events import TextChunk, ThinkingChunk, TurnEvent, TurnStarted
from smallclaw_tui.llm.base import LLMError, TransportError
from smallclaw_tui.tools.base import ApprovalDecision
from smallclaw_tui.tui.messages import (
    ApprovalRequested,
    ChatStream,
    ChatTurnDone,
    ChatTurnEvent,
    ChatTurnFailed,
)

if TYPE_CHECKING:
    from smallclaw_tui.agent.session import ChatSession
    from smallclaw_tui.models import ChatMessage
    from smallclaw_tui.runner.deps import RunnerDeps

Post = Callable[[Message], object]


class ChatController:
    def __init__(self, key: str, deps: RunnerDeps, post: Post) -> None:
        self.key = key
        self.post = post
        self.deps = deps
        self._session: ChatSession | None = None
        self._round = 0
        self._text = ""
        self._thinking = ""

    @property
    def session(self) -> ChatSession:
        """Made, and its modules imported, when first used: after the app's first paint."""
        if self._session is None:
            from smallclaw_tui.agent.session import ChatSession
            from smallclaw_tui.runner.gate import GatedClient, ModelGate
            from smallclaw_tui.tools.base import ToolContext

            deps, settings = self.deps, self.deps.settings
            self._session = ChatSession(
                self.key,
                # The person at the keyboard goes before background rounds waiting for the model.
                GatedClient(deps.client, deps.gate, ModelGate.INTERACTIVE),
                deps.tools,
                ToolContext(workspace=settings.workspace, settings=settings.tools, approver=self._approve),
                settings.agent,
                num_ctx=settings.llm.num_ctx,
                store=deps.sessions,
                on_event=self._on_event,
                num_predict=settings.llm.num_predict,
                think=settings.llm.think,
            )
        return self._session

    async def history(self) -> list[ChatMessage]:
        await self.session.load()
        return self.session.messages

    async def run_turn(self, text: str) -> None:
        """Run one turn to its end; failures are reported as messages, never raised."""
        try:
            await self.session.run_turn(text)
        except LLMError as e:
            self.post(ChatTurnFailed(str(e), unreachable=isinstance(e, TransportError)))
        finally:
            self.post(ChatTurnDone())

    async def _approve(self, command: str) -> ApprovalDecision:
        answer: asyncio.Future[ApprovalDecision] = asyncio.get_running_loop().create_future()
        self.post(ApprovalRequested(command, answer))
        return await answer

    def _on_event(self, event: TurnEvent) -> None:
        if isinstance(event, TextChunk | ThinkingChunk):
            if event.round != self._round:
                self._round, self._text, self._thinking = event.round, "", ""
            if isinstance(event, TextChunk):
                self._text += event.text
            else:
                self._thinking += event.text
            self.post(ChatStream(event.round, self._text, self._thinking))
            return
        if isinstance(event, TurnStarted):
            self._round, self._text, self._thinking = 0, "", ""
        self.post(ChatTurnEvent(event))
