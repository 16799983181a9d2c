"""What the model does in a turn, recorded as it happens: each tool call and result in the journal
(with what a write replaced, kept first as a checkpoint), and a live activity line for the board."""

from __future__ import annotations

import asyncio
import json
import time

from smallclaw_tui.agent.events import (
    ContextInfo,
    LoopNotice,
    Nudged,
    TextChunk,
    ToolFinished,
    ToolStarted,
    TurnEvent,
    UsageInfo,
)
from smallclaw_tui.models import (
    JournalType,
)
from smallclaw_tui.runner.events import (
    ModelActivity,
    ModelUsage,
    ToolCallFinished,
    ToolCallStarted,
)
from smallclaw_tui.runner.exec_base import ExecutorBase
from smallclaw_tui.runner.peek import peek
from smallclaw_tui.runner.writes import BEFORE_CHARS, WRITERS, command_of, targets, write_record

_ACTIVITY_EVERY_S = 0.25
_ACTIVITY_KEEP = 300  # characters of streamed text kept for the activity line


class TurnJournal(ExecutorBase):
    async def _on_turn_event(self, event: TurnEvent) -> None:
        task, rc = self.task, self.task.resume_context
        if isinstance(event, ToolStarted):
            # Saved before the call is journaled: a crash in between still reports "outcome unknown".
            rc.in_flight_tool_call = event.call
            await self.save()
            args = json.dumps(event.call.arguments, ensure_ascii=False)
            await self.journal(
                JournalType.TOOL_CALL,
                f"{event.call.name} {args[:2000]}",
                call_id=event.call.id,
                name=event.call.name,
                **({"path": path} if isinstance(path := event.call.arguments.get("path"), str) else {}),
                **({"command": cmd} if isinstance(cmd := command_of(event.call.arguments), str) else {}),
                **await self._before_first_write(event.call.name, event.call.arguments),
            )
            self.deps.bus.publish(ToolCallStarted(task.id, event.call))
        elif isinstance(event, ToolFinished):
            rc.in_flight_tool_call = None
            written = targets(event.call.name, event.call.arguments)
            if written:
                await asyncio.to_thread(self.checkpoints.after_write, written)
            out = event.result.output
            await self.journal(
                JournalType.TOOL_RESULT,
                f"[{event.call.name}] {out[:2000]}",
                call_id=event.call.id,
                ok=event.result.ok,
                # Which file a successful write touched and what it put there, so the final re-check
                # knows who changed what (and what an accidental rewrite destroyed).
                **write_record(event.call.name, event.call.arguments, event.result.ok),
                **await self._written_texts(event.call.name, event.call.arguments, event.result.ok),
            )
            await self.save()
            self.deps.bus.publish(ToolCallFinished(task.id, event.call, event.result.ok, out))
            self._set_activity(f"{event.call.name}: {' '.join(out.split())[:80]}")
        elif isinstance(event, Nudged):
            await self.journal(JournalType.MODEL, event.reply[:4000] or "(an empty reply)", nudged=True)
            await self.journal(JournalType.NOTE, f"no tool was called; asked again: {event.nudge}")
        elif isinstance(event, LoopNotice):
            await self.journal(JournalType.LOOP, f"{event.action}: {event.message}", pattern=event.pattern)
        elif isinstance(event, TextChunk):
            self.activity.buffer += event.text
            now = time.monotonic()
            if now - self.activity.last >= _ACTIVITY_EVERY_S:
                self._flush_activity()
        elif isinstance(event, ContextInfo):
            if event.truncated:
                await self.journal(
                    JournalType.ERROR,
                    f"context full: the server counted {event.prompt_tokens} of {event.num_ctx} "
                    "tokens; the model may not have seen the whole prompt",
                )
            self.deps.bus.publish(ModelUsage(task.id, event.prompt_tokens, 0, event.num_ctx, None))
        elif isinstance(event, UsageInfo):
            self.deps.bus.publish(
                ModelUsage(
                    task.id,
                    event.prompt_tokens,
                    event.completion_tokens,
                    self.s.llm.num_ctx,
                    event.tokens_per_s,
                )
            )

    async def _before_first_write(self, name: str, args: dict[str, object]) -> dict[str, object]:
        """What the files a call writes held before this step first wrote them, so that a step that
        only adds can be held to keeping it (see `_rule_outcomes`). Empty for other calls."""
        step = self.task.current_step
        seen = {
            str(path)
            for e in self.task.journal
            if e.step == step and e.type == JournalType.TOOL_CALL
            for path in (e.detail.get("befores") or {})
        }
        befores: dict[str, str | None] = {}
        paths = targets(name, args)
        if paths:
            await asyncio.to_thread(self.checkpoints.before_write, paths, step)
        for path in paths:
            if path not in seen and path not in befores:
                befores[path] = await peek(self.s.workspace, path, limit=BEFORE_CHARS)
        return {"befores": befores} if befores else {}

    async def _written_texts(self, name: str, args: dict[str, object], ok: bool) -> dict[str, object]:
        """The files a successful call wrote without giving their text (a shell command's
        redirects, a copy's destination), with what they hold now."""
        if not ok or name in WRITERS:
            return {}
        texts: dict[str, str] = {}
        for path in targets(name, args):
            text = await peek(self.s.workspace, path, limit=2000)
            if text is not None:
                texts[path] = text
        if not texts:
            return {}
        return {
            "wrote_texts": texts,
            **({"command": str(args["command"])[:2000]} if "command" in args else {}),
        }

    def _set_activity(self, text: str) -> None:
        self.deps.bus.publish(ModelActivity(self.task.id, text))

    def _flush_activity(self) -> None:
        """Publish the tail of what the model is writing. The buffer keeps a rolling tail, not just
        the text since the last flush, so the card reads "DONE: did the step", not "d the step"."""
        self.activity.buffer = self.activity.buffer[-_ACTIVITY_KEEP:]  # raw: keeps the spaces at the cut
        text = " ".join(self.activity.buffer.split())
        self.activity.last = time.monotonic()
        if text:
            self._set_activity(text[-100:])
