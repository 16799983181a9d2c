"""`smallclaw chat [MESSAGE]` and `smallclaw doctor`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from smallclaw_tui.agent.events import TextChunk, ThinkingChunk, ToolFinished, ToolStarted, TurnEvent
from smallclaw_tui.agent.session import ChatSession
from smallclaw_tui.cli.common import CLIError, settings_from_args
from smallclaw_tui.config import Settings
from smallclaw_tui.llm.base import LLMError
from smallclaw_tui.llm.factory import make_client
from smallclaw_tui.store.sessions import BadSessionKey, SessionStore, check_key
from smallclaw_tui.textsafe import one_line, printable, shown_command
from smallclaw_tui.tools.base import ApprovalDecision, ToolContext
from smallclaw_tui.tools.registry import default_registry


class _Printer:
    """Streams the reply to stdout; thinking and tool activity go to stderr, dimmed by position."""

    def __init__(self) -> None:
        self.thinking = False

    def __call__(self, event: TurnEvent) -> None:
        if isinstance(event, ThinkingChunk):
            if not self.thinking:
                print("(thinking) ", end="", file=sys.stderr)
                self.thinking = True
            print(printable(event.text), end="", file=sys.stderr, flush=True)
        elif isinstance(event, TextChunk):
            if self.thinking:
                print(file=sys.stderr)
                self.thinking = False
            print(printable(event.text), end="", flush=True)
        elif isinstance(event, ToolStarted):
            # Shown the moment before the y/N question about the same command: hide nothing in it.
            arguments = event.call.arguments.items()
            args = ", ".join(f"{k}={one_line(shown_command(str(v)), 40)}" for k, v in arguments)
            print(f"\n→ {event.call.name}({args})", file=sys.stderr, flush=True)
        elif isinstance(event, ToolFinished):
            mark = "ok" if event.result.ok else "error"
            output = one_line(shown_command(event.result.output), 120)
            print(f"  {mark}: {output}", file=sys.stderr, flush=True)


async def _ask_user(command: str) -> ApprovalDecision:
    if not sys.stdin.isatty():
        return ApprovalDecision.PENDING
    answer = await asyncio.to_thread(input, f"\nRun `{shown_command(command)}`? [y/N] ")
    return ApprovalDecision.APPROVED if answer.strip().lower() in ("y", "yes") else ApprovalDecision.DENIED


def _session(settings: Settings, key: str) -> ChatSession:
    client = make_client(settings.llm)
    ctx = ToolContext(workspace=settings.workspace, settings=settings.tools, approver=_ask_user)
    return ChatSession(
        key,
        client,
        default_registry(),
        ctx,
        settings.agent,
        num_ctx=settings.llm.num_ctx,
        store=SessionStore(settings.data_dir),
        on_event=_Printer(),
    )


async def _turn(session: ChatSession, text: str) -> None:
    try:
        result = await session.run_turn(text)
    except LLMError as e:
        raise CLIError(str(e)) from None
    print()
    if result.stop_reason == "stuck":
        print(f"(stopped: {result.stuck_reason})", file=sys.stderr)
    elif result.stop_reason == "approval":
        command = shown_command(result.pending_command or "")
        print(f"(waiting for approval to run: {command})", file=sys.stderr)
    elif result.stop_reason == "round_cap":
        print("(stopped: too many tool rounds in one turn)", file=sys.stderr)


async def _chat(settings: Settings, key: str, message: str | None) -> int:
    session = _session(settings, key)
    try:
        if message is not None:
            await _turn(session, message)
            return 0
        print(
            f"chat with {settings.llm.model} (session {key}); empty line or Ctrl-D to quit", file=sys.stderr
        )
        while True:
            try:
                line = await asyncio.to_thread(input, "> ")
            except EOFError:
                return 0
            if not line.strip():
                return 0
            await _turn(session, line)
    finally:
        await session.client.aclose()


def run_chat_command(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    try:
        key = check_key(args.session)
    except BadSessionKey as e:
        raise CLIError(str(e)) from None
    return asyncio.run(_chat(settings, key, args.message))


def run_doctor_command(args: argparse.Namespace) -> int:
    from smallclaw_tui.doctor import format_report, run_doctor

    settings = settings_from_args(args)
    report = asyncio.run(run_doctor(settings))
    print(format_report(report))
    return 0 if report.ok else 1
