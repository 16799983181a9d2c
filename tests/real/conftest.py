"""The `real_model` tier: the app against a real llama.cpp server with a small GGUF model.

Run with ``scripts/real-model.sh ci`` (sets everything up), or by hand::

    scripts/real-model.sh setup smollm2-135m
    REAL_MODEL_FORCE_TOOL=1 scripts/real-model.sh start smollm2-135m
    scripts/real-model.sh tier
    scripts/real-model.sh stop

Without ``SMALLCLAW_REAL_URL`` every test here skips, saying how to start a server; with
``SMALLCLAW_REAL_STRICT=1`` (set by the script) a missing URL fails instead, so CI cannot pass
by skipping.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smallclaw_tui.config import Settings
from smallclaw_tui.llm.openai import OpenAIClient

HOW = "start one with `scripts/real-model.sh start smollm2-135m`, then run `scripts/real-model.sh tier`"


def _startup_env(name: str) -> str | None:
    """A variable as this process was started with it.

    tests/conftest.py deletes every SMALLCLAW_* variable before this file is imported (so that no
    test reads a developer's settings); the kernel still has the environment the process began
    with. Linux only, like the tier itself.
    """
    value = os.environ.get(name)
    if value is not None:
        return value
    try:
        raw = Path("/proc/self/environ").read_bytes()
    except OSError:
        return None
    prefix = name.encode() + b"="
    for item in raw.split(b"\0"):
        if item.startswith(prefix):
            return item[len(prefix) :].decode("utf-8", "replace")
    return None


REAL_URL = _startup_env("SMALLCLAW_REAL_URL")
REAL_MODEL = _startup_env("SMALLCLAW_REAL_MODEL") or "smollm2-135m"
REAL_CTX = int(_startup_env("SMALLCLAW_REAL_CTX") or "4096")
STRICT = _startup_env("SMALLCLAW_REAL_STRICT") == "1"


@pytest.fixture(autouse=True)
def _need_server() -> None:
    if REAL_URL:
        return
    message = f"SMALLCLAW_REAL_URL is not set: no real model server to talk to; {HOW}"
    if STRICT:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def real_settings(workspace: Path) -> Settings:
    """Small budgets: the tier must stay within minutes on 2 cores."""
    return Settings(
        workspace=workspace,
        llm={
            "api": "openai",
            "base_url": REAL_URL or "http://127.0.0.1:9",
            "model": REAL_MODEL,
            "num_ctx": REAL_CTX,
            "num_predict": 96,
            "temperature": 0.0,
            "read_timeout_s": 120.0,
        },
        agent={"max_tool_rounds": 3},
        runner={
            "max_rounds_per_step": 2,
            "max_rounds_per_task": 4,
            "max_step_attempts": 2,
            # A real server that stops answering should fail the tier quickly, not back off for minutes.
            "retry_max_attempts": 1,
            "retry_base_s": 0.5,
            "retry_max_s": 1.0,
            "control_poll_s": 0.1,
        },
    )


@pytest.fixture
async def real_client(real_settings: Settings) -> AsyncIterator[OpenAIClient]:
    client = OpenAIClient(real_settings.llm)
    try:
        yield client
    finally:
        await client.aclose()
