"""Running the tool calls of one model reply: the loop guard's verdict, the call, its result as
a message, and an answer for every call (OpenAI-style servers reject a history with an unanswered
call). Part of :class:`~smallclaw_tui.agent.session.ChatSession`, kept apart to keep each module
about one thing."""

from __future__ import annotations

from smallclaw_tui.agent.budget import clip_tool_result
from smallclaw_tui.agent.events import (
    LoopNotice,
    StopReason,
    ToolFinished,
    ToolStarted,
    TurnEvent,
)
from smallclaw_tui.agent.loop_guard import Action, LoopGuard
from smallclaw_tui.agent.turn import TurnResult, bad_arguments
from smallclaw_tui.config import AgentSettings
from smallclaw_tui.models import ChatMessage, Role, ToolCall
from smallclaw_tui.tools.base import ToolContext, ToolResult
from smallclaw_tui.tools.registry import ToolRegistry


class ToolCallRunner:
    key: str
    tools: ToolRegistry
    tool_ctx: ToolContext
    settings: AgentSettings
    _messages: list[ChatMessage]

    async def _emit(self, event: TurnEvent) -> None:
        raise NotImplementedError  # ChatSession's

    async def _run_calls(
        self, calls: list[ToolCall], guard: LoopGuard, round_no: int, result: TurnResult
    ) -> StopReason | None:
        for i, named in enumerate(calls):
            call = self.tools.canonical(named)
            verdict = guard.check(call)
            await self._emit(ToolStarted(self.key, call, round_no))
            if verdict.action is Action.STUCK:
                await self._emit(
                    LoopNotice(self.key, call, "stuck", verdict.pattern, verdict.message, round_no)
                )
                refused = ToolResult(False, f"Refused and stopped: {verdict.message}")
                await self._tool_message(call, refused, refused.output, round_no)
                result.tool_calls.append((call, refused))
                self._skip(calls[i + 1 :], "not run: the turn was stopped because the model was looping")
                result.stop_reason = "stuck"
                result.stuck_reason = verdict.message
                return "stuck"
            if verdict.action is Action.BLOCK:
                await self._emit(
                    LoopNotice(self.key, call, "block", verdict.pattern, verdict.message, round_no)
                )
                refused = ToolResult(False, verdict.message)
                await self._tool_message(call, refused, refused.output, round_no)
                result.tool_calls.append((call, refused))
                continue

            tool_result = await self._execute(call)
            guard.record(call, tool_result.ok, tool_result.output)
            sent = clip_tool_result(tool_result.output, self.settings.tool_result_max_chars)
            if verdict.action is Action.WARN:
                await self._emit(
                    LoopNotice(self.key, call, "warn", verdict.pattern, verdict.message, round_no)
                )
                # Next to the result is where a small model reads it; a separate message gets ignored.
                sent = f"{sent}\n\n[{verdict.message}]"
            await self._tool_message(call, tool_result, sent, round_no)
            result.tool_calls.append((call, tool_result))
            if tool_result.pending_command is not None:
                self._skip(calls[i + 1 :], "not run: waiting for the user to approve an earlier command")
                result.stop_reason = "approval"
                result.pending_command = tool_result.pending_command
                return "approval"
        return None

    async def _execute(self, call: ToolCall) -> ToolResult:
        refused = bad_arguments(call, self.tools)
        return refused if refused is not None else await self.tools.execute(call, self.tool_ctx)

    async def _tool_message(self, call: ToolCall, result: ToolResult, sent: str, round_no: int) -> None:
        self._messages.append(ChatMessage(role=Role.TOOL, content=sent, tool_call_id=call.id, name=call.name))
        await self._emit(ToolFinished(self.key, call, result, round_no, sent))

    def _skip(self, calls: list[ToolCall], why: str) -> None:
        # Every call gets an answer: OpenAI-style servers reject a history with unanswered calls.
        for call in calls:
            self._messages.append(
                ChatMessage(role=Role.TOOL, content=why, tool_call_id=call.id, name=call.name)
            )

    def _close_dangling_calls(self, why: str) -> None:
        last = next(
            (i for i in range(len(self._messages) - 1, -1, -1) if self._messages[i].role is Role.ASSISTANT),
            None,
        )
        if last is None:
            return
        answered = {m.tool_call_id for m in self._messages[last + 1 :] if m.role is Role.TOOL}
        self._skip([c for c in self._messages[last].tool_calls if c.id not in answered], why)
