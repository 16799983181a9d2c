"""Test helpers shipped with the package, so runner, TUI and benchmark tests share them."""

from smallclaw_tui.testing.fake_server import (
    ChatRequest,
    FakeModelServer,
    FakeToolCall,
    Handler,
    RecordedRequest,
    Reply,
    ScriptedHandler,
    echo_handler,
    free_port,
    unreachable_url,
)
from smallclaw_tui.testing.fake_telegram import FakeTelegramServer

__all__ = [
    "ChatRequest",
    "FakeModelServer",
    "FakeTelegramServer",
    "FakeToolCall",
    "Handler",
    "RecordedRequest",
    "Reply",
    "ScriptedHandler",
    "echo_handler",
    "free_port",
    "unreachable_url",
]
