"""A scripted model server on loopback that speaks the Ollama and OpenAI wire protocols.

It is a real HTTP server in a background thread, so clients are tested over real sockets (no
patched httpx), from sync or async tests, and from other processes. Each chat request is parsed
into a :class:`ChatRequest` and handed to a handler that returns a :class:`Reply`; the reply says
what to send and how to misbehave (errors, slow tokens, a connection cut mid-stream).

    with FakeModelServer(ScriptedHandler([Reply.tool("read_file", {"path": "a.txt"}), "done"])) as srv:
        settings = srv.llm_settings()           # LLMSettings pointing at srv.url
        ...
        assert srv.chat_requests[0].tool_names == ["read_file"]

Endpoints: Ollama ``/api/chat`` (NDJSON stream or one JSON body), ``/api/tags``, ``/api/show``,
``/api/version``, ``/``; OpenAI ``/v1/chat/completions`` (SSE or one JSON body), ``/v1/models``;
llama.cpp ``/props``. Nothing sleeps unless a reply asks for it.

A reply schema (Ollama ``format``, OpenAI ``response_format``) is honoured by default: the reply
comes back as JSON valid under it; ``schema_support`` simulates servers that ignore or refuse it
(:mod:`~smallclaw_tui.testing.fake_schema`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Self

from smallclaw_tui.config import LLMSettings
from smallclaw_tui.testing.fake_http import HTTPServer
from smallclaw_tui.testing.fake_schema import SchemaSupport
from smallclaw_tui.testing.fake_script import (
    Api,
    ChatRequest,
    FakeToolCall,
    Handler,
    RecordedRequest,
    Reply,
    ReplyLike,
    ScriptedHandler,
    Step,
    as_reply,
    echo_handler,
)

__all__ = [
    "Api",
    "ChatRequest",
    "FakeModelServer",
    "FakeToolCall",
    "Handler",
    "RecordedRequest",
    "Reply",
    "ReplyLike",
    "SchemaSupport",
    "ScriptedHandler",
    "Step",
    "as_reply",
    "echo_handler",
    "free_port",
    "main",
    "unreachable_url",
]


# --- helpers for "nothing listens there" ------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def unreachable_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


# --- the server -------------------------------------------------------------------------------------


class FakeModelServer:
    """The scripted server. Use as a context manager, or call :meth:`start` / :meth:`stop`.

    :meth:`stop` then :meth:`start` brings it back on the same port, which is how a server that
    goes down and comes back is simulated. Open connections are dropped on stop, like a crash.
    """

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        models: Sequence[str] = ("qwen3:4b",),
        context_length: int = 40960,
        n_ctx: int = 8192,
        capabilities: Sequence[str] = ("completion", "tools", "thinking"),
        parameter_size: str = "4.0B",
        quantization: str = "Q4_K_M",
        strict_models: bool = True,
        schema_support: SchemaSupport = "honour",
        openai_response_formats: tuple[str, ...] = ("json_schema", "json_object"),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.handler: Handler = handler or echo_handler
        self.models = list(models)
        self.context_length = context_length
        self.n_ctx = n_ctx  # what llama.cpp's /props and Ollama's show "parameters" report
        self.capabilities = tuple(capabilities)
        self.parameter_size = parameter_size
        self.quantization = quantization
        # Ollama answers 404 for a model it does not have; OpenAI servers here accept any name.
        self.strict_models = strict_models
        # What a reply schema gets (see fake_schema); both may be changed while the server runs.
        self.schema_support: SchemaSupport = schema_support
        self.openai_response_formats = openai_response_formats
        self.host = host
        self._port = port
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._chat_requests: list[ChatRequest] = []
        self._errors: list[str] = []
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        httpd = HTTPServer((self.host, self._port), self)
        self._port = int(httpd.server_address[1])
        thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-model-server", daemon=True
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

    # -- what tests look at -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("FakeModelServer has no port until start()")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def llm_settings(self, api: Api = "ollama", **overrides: Any) -> LLMSettings:
        """LLMSettings aimed at this server; short timeouts so a failing test fails fast."""
        values: dict[str, Any] = {
            "api": api,
            "base_url": self.url,
            "model": self.models[0] if self.models else "qwen3:4b",
            "connect_timeout_s": 2.0,
            "read_timeout_s": 10.0,
        }
        values.update(overrides)
        return LLMSettings(**values)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[ChatRequest]:
        with self._lock:
            return list(self._chat_requests)

    @property
    def errors(self) -> list[str]:
        """Tracebacks of handler exceptions (each also answered with a 500)."""
        with self._lock:
            return list(self._errors)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._chat_requests.clear()
            self._errors.clear()

    # -- used by the request handler --------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _record_error(self, text: str) -> None:
        with self._lock:
            self._errors.append(text)

    def _chat_request(self, api: Api, body: dict[str, Any]) -> ChatRequest:
        if api == "ollama":
            options = body.get("options") if isinstance(body.get("options"), dict) else {}
        else:
            options = {k: v for k, v in body.items() if k not in ("model", "messages", "tools", "stream")}
        think = body.get("think")
        with self._lock:
            request = ChatRequest(
                api=api,
                model=str(body.get("model") or ""),
                messages=[m for m in body["messages"] if isinstance(m, dict)],
                tools=[t for t in body.get("tools") or [] if isinstance(t, dict)],
                options=dict(options or {}),
                stream=bool(body.get("stream", api == "ollama")),
                think=think if isinstance(think, bool) else None,
                body=body,
                index=len(self._chat_requests),
            )
            self._chat_requests.append(request)
        return request

    def _has_model(self, name: str) -> bool:
        return name in self.models or (":" not in name and f"{name}:latest" in self.models)

    def _openai_model(self, name: str) -> dict[str, Any]:
        return {
            "id": name,
            "object": "model",
            "created": 0,
            "owned_by": "fake",
            "meta": {"n_ctx_train": self.context_length},
        }


# --- run it from the command line (for subprocess tests and manual poking) --------------------------


def _reply_from_json(item: Any) -> Reply:
    if isinstance(item, str):
        return Reply(text=item)
    if not isinstance(item, dict):
        raise ValueError(f"a script step must be a string or an object, got {item!r}")
    calls = tuple(FakeToolCall(**c) for c in item.get("tool_calls", ()))
    return replace(Reply(**{k: v for k, v in item.items() if k != "tool_calls"}), tool_calls=calls)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m smallclaw_tui.testing [--port N] [--script replies.json] [--model NAME]`

    Prints the URL on the first line of stdout, then serves until killed. The script is a JSON
    list of steps: a string (plain text reply) or an object with :class:`Reply` fields.
    """
    parser = argparse.ArgumentParser(
        prog="python -m smallclaw_tui.testing", description="scripted loopback model server"
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", help="JSON file: a list of replies (strings or Reply objects)")
    parser.add_argument("--model", action="append", help="model name to serve (repeatable)")
    args = parser.parse_args(argv)
    handler: Handler = echo_handler
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            handler = ScriptedHandler([_reply_from_json(item) for item in json.load(f)])
    server = FakeModelServer(handler, port=args.port, models=args.model or ("qwen3:4b",))
    server.start()
    print(server.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
