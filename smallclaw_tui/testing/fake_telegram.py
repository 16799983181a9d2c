"""A fake Telegram Bot API on loopback, for testing the Telegram adapter over real sockets.

It speaks the part of the Bot API the adapter uses — ``getMe``, ``deleteWebhook``, ``getUpdates``
(long polling, offsets confirm updates) and ``sendMessage`` — at ``/bot<TOKEN>/<method>``, the way
python-telegram-bot calls it, so ``Bot(token, base_url=fake.base_url)`` talks to it unchanged.

    with FakeTelegramServer() as tg:
        settings = tg.settings(allowed_user_ids=[42], chat_id=42)
        ...                                      # start the adapter with `settings`
        tg.user_message("/tasks", user_id=42)    # an update the next getUpdates returns
        sent = await tg.wait_for_sent(1)         # what the bot sent back

Faults: :meth:`fail_next` answers the next call(s) of a method with an error (429 with
``retry_after``, 500, 403…); :meth:`stop` then :meth:`start` is an outage on the same port. The
server checks what the real one checks and the adapter must respect: the token in the path, and
texts empty or longer than 4096 UTF-16 code units are refused. Nothing sleeps; a long poll waits on
a condition that a new update (or stop) wakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Self, cast
from urllib.parse import parse_qsl

from pydantic import SecretStr

from smallclaw_tui.config import TelegramSettings
from smallclaw_tui.testing.loopback import TrackingHandler, TrackingServer

DEFAULT_TOKEN = "123456789:AAFakeTokenForTestsOnly-xyz_0123456789"
MAX_TEXT_UNITS = 4096  # Telegram counts message length in UTF-16 code units


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Bot API request as the server saw it (token-checked, method parsed)."""

    method: str
    params: dict[str, Any]  # JSON-decoded where the client JSON-encoded (ints, objects); text stays text
    at: float  # time.monotonic() when it arrived
    token_ok: bool


@dataclass(frozen=True, slots=True)
class SentMessage:
    chat_id: int
    text: str
    message_id: int
    reply_to_message_id: int | None
    params: dict[str, Any]
    at: float


@dataclass(slots=True)
class _Fault:
    status: int
    description: str
    parameters: dict[str, Any]


@dataclass(slots=True)
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    next_update_id: int = 1000
    next_message_id: int = 1
    confirmed_offset: int = 0  # the highest offset any getUpdates asked for
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    calls: list[ApiCall] = field(default_factory=list)
    sent: list[SentMessage] = field(default_factory=list)
    faults: dict[str, deque[_Fault]] = field(default_factory=dict)


