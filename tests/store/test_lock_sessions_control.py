from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from smallclaw_tui.models import ChatMessage, ChatSessionRecord, Role
from smallclaw_tui.store.control import ControlInbox, ControlRequest
from smallclaw_tui.store.lock import WorkspaceLock, WorkspaceLocked
from smallclaw_tui.store.sessions import BadSessionKey, SessionStore

HOLDER = """
import sys, time
from pathlib import Path
from smallclaw_tui.store.lock import WorkspaceLock
lock = WorkspaceLock(Path(sys.argv[1]))
lock.acquire(purpose="runner")
print("held", flush=True)
time.sleep(60)
"""


def test_second_process_gets_a_clear_message_and_lock_frees_when_holder_is_killed(workspace: Path) -> None:
    data = workspace / ".localclaw"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(data)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        lock = WorkspaceLock(data)
        assert lock.holder() is not None and lock.holder()["pid"] == holder.pid  # type: ignore[index]
        with pytest.raises(WorkspaceLocked, match=f"already being run by pid {holder.pid}"):
            lock.acquire()
    finally:
        holder.kill()  # like kill -9: the kernel drops the lock
        holder.wait()
    deadline = time.time() + 5
    while WorkspaceLock(data).holder() is not None and time.time() < deadline:
        time.sleep(0.05)
    with WorkspaceLock(data) as lock:
        assert lock.held


async def test_sessions_round_trip_append_and_quarantine(workspace: Path) -> None:
    store = SessionStore(workspace / ".localclaw")
    rec = ChatSessionRecord(key="chat_main", messages=[ChatMessage(role=Role.USER, content="hi")])
    await store.save(rec)
    await store.append_message("chat_main", ChatMessage(role=Role.ASSISTANT, content="task done"))
    loaded = await store.load("chat_main")
    assert loaded is not None and [m.content for m in loaded.messages] == ["hi", "task done"]
    assert store.keys() == ["chat_main"]
    store.path("broken").write_text("{nope")
    assert await store.load("broken") is None
    assert store.problems and store.problems[0].moved_to.exists()
    with pytest.raises(BadSessionKey):
        store.path("../escape")


def test_control_inbox_delivers_in_order_and_once(workspace: Path) -> None:
    inbox = ControlInbox(workspace / ".localclaw")
    inbox.send(ControlRequest("a", "pause"))
    inbox.send(ControlRequest("a", "resume", "try again"))
    (inbox.dir / "zz-garbage.json").write_text("not json")
    assert inbox.take() == [ControlRequest("a", "pause"), ControlRequest("a", "resume", "try again")]
    assert inbox.take() == []
