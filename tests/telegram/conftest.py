from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from tg_helpers import make_runner

from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.testing.fake_telegram import FakeTelegramServer


@pytest.fixture
def tg() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as server:
        yield server


@pytest.fixture
async def runner(workspace: Path) -> AsyncIterator[BackgroundTaskRunner]:
    """A runner that is not started: tasks stay where tests put them, no model is called."""
    r = make_runner(workspace)
    try:
        yield r
    finally:
        await r.deps.client.aclose()
