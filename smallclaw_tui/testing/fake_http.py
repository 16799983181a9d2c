"""The fake model server's HTTP side: routing, the chat endpoint, streaming and misbehaving.

Everything the handler knows about the script and the recorded requests lives on the owning
:class:`~smallclaw_tui.testing.fake_server.FakeModelServer`.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import traceback
from typing import TYPE_CHECKING, Any, cast

from smallclaw_tui.testing.fake_frames import OllamaFrames, OpenAIFrames, now_iso
from smallclaw_tui.testing.fake_schema import constrained, refusal
from smallclaw_tui.testing.fake_script import Api, RecordedRequest, Reply, as_reply
from smallclaw_tui.testing.loopback import TrackingHandler, TrackingServer

if TYPE_CHECKING:
    from smallclaw_tui.testing.fake_server import FakeModelServer


class HTTPServer(TrackingServer):
    def __init__(self, address: tuple[str, int], owner: FakeModelServer) -> None:
        self.owner = owner
        super().__init__(address, RequestHandler)


class _Abort(Exception):
    """Stop answering this request now (the connection is gone or was cut on purpose)."""


class RequestHandler(TrackingHandler):
    @property
    def _srv(self) -> HTTPServer:
        return cast(HTTPServer, self.server)

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
