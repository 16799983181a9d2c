"""One chat turn: model → tool calls → results → model … until an answer, a stop, or the cap.

The chat pane and the background runner both drive the model through :class:`ChatSession`, so
tool-call repair, the loop guard and the context budget behave the same in both places.

A turn ends with one of four stop reasons:

* ``done``      — the model answered without calling a tool;
* ``round_cap`` — ``max_tool_rounds`` model replies in a row asked for tools;
* ``stuck``     — the loop guard saw the model repeat itself past ``loop_stuck_at``;
* ``approval``  — ``run_shell`` needs the user's approval; the command is handed back.

:class:`~smallclaw_tui.llm.base.LLMError` propagates: the runner decides about retries. What
the turn did before the failure stays in the history (tools may have changed files), so a retry
continues with ``run_turn(None)`` instead of repeating the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable

from smallclaw_tui.agent.action_schema import action_schema
from smallclaw_tui.agent.budget import TokenEstimator, fit_messages
from smallclaw_tui.agent.events import (
    AssistantReply,
    Nudged,
    TextChunk,
    ThinkingChunk,
    TurnEvent,
    TurnFinished,
    TurnStarted,
)
from smallclaw_tui.agent.loop_guard import LoopGuard
from smallclaw_tui.agent.mode_probe import resolve_tool_mode
from smallclaw_tui.agent.replies import read_reply
from smallclaw_tui.agent.session_calls import ToolCallRunner
from smallclaw_tui.agent.tool_prompt import plain_history, system_prompt_for
from smallclaw_tui.agent.turn import RequestShape, Sampling, TurnResult, account
from smallclaw_tui.config import AgentSettings, ToolMode, ToolModeSetting
from smallclaw_tui.llm.base import ChatResult, ModelClient, TextDelta, ThinkingDelta
from smallclaw_tui.llm.stream import apply_event
from smallclaw_tui.models import ChatMessage, ChatSessionRecord, Role, ToolCall
from smallclaw_tui.store.sessions import SessionStore
from smallclaw_tui.tools.base import ToolContext
from smallclaw_tui.tools.registry import ToolRegistry

__all__ = ["DEFAULT_SYSTEM_PROMPT", "ChatSession", "EventCallback", "TurnResult"]

EventCallback = Callable[[TurnEvent], Awaitable[None] | None]

# Short on purpose: a 4B model reads every word, and every word costs context.
DEFAULT_SYSTEM_PROMPT = (
    "You are SmallClaw, a careful assistant working in the user's project folder.\n"
    "Use the tools to look at and change files and to run commands; paths are relative to the folder.\n"
    "Call a tool when you need facts; never guess a file's content or a command's output.\n"
    "When the work is done, answer in a few plain sentences saying what you did."
)


class ChatSession(ToolCallRunner):
    """A conversation with one model, its history kept in memory and (optionally) in the store.

    The loop guard: pass ``guard`` to keep one across turns (the runner does, and saves it with
    the task); without one, each turn starts a fresh guard — a new user message is new intent.
    """

    def __init__(
        self,
        key: str,
        client: ModelClient,
        tools: ToolRegistry,
        tool_ctx: ToolContext,
        settings: AgentSettings,
        *,
        num_ctx: int | None = None,
        store: SessionStore | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        on_event: EventCallback | None = None,
        guard: LoopGuard | None = None,
        estimator: TokenEstimator | None = None,
        model: str | None = None,
        num_predict: int | None = None,
        think: bool | None = None,
        tool_mode: ToolModeSetting = "native",
    ) -> None:
        self.key = key
        self.client = client
        self.tools = tools
        self.tool_ctx = tool_ctx
        self.settings = settings
        self.num_ctx = num_ctx if num_ctx is not None else client.num_ctx
        self.store = store
        self.system_prompt = system_prompt
        self.on_event = on_event
        self.estimator = estimator or TokenEstimator()
        self.model = model
        self.num_predict = num_predict
        self.think = think
        self.tool_mode = tool_mode
        self._shared_guard = guard
        self._turn_guard = guard or LoopGuard(settings)
        self._messages: list[ChatMessage] = []
        self._record: ChatSessionRecord | None = None
        self._lock = asyncio.Lock()
        # The full prompt sent in place of the last user message when it was recorded short
        # (``record_as``), with that message's index, so that continuing the turn sends it again.
        self._long_prompt: tuple[int, str] | None = None

    @property
    def messages(self) -> list[ChatMessage]:
        return list(self._messages)

    @property
    def mid_turn(self) -> bool:
        """The history ends where the model owes a reply (a turn was cut short by an error):
        ``run_turn(None)`` picks it up."""
        return bool(self._messages) and self._messages[-1].role in (Role.USER, Role.TOOL)

    @property
    def effective_tool_mode(self) -> ToolMode:
        """The mode the next turn uses (``auto`` resolved by the probe cache, native until probed)."""
        return resolve_tool_mode(self.tool_mode, self.client.base_url, self.model or self.client.model)

    @property
    def guard(self) -> LoopGuard:
        """The shared guard, or the one the last turn used."""
        return self._turn_guard

    async def load(self) -> None:
        """Read the history from the store. Turns do this themselves; call it to show history early."""
        if self.store is None:
            return
        record = await self.store.load(self.key)
        if record is not None:
            self._record = record
            self._messages = list(record.messages)

    async def run_turn(
        self,
        user_text: str | None,
        *,
        send_history: bool = True,
        record_as: str | None = None,
        nudge: str | None = None,
        temperature: float | None = None,
        seed: int | None = None,
    ) -> TurnResult:
        """Run one turn and return how it ended.

        ``temperature`` and ``seed`` go to every model call of this turn; None keeps the
        client's default (the settings' temperature, the server's seed).

        ``nudge``: when the model's reply calls no tool and no tool was called yet this turn, this
        text goes back to it once as a user message, and its next reply counts. The runner uses it
        when a step needs work done: small models answer "DONE" without doing anything, and a
        second ask in the same turn costs one model call instead of a whole rejected round.

        ``user_text`` None continues from the history as it is (after an approval, or to retry
        after a transport error; see :attr:`mid_turn`). The runner sends a fully built step
        prompt as ``user_text`` each round; ``send_history=False`` then sends only this turn (the
        prompt already recaps the task), and ``record_as`` keeps a short line in the history
        instead of the long prompt. Continuing such a turn sends the long prompt again, as long
        as this object is the one that started it (the long prompt is not stored).
        """
        async with self._lock:
            # The store may have gained messages meanwhile (a finished task's summary delivered here).
            await self.load()
            try:
                result = await self._turn(
                    user_text,
                    send_history=send_history,
                    record_as=record_as,
                    nudge=nudge,
                    sampling=Sampling(temperature, seed),
                )
            except BaseException:
                self._close_dangling_calls("not run: the turn was interrupted")
                # Keep the original error; a store problem is reported by the store itself.
                with contextlib.suppress(Exception):
                    await self._save()
                raise
            await self._save()
            return result

    async def follow_up(
        self,
        text: str,
        *,
        num_predict: int | None = None,
        temperature: float | None = None,
        seed: int | None = None,
    ) -> tuple[str, list[ToolCall]]:
        """One more question after the last turn, in the same conversation: the same system text,
        tools and turn messages come first, so a server with a prompt cache reads only the question.
        Nothing runs: the reply's text and any calls it holds are returned, and kept in the history
        as text (a call left unanswered would break the next request on OpenAI-style servers)."""
        async with self._lock:
            await self.load()
            start, sent_user = _last_user_index(self._messages), None
            if self._long_prompt is not None:
                start, sent_user = self._long_prompt
            self._messages.append(ChatMessage(role=Role.USER, content=text))
            outgoing = self._outgoing(start, False, sent_user)
            reply, mode = await self._ask_in_words(outgoing, Sampling(temperature, seed), num_predict)
            read = read_reply(reply, self.tools.names(), "text" if mode == "schema" else mode)
            self._messages.append(ChatMessage(role=Role.ASSISTANT, content=reply.text))
            await self._save()
            return reply.text, read.calls

    async def ask_apart(self, messages: list[ChatMessage], *, num_predict: int | None = None) -> str:
        """A question in a conversation of its own (`messages`, with no system message) that opens
        with this session's system text and tools, byte for byte: a server with a prompt cache
        reads only the question, and the reply does not follow the turn's own messages, which are
        neither sent nor changed."""
        async with self._lock:
            reply, _mode = await self._ask_in_words(messages, Sampling(None, None), num_predict)
            return reply.text

    async def _ask_in_words(
        self, outgoing: list[ChatMessage], sampling: Sampling, num_predict: int | None
    ) -> tuple[ChatResult, ToolMode]:
        """`outgoing` after this session's system text and tools, for a reply in words (no schema
        binds it; the tools stay, as part of the cached prefix). Nothing runs."""
        shape = self._shape()
        budget = num_predict or self.settings.reply_budget_tokens
        fitted, _dropped = fit_messages(
            shape.system, outgoing, shape.tools, self.num_ctx, budget, estimator=self.estimator
        )
        plain = RequestShape(shape.mode, shape.system, shape.tools, None)
        reply = await self._ask(plain_history(fitted, shape.mode), plain, 0, sampling, num_predict)
        return reply, shape.mode

    # --- the turn ------------------------------------------------------------------------------

    async def _turn(
        self,
        user_text: str | None,
        *,
        send_history: bool,
        record_as: str | None,
        nudge: str | None,
        sampling: Sampling,
    ) -> TurnResult:
        if self._shared_guard is None:
            self._turn_guard = LoopGuard(self.settings)
        guard = self._turn_guard
        if user_text is not None:
            self._messages.append(
                ChatMessage(role=Role.USER, content=record_as if record_as is not None else user_text)
            )
            self._long_prompt = (len(self._messages) - 1, user_text) if record_as is not None else None
        user_index = _last_user_index(self._messages)
        sent_user = None
        if self._long_prompt is not None and self._long_prompt[0] == user_index:
            sent_user = self._long_prompt[1]
        await self._emit(TurnStarted(self.key, user_text))

        shape = self._shape()
        names = self.tools.names()
        result = TurnResult(text="", stop_reason="round_cap")
        for round_no in range(1, self.settings.max_tool_rounds + 1):
            result.rounds = round_no
            outgoing = self._outgoing(user_index, send_history, sent_user)
            # Fitted in the native shape, whose turn boundaries the budget understands.
            fitted, dropped = fit_messages(
                shape.system,
                outgoing,
                shape.tools,
                self.num_ctx,
                self.settings.reply_budget_tokens,
                estimator=self.estimator,
            )
            to_send = plain_history(fitted, shape.mode)
            result.dropped_messages = max(result.dropped_messages, dropped)
            reply = await self._ask(to_send, shape, round_no, sampling)
            for event in account(
                self.key, reply, to_send, shape.tools, dropped, result, self.estimator, self.num_ctx
            ):
                await self._emit(event)

            read = read_reply(reply, names, shape.mode)
            calls, visible = read.calls, read.visible
            self._messages.append(
                ChatMessage(
                    role=Role.ASSISTANT, content=visible, thinking=read.thinking or None, tool_calls=calls
                )
            )
            await self._emit(AssistantReply(self.key, visible, round_no, tuple(calls), read.from_text))
            if visible:
                result.text = visible
            if not calls:
                if nudge is not None and not result.nudged and not result.tool_calls:
                    result.nudged = True
                    self._messages.append(ChatMessage(role=Role.USER, content=nudge))
                    await self._emit(Nudged(self.key, visible, nudge, round_no))
                    continue
                result.stop_reason = "done"
                result.text = visible
                break
            stop = await self._run_calls(calls, guard, round_no, result)
            if stop is not None:
                break
        await self._emit(
            TurnFinished(
                self.key, result.stop_reason, result.text, result.stuck_reason, result.pending_command
            )
        )
        return result

    def _shape(self) -> RequestShape:
        mode = self.effective_tool_mode
        specs = self.tools.specs()
        schema = action_schema(specs) if mode == "schema" else None
        tools = specs if mode == "native" else []
        return RequestShape(mode, system_prompt_for(mode, self.system_prompt, specs), tools, schema)

    def _outgoing(
        self, user_index: int | None, send_history: bool, sent_user: str | None
    ) -> list[ChatMessage]:
        msgs = list(self._messages)
        if user_index is not None and sent_user is not None:
            msgs[user_index] = msgs[user_index].model_copy(update={"content": sent_user})
        if not send_history and user_index is not None:
            msgs = msgs[user_index:]
        # Thinking stays in the record for the user to read; the model never gets it back.
        return [m.model_copy(update={"thinking": None}) if m.thinking else m for m in msgs]

    async def _ask(
        self,
        messages: list[ChatMessage],
        shape: RequestShape,
        round_no: int,
        sampling: Sampling,
        num_predict: int | None = None,
    ) -> ChatResult:
        reply = ChatResult()
        stream = self.client.stream_chat(
            messages,
            shape.tools or None,
            model=self.model,
            num_predict=num_predict or self.num_predict,
            # Sent as configured in every mode: thinking off can break schema output on some
            # servers (Qwen3 on Ollama), and a broken reply is still read as text.
            think=self.think,
            temperature=sampling.temperature,
            seed=sampling.seed,
            response_schema=shape.schema,
        )
        try:
            async for event in stream:
                apply_event(reply, event)
                if isinstance(event, TextDelta):
                    await self._emit(TextChunk(self.key, event.text, round_no))
                elif isinstance(event, ThinkingDelta):
                    await self._emit(ThinkingChunk(self.key, event.text, round_no))
        finally:
            # Release the HTTP response now, not at garbage collection, when a subscriber raised.
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
        return reply

    async def _save(self) -> None:
        if self.store is None:
            return
        record = self._record or ChatSessionRecord(key=self.key)
        record.messages = list(self._messages)
        await self.store.save(record)
        self._record = record

    async def _emit(self, event: TurnEvent) -> None:
        if self.on_event is None:
            return
        outcome = self.on_event(event)
        if inspect.isawaitable(outcome):
            await outcome


def _last_user_index(messages: list[ChatMessage]) -> int | None:
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role is Role.USER:
            return i
    return None
