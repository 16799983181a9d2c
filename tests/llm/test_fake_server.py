"""The scripted loopback server itself: protocols, scripting, recording, faults, restart."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from smallclaw_tui.testing import (
    ChatRequest,
    FakeModelServer,
    Reply,
    ScriptedHandler,
    free_port,
    unreachable_url,
)

USER = [{"role": "user", "content": "hi"}]


def ollama_lines(resp: httpx.Response) -> list[dict[str, object]]:
    return [json.loads(line) for line in resp.text.splitlines() if line.strip()]


def sse_data(resp: httpx.Response) -> list[str]:
    return [line[len("data: ") :] for line in resp.text.splitlines() if line.startswith("data: ")]


def test_serves_both_protocols_metadata() -> None:
    with FakeModelServer(models=["qwen3:4b", "llama3.2:1b"], context_length=32768, n_ctx=4096) as srv:
        assert srv.url == f"http://127.0.0.1:{srv.port}"
        with httpx.Client(base_url=srv.url) as http:
            assert http.get("/").text == "Ollama is running"
            assert http.get("/api/version").json()["version"]
            assert [m["name"] for m in http.get("/api/tags").json()["models"]] == ["qwen3:4b", "llama3.2:1b"]
            show = http.post("/api/show", json={"model": "qwen3:4b"}).json()
            assert show["model_info"]["qwen3.context_length"] == 32768
            assert "tools" in show["capabilities"]
            assert http.post("/api/show", json={"model": "nope"}).status_code == 404
            assert [m["id"] for m in http.get("/v1/models").json()["data"]] == ["qwen3:4b", "llama3.2:1b"]
            assert http.get("/props").json()["default_generation_settings"]["n_ctx"] == 4096
            assert http.get("/no/such/path").status_code == 404


def test_ollama_stream_and_whole_reply() -> None:
    handler = ScriptedHandler([Reply(text="abcdefghij", thinking="xyz", chunk_size=4), Reply(text="whole")])
    with FakeModelServer(handler) as srv, httpx.Client(base_url=srv.url) as http:
        lines = ollama_lines(http.post("/api/chat", json={"model": "qwen3:4b", "messages": USER}))
        assert [ln["message"]["thinking"] for ln in lines[:1]] == ["xyz"]  # type: ignore[index]
        assert "".join(ln["message"]["content"] for ln in lines) == "abcdefghij"  # type: ignore[index]
        assert [ln["done"] for ln in lines] == [False] * (len(lines) - 1) + [True]
        assert lines[-1]["prompt_eval_count"] and lines[-1]["eval_count"]

        body = http.post("/api/chat", json={"model": "qwen3:4b", "messages": USER, "stream": False}).json()
        assert body["message"]["content"] == "whole" and body["done"] is True


def test_openai_sse_stream_with_tool_call_fragments() -> None:
    reply = Reply.tool("write_file", {"path": "a.txt", "content": "x"}, chunk_size=5)
    with FakeModelServer(lambda req: reply) as srv, httpx.Client(base_url=srv.url) as http:
        resp = http.post(
            "/v1/chat/completions",
            json={"model": "m", "messages": USER, "stream": True, "stream_options": {"include_usage": True}},
        )
        data = sse_data(resp)
        assert data[-1] == "[DONE]"
        chunks = [json.loads(d) for d in data[:-1]]
        fragments = [
            tc["function"].get("arguments", "")
            for c in chunks
            for ch in c["choices"]
            for tc in ch["delta"].get("tool_calls", [])
        ]
        assert len(fragments) > 2
        assert json.loads("".join(fragments)) == {"path": "a.txt", "content": "x"}
        assert chunks[-1]["usage"]["completion_tokens"] > 0


def test_requests_are_recorded_and_parsed() -> None:
    seen: list[ChatRequest] = []

    def handler(req: ChatRequest) -> Reply:
        seen.append(req)
        return Reply(text="ok")

    tools = [{"type": "function", "function": {"name": "read_file", "parameters": {}}}]
    with FakeModelServer(handler) as srv, httpx.Client(base_url=srv.url) as http:
        http.post(
            "/api/chat",
            json={
                "model": "qwen3:4b",
                "messages": [{"role": "system", "content": "sys"}, *USER],
                "tools": tools,
                "options": {"num_ctx": 4096},
                "think": False,
            },
        )
        http.post("/v1/chat/completions", json={"model": "x", "messages": USER, "max_tokens": 5})
        assert [r.path for r in srv.requests] == ["/api/chat", "/v1/chat/completions"]
        assert srv.requests[0].body["options"] == {"num_ctx": 4096}
        first, second = srv.chat_requests
        assert first.tool_names == ["read_file"] and first.system_text == "sys"
        assert first.last_user_text == "hi" and first.think is False and first.options["num_ctx"] == 4096
        assert second.api == "openai" and second.options["max_tokens"] == 5 and second.index == 1
        assert seen == srv.chat_requests


def test_script_plays_in_order_then_fails_clearly() -> None:
    handler = ScriptedHandler(["one", lambda req: Reply(text=f"two after {req.index}")])
    with FakeModelServer(handler) as srv, httpx.Client(base_url=srv.url) as http:

        def ask() -> httpx.Response:
            return http.post("/api/chat", json={"model": "qwen3:4b", "messages": USER, "stream": False})

        assert ask().json()["message"]["content"] == "one"
        assert ask().json()["message"]["content"] == "two after 1"
        assert handler.remaining == 0 and not handler.exhausted
        resp = ask()
        assert resp.status_code == 400
        assert "script exhausted after 2 replies" in resp.json()["error"]
        assert handler.exhausted


def test_error_status_in_each_protocol_shape() -> None:
    with (
        FakeModelServer(lambda req: Reply.fail(503, "overloaded")) as srv,
        httpx.Client(base_url=srv.url) as http,
    ):
        r1 = http.post("/api/chat", json={"model": "qwen3:4b", "messages": USER})
        r2 = http.post("/v1/chat/completions", json={"model": "m", "messages": USER})
        assert (r1.status_code, r1.json()) == (503, {"error": "overloaded"})
        assert r2.status_code == 503 and r2.json()["error"]["message"] == "overloaded"


def test_unknown_ollama_model_is_404_and_handler_errors_are_500() -> None:
    def broken(req: ChatRequest) -> Reply:
        raise RuntimeError("boom")

    with FakeModelServer(broken) as srv, httpx.Client(base_url=srv.url) as http:
        r = http.post("/api/chat", json={"model": "missing:1b", "messages": USER})
        assert r.status_code == 404 and "missing:1b" in r.json()["error"]
        r = http.post("/api/chat", json={"model": "qwen3:4b", "messages": USER})
        assert r.status_code == 500 and "RuntimeError: boom" in r.json()["error"]
        assert "boom" in srv.errors[0]


def test_cut_stream_is_an_incomplete_body() -> None:
    reply = Reply(text="x" * 40, chunk_size=4, cut_after_chunks=3)
    with FakeModelServer(lambda req: reply) as srv, httpx.Client(base_url=srv.url) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/api/chat", json={"model": "qwen3:4b", "messages": USER})
        # The server keeps serving other connections afterwards.
        assert http.get("/api/version").status_code == 200


def test_stop_then_start_on_the_same_port() -> None:
    srv = FakeModelServer().start()
    try:
        port = srv.port
        assert httpx.get(srv.url + "/api/version").status_code == 200
        srv.stop()
        assert not srv.running
        with pytest.raises(httpx.ConnectError):
            httpx.get(srv.url + "/api/version")
        srv.start()
        assert srv.port == port
        assert httpx.get(srv.url + "/api/version").status_code == 200
    finally:
        srv.stop()


def test_stop_does_not_wait_for_slow_replies() -> None:
    with FakeModelServer(lambda req: Reply(text="late", delay_first_s=30)) as srv:
        with httpx.Client(base_url=srv.url, timeout=0.2) as http, pytest.raises(httpx.ReadTimeout):
            http.post("/api/chat", json={"model": "qwen3:4b", "messages": USER})
        started = time.monotonic()
    assert time.monotonic() - started < 2


def test_free_port_refuses_connections() -> None:
    assert 0 < free_port() < 65536
    with pytest.raises(httpx.ConnectError):
        httpx.get(unreachable_url())


def test_runs_as_a_separate_process(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(["first", {"text": "second", "tool_calls": [{"name": "t", "arguments": {}}]}])
    )
    cmd = [sys.executable, "-m", "smallclaw_tui.testing", "--script", str(script)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            ask = {"model": "qwen3:4b", "messages": USER, "stream": False}
            assert httpx.post(url + "/api/chat", json=ask).json()["message"]["content"] == "first"
            second = httpx.post(url + "/api/chat", json=ask).json()["message"]
            assert second["content"] == "second" and second["tool_calls"][0]["function"]["name"] == "t"
        finally:
            proc.kill()