class _HTTPServer(TrackingServer):
    def __init__(self, address: tuple[str, int], owner: FakeTelegramServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class _Handler(TrackingHandler):
    # TrackingHandler logs nothing: the default would print the path, which holds the token.
    @property
    def _srv(self) -> _HTTPServer:
        return cast(_HTTPServer, self.server)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        owner = self._srv.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        params = _parse_params(raw, self.headers.get("Content-Type") or "")
        if "?" in self.path:
            params.update(_decode_form(self.path.split("?", 1)[1].encode()))
        prefix, _, method = path.rpartition("/")
        token_ok = prefix == f"/bot{owner.token}"
        status, body = owner._answer(method, params, token_ok, self._srv.stopping)
        if status == 0:  # the server is stopping: drop the connection like a crash would
            self.close_connection = True
            return
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _decode_form(raw: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
        out[key] = value
    return out


def _parse_params(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        try:
            body = json.loads(raw)
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    # python-telegram-bot posts form fields: strings as they are, everything else JSON-encoded.
    out = _decode_form(raw)
    for key, value in list(out.items()):
        if key != "text" and isinstance(value, str) and value[:1] in "[{-0123456789tfn":
            with contextlib.suppress(ValueError):
                out[key] = json.loads(value)
    return out


def _error(code: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, body


class FakeTelegramServer:
    """The fake Bot API. Use as a context manager, or call :meth:`start` / :meth:`stop`.

    State (updates, sent messages, recorded calls) survives a stop/start, so an outage in the middle
    of a test loses nothing but the connections that were open.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_id: int = 7000001,
        username: str = "smallclaw_test_bot",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.username = username
        self.host = host
        self._port = port
        self._cond = threading.Condition()
        self._state = _State()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self.host, self._port), self)
        self._port = int(httpd.server_address[1])
        thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-telegram", daemon=True
        )
        thread.start()
        self._httpd, self._thread = httpd, thread
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._httpd = self._thread = None
        httpd.stopping.set()
        with self._cond:
            self._cond.notify_all()  # wake long polls so they drop their connections
        httpd.shutdown()
        httpd.server_close()
        with httpd.conn_lock:
            conns = list(httpd.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- where it is ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("FakeTelegramServer has no port until start()")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What python-telegram-bot's ``base_url`` wants: it appends the token itself."""
        return f"{self.url}/bot"

    def settings(self, **overrides: Any) -> TelegramSettings:
        values: dict[str, Any] = {"token": SecretStr(self.token), "base_url": self.base_url}
        values.update(overrides)
        return TelegramSettings(**values)

    # -- what users do ----------------------------------------------------------------------------

    def user_message(
        self,
        text: str,
        *,
        user_id: int,
        chat_id: int | None = None,
        chat_type: str = "private",
        reply_to: int | None = None,
        first_name: str = "Tester",
    ) -> int:
        """Queue a message from a user (a private chat with them unless `chat_id` says otherwise).

        `reply_to` is the message_id of a message in that chat (one the bot sent, usually); the
        update then carries it as ``reply_to_message``, as Telegram does. Returns the update_id.
        """
        chat = chat_id if chat_id is not None else user_id
        with self._cond:
            st = self._state
            message: dict[str, Any] = {
                "message_id": st.next_message_id,
                "date": int(time.time()),
                "chat": {"id": chat, "type": chat_type, **({"first_name": first_name} if chat > 0 else {})},
                "from": {"id": user_id, "is_bot": False, "first_name": first_name},
                "text": text,
            }
            if chat_type != "private":
                message["chat"]["title"] = "a group"
            if text.startswith("/"):
                command = text.split()[0] if text.split() else text
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
            if reply_to is not None:
                original = st.messages.get((chat, reply_to))
                if original is None:
                    raise LookupError(f"no message {reply_to} in chat {chat} to reply to")
                message["reply_to_message"] = original
            st.messages[(chat, st.next_message_id)] = message
            st.next_message_id += 1
            update_id = st.next_update_id
            st.next_update_id += 1
            st.updates.append({"update_id": update_id, "message": message})
            self._cond.notify_all()
        return update_id

    # -- faults -----------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with this error instead of doing it.

        `retry_after` and `migrate_to_chat_id` go into the error's ``parameters``, as Telegram
        sends them with a 429 and with "group chat was upgraded to a supergroup chat" (400).
        """
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if retry_after is not None
                else "Bad Request: group chat was upgraded to a supergroup chat"
                if migrate_to_chat_id is not None
                else {403: "Forbidden: bot was blocked by the user", 400: "Bad Request: chat not found"}.get(
                    status, "Internal Server Error"
                )
            )
        parameters: dict[str, Any] = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        with self._cond:
            queue = self._state.faults.setdefault(method, deque())
            for _ in range(times):
                queue.append(_Fault(status, description, dict(parameters)))

    # -- what tests look at -----------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        with self._cond:
            return list(self._state.calls)

    def calls_of(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    @property
    def sent(self) -> list[SentMessage]:
        """Messages the bot sent successfully, in order."""
        with self._cond:
            return list(self._state.sent)

    @property
    def confirmed_offset(self) -> int:
        """The highest getUpdates offset seen: every update below it was taken by the bot."""
        with self._cond:
            return self._state.confirmed_offset

    @property
    def last_update_id(self) -> int:
        with self._cond:
            return self._state.next_update_id - 1

    def clear(self) -> None:
        """Forget recorded calls and sent messages (updates and message history stay)."""
        with self._cond:
            self._state.calls.clear()
            self._state.sent.clear()

    async def wait_for_sent(
        self, count: int = 1, *, timeout: float = 5.0, chat_id: int | None = None
    ) -> list[SentMessage]:
        """Wait (without blocking the event loop) until `count` messages were sent; return them."""
        deadline = time.monotonic() + timeout
        while True:
            sent = [m for m in self.sent if chat_id is None or m.chat_id == chat_id]
            if len(sent) >= count:
                return sent
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} sent message(s) within {timeout}s, got {len(sent)}")
            await asyncio.sleep(0.01)

    async def wait_until_consumed(self, update_id: int | None = None, *, timeout: float = 5.0) -> None:
        """Wait until the bot confirmed `update_id` (default: every update so far) via its offset."""
        target = self.last_update_id if update_id is None else update_id
        deadline = time.monotonic() + timeout
        while self.confirmed_offset <= target:
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not take update {target} within {timeout}s")
            await asyncio.sleep(0.01)

    # -- used by the request handler --------------------------------------------------------------

    def _me(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "SmallClaw test",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _answer(
        self, method: str, params: dict[str, Any], token_ok: bool, stopping: threading.Event
    ) -> tuple[int, dict[str, Any]]:
        with self._cond:
            self._state.calls.append(ApiCall(method, params, time.monotonic(), token_ok))
            if not token_ok:
                return _error(401, "Unauthorized")
            faults = self._state.faults.get(method)
            if faults:
                f = faults.popleft()
                return _error(f.status, f.description, **f.parameters)
        if method == "getMe":
            return 200, {"ok": True, "result": self._me()}
        if method == "deleteWebhook":
            return 200, {"ok": True, "result": True}
        if method == "getUpdates":
            return self._get_updates(params, stopping)
        if method == "sendMessage":
            return self._send_message(params)
        return _error(404, "Not Found")

    def _get_updates(self, params: dict[str, Any], stopping: threading.Event) -> tuple[int, dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self._cond:
            st = self._state
            st.confirmed_offset = max(st.confirmed_offset, offset)
            if offset:
                st.updates = [u for u in st.updates if u["update_id"] >= offset]
            while True:
                if stopping.is_set():
                    return 0, {}
                ready = [u for u in st.updates if u["update_id"] >= offset][:limit]
                left = deadline - time.monotonic()
                if ready or left <= 0:
                    return 200, {"ok": True, "result": ready}
                self._cond.wait(left)

    def _send_message(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        text = params.get("text")
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            return _error(400, "Bad Request: chat_id is empty or not a number")
        if not isinstance(text, str) or not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT_UNITS:
            return _error(400, "Bad Request: message is too long")
        reply_params = params.get("reply_parameters")
        reply_to = reply_params.get("message_id") if isinstance(reply_params, dict) else None
        if reply_to is None and isinstance(params.get("reply_to_message_id"), int):
            reply_to = params["reply_to_message_id"]
        with self._cond:
            st = self._state
            message: dict[str, Any] = {
                "message_id": st.next_message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "from": self._me(),
                "text": text,
            }
            if chat_id < 0:
                message["chat"]["title"] = "a group"
            st.messages[(chat_id, st.next_message_id)] = message
            st.sent.append(
                SentMessage(chat_id, text, st.next_message_id, reply_to, dict(params), time.monotonic())
            )
            st.next_message_id += 1
        return 200, {"ok": True, "result": message}
