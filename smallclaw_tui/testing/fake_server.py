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
import struct
import sys
import threading
import traceback
from collections.abc import Sequence
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, cast

from smallclaw_tui.config import LLMSettings
from smallclaw_tui.testing.fake_frames import OllamaFrames, OpenAIFrames, now_iso
from smallclaw_tui.testing.fake_schema import SchemaSupport, constrained, refusal
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


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: FakeModelServer) -> None:
        self.owner = owner
        # Per run: a stop() wakes this run's sleeping handlers without touching a later run's.
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(address, _RequestHandler)


class _Abort(Exception):
    """Stop answering this request now (the connection is gone or was cut on purpose)."""


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streams, like the real servers

    @property
    def _srv(self) -> _HTTPServer:
        return cast(_HTTPServer, self.server)

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle plus delayed ACK adds
        # ~40 ms to every request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._srv.conn_lock:
            self._srv.connections.add(self.connection)

    def handle(self) -> None:
        # A connection dropped on purpose (cut, stop) or by the client is not a server error.
        with contextlib.suppress(OSError, ValueError):
            super().handle()

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self._srv.conn_lock:
            self._srv.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # -- plumbing ---------------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        owner = self._srv.owner
        try:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = _parse_body(raw)
            owner._record(RecordedRequest(method, self.path, dict(self.headers.items()), body))
            route = (method, self.path.split("?", 1)[0])
            if route == ("POST", "/api/chat"):
                self._chat("ollama", body)
            elif route == ("POST", "/v1/chat/completions"):
                self._chat("openai", body)
            elif route == ("GET", "/api/tags"):
                self._json(200, {"models": [_tag_entry(m) for m in owner.models]})
            elif route == ("POST", "/api/show"):
                self._show(body)
            elif route == ("GET", "/api/version"):
                self._json(200, {"version": "0.0.0-fake"})
            elif route == ("GET", "/v1/models"):
                self._json(200, {"object": "list", "data": [owner._openai_model(m) for m in owner.models]})
            elif route == ("GET", "/props"):
                self._json(200, {"default_generation_settings": {"n_ctx": owner.n_ctx}, "total_slots": 1})
            elif route == ("GET", "/"):
                self._send(200, b"Ollama is running", "text/plain; charset=utf-8")
            else:
                self._send(404, b"404 page not found", "text/plain; charset=utf-8")
        except _Abort:
            self.close_connection = True
        except OSError:
            self.close_connection = True  # the client went away; nothing to answer

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json; charset=utf-8")

    def _error(self, api: Api, status: int, message: str) -> None:
        if api == "ollama":
            self._json(status, {"error": message})
        else:
            kind = "server_error" if status >= 500 else "invalid_request_error"
            self._json(status, {"error": {"code": status, "message": message, "type": kind}})

    def _sleep(self, seconds: float) -> None:
        if seconds > 0 and self._srv.stopping.wait(seconds):
            self._abort(reset=False)

    def _abort(self, *, reset: bool) -> None:
        """Drop the connection without finishing the reply."""
        try:
            if reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        for closable in (self.wfile, self.rfile, self.connection):
            with contextlib.suppress(OSError):
                closable.close()
        raise _Abort

    # -- endpoints --------------------------------------------------------------------------------

    def _show(self, body: Any) -> None:
        owner = self._srv.owner
        name = str(body.get("model") or body.get("name") or "") if isinstance(body, dict) else ""
        if not owner._has_model(name):
            self._json(404, {"error": f"model '{name}' not found"})
            return
        arch = "qwen3"
        self._json(
            200,
            {
                "modelfile": "# fake",
                "parameters": f"num_ctx {owner.n_ctx}",
                "template": "{{ .Prompt }}",
                "details": {
                    "format": "gguf",
                    "family": arch,
                    "parameter_size": owner.parameter_size,
                    "quantization_level": owner.quantization,
                },
                "model_info": {"general.architecture": arch, f"{arch}.context_length": owner.context_length},
                "capabilities": list(owner.capabilities),
            },
        )

    def _chat(self, api: Api, body: Any) -> None:
        owner = self._srv.owner
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self._error(api, 400, "fake server: request body must be a JSON object with messages")
            return
        request = owner._chat_request(api, body)
        if api == "ollama":
            if owner.strict_models and not owner._has_model(request.model):
                self._error(api, 404, f'model "{request.model}" not found, try pulling it first')
                return
            if request.think is True and "thinking" not in owner.capabilities:
                self._error(api, 400, f'"{request.model}" does not support thinking')
                return
            if request.tools and "tools" not in owner.capabilities:
                self._error(api, 400, f"registry.ollama.ai/library/{request.model} does not support tools")
                return
        refused = refusal(request, owner.schema_support, owner.openai_response_formats)
        if refused is not None:
            status, message = refused
            if status == 422:  # FastAPI's shape, as llama-cpp-python's server sends it
                self._json(status, {"detail": json.loads(message)})
            else:
                self._error(api, status, message)
            return
        try:
            reply = constrained(as_reply(owner.handler(request)), request, owner.schema_support)
        except Exception as e:
            owner._record_error(traceback.format_exc())
            self._error(api, 500, f"fake server: handler raised {type(e).__name__}: {e}")
            return
        self._sleep(reply.delay_first_s)
        if reply.status >= 400:
            self._error(api, reply.status, reply.error or "fake server error")
            return
        if reply.raw_body is not None:
            kind = "application/x-ndjson" if api == "ollama" else "text/event-stream"
            self._send(reply.status, reply.raw_body.encode(), kind if request.stream else "application/json")
            return
        frames = OllamaFrames(request, reply) if api == "ollama" else OpenAIFrames(request, reply)
        if request.stream:
            self._stream(
                frames.stream(), reply, "application/x-ndjson" if api == "ollama" else "text/event-stream"
            )
        else:
            self._whole(frames.whole(), reply)

    def _stream(self, frames: list[str], reply: Reply, content_type: str) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i, frame in enumerate(frames):
            if reply.cut_after_chunks is not None and i >= reply.cut_after_chunks:
                self._abort(reset=reply.cut_with_reset)
            if i:
                self._sleep(reply.delay_between_s)
            data = frame.encode()
            self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
        self.wfile.write(b"0\r\n\r\n")

    def _whole(self, obj: dict[str, Any], reply: Reply) -> None:
        data = json.dumps(obj).encode()
        if reply.cut_after_chunks is None:
            self._send(reply.status, data, "application/json; charset=utf-8")
            return
        # Promise the whole length, deliver half: the client sees a body cut short.
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self._abort(reset=reply.cut_with_reset)


def _parse_body(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _tag_entry(name: str) -> dict[str, Any]:
    return {"name": name, "model": name, "modified_at": now_iso(), "size": 2_600_000_000, "digest": "0" * 64}


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
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self.host, self._port), self)
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
