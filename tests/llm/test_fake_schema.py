"""The fake server's reply schemas (Ollama `format`, OpenAI `response_format`), over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from smallclaw_tui.llm.schema_check import conforms, schema_errors
from smallclaw_tui.testing import FakeModelServer, Reply, ScriptedHandler
from smallclaw_tui.testing.fake_schema import smallest

SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "object",
            "properties": {"tool": {"type": "string", "enum": ["read_file"]}, "args": {"type": "object"}},
            "required": ["tool", "args"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"done": {"type": "string"}},
            "required": ["done"],
            "additionalProperties": False,
        },
    ]
}
USER = [{"role": "user", "content": "hi"}]


def ollama(srv: FakeModelServer, **extra: Any) -> httpx.Response:
    body = {"model": "qwen3:4b", "messages": USER, "stream": False, **extra}
    return httpx.post(srv.url + "/api/chat", json=body)


def openai(srv: FakeModelServer, response_format: dict[str, Any]) -> httpx.Response:
    body = {"model": "m", "messages": USER, "response_format": response_format}
    return httpx.post(srv.url + "/v1/chat/completions", json=body)


def content(response: httpx.Response) -> str:
    data = response.json()
    message = data["message"] if "message" in data else data["choices"][0]["message"]
    return str(message["content"] or "")


def test_a_conforming_reply_goes_out_as_scripted_and_native_calls_are_dropped() -> None:
    handler = ScriptedHandler([Reply.tool("read_file", {"path": "a"}, text='{"done": "yes"}')])
    with FakeModelServer(handler) as srv:
        r = ollama(srv, format=SCHEMA, tools=[{"type": "function", "function": {"name": "read_file"}}])
    assert r.status_code == 200 and content(r) == '{"done": "yes"}'
    assert "tool_calls" not in r.json()["message"]


def test_a_reply_that_does_not_conform_is_forced_into_the_schema() -> None:
    with FakeModelServer(ScriptedHandler(["Sure, here you go!"])) as srv:
        r = ollama(srv, format=SCHEMA)
    assert json.loads(content(r)) == {"tool": "read_file", "args": {}}


def test_format_json_means_any_object() -> None:
    with FakeModelServer(ScriptedHandler(["not json"])) as srv:
        r = ollama(srv, format="json")
    assert json.loads(content(r)) == {}


@pytest.mark.parametrize(
    "shape",
    [
        {"type": "json_schema", "json_schema": {"name": "x", "schema": SCHEMA, "strict": True}},
        {"type": "json_object", "schema": SCHEMA},
    ],
)
def test_openai_shapes_are_both_honoured(shape: dict[str, Any]) -> None:
    with FakeModelServer(ScriptedHandler(["prose"])) as srv:
        r = openai(srv, shape)
    assert conforms(json.loads(content(r)), SCHEMA)


def test_llama_cpp_python_refuses_the_json_schema_shape_with_422() -> None:
    with FakeModelServer(ScriptedHandler(["x"]), openai_response_formats=("json_object",)) as srv:
        r = openai(srv, {"type": "json_schema", "json_schema": {"name": "x", "schema": SCHEMA}})
        assert srv.handler.calls == 0  # type: ignore[attr-defined]
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "response_format", "type"]


def test_a_server_that_ignores_or_rejects_schemas() -> None:
    with FakeModelServer(ScriptedHandler(["prose"]), schema_support="ignore") as srv:
        assert content(ollama(srv, format=SCHEMA)) == "prose"
        srv.schema_support = "reject"
        r = ollama(srv, format=SCHEMA)
    assert r.status_code == 400 and "not supported" in r.json()["error"]


def test_honour_with_thinking_ignores_the_schema_when_thinking_is_off() -> None:
    with FakeModelServer(ScriptedHandler(["prose", "prose"]), schema_support="honour_with_thinking") as srv:
        assert content(ollama(srv, format=SCHEMA, think=False)) == "prose"
        assert conforms(json.loads(content(ollama(srv, format=SCHEMA, think=True))), SCHEMA)


def test_a_model_without_the_tools_capability_refuses_tools_like_ollama() -> None:
    with FakeModelServer(capabilities=("completion",)) as srv:
        r = ollama(srv, tools=[{"type": "function", "function": {"name": "x"}}])
    assert r.status_code == 400 and "does not support tools" in r.json()["error"]


# --- the checker and the smallest value -----------------------------------------------------------


def test_schema_errors_name_the_problem() -> None:
    none = ["$: matches none of the 2 anyOf alternatives"]
    assert schema_errors({"tool": "rm", "args": {}}, SCHEMA) == none
    obj = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}, "required": ["n"]}
    assert schema_errors({}, obj) == ["$: missing 'n'"]
    assert schema_errors({"n": True}, obj) == ["$.n: expected integer, got bool"]
    assert schema_errors({"n": 0}, obj) == ["$.n: below 1"]
    closed = {"type": "object", "additionalProperties": False}
    assert schema_errors({"x": 1}, closed) == ["$: unexpected key 'x'"]
    one = {"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]}
    assert schema_errors("ab", one) == ["$: matches 2 oneOf alternatives, not exactly one"]
    assert conforms([1, 2], {"type": "array", "items": {"type": "number"}, "maxItems": 2})


def test_smallest_values_conform() -> None:
    for schema in (
        SCHEMA,
        {"type": "object", "properties": {"s": {"type": "string", "minLength": 2}}, "required": ["s"]},
        {"type": "array", "items": {"const": 3}, "minItems": 2},
        {"type": ["integer", "null"], "minimum": 5},
    ):
        assert conforms(smallest(schema), schema), schema
