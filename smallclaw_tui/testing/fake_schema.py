"""How the fake server treats a reply schema (Ollama `format`, OpenAI `response_format`).

A server that honours a schema decodes under a grammar: whatever the model "wanted" to say, the
reply is JSON valid under the schema, and native tool calls are off (Ollama ignores `tools` when
`format` is set). The fake does the same to the handler's reply: text that already conforms is
sent as it is; anything else is replaced by the smallest value the schema allows, which is what a
grammar forces a model into when it had something else in mind.

The other behaviours are servers seen in the wild: one that ignores the field (the reply goes out
as scripted), one that refuses it (400), one that honours it only while thinking is on (Qwen3 with
``think: false`` plus `format` returned the wrong shape on some Ollama versions), and
llama-cpp-python's server, which accepts only the older ``{"type": "json_object", "schema": …}``
shape of `response_format` and answers 422 to OpenAI's ``json_schema`` one.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Literal

from smallclaw_tui.llm.base import JsonSchema
from smallclaw_tui.llm.schema_check import conforms
from smallclaw_tui.testing.fake_script import ChatRequest, Reply

SchemaSupport = Literal["honour", "ignore", "reject", "honour_with_thinking"]

ANY_OBJECT: JsonSchema = {"type": "object"}


def requested_schema(request: ChatRequest) -> JsonSchema | None:
    """The schema the request asks the reply to follow, if any (a bare JSON mode is "any object")."""
    body = request.body
    if request.api == "ollama":
        fmt = body.get("format")
        if fmt == "json":
            return ANY_OBJECT
        return fmt if isinstance(fmt, dict) else None
    rf = body.get("response_format")
    if not isinstance(rf, dict):
        return None
    if rf.get("type") == "json_schema":
        spec = rf.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return schema if isinstance(schema, dict) else ANY_OBJECT
    if rf.get("type") == "json_object":
        schema = rf.get("schema")
        return schema if isinstance(schema, dict) else ANY_OBJECT
    return None


def thinking_off(request: ChatRequest) -> bool:
    if request.api == "ollama":
        return request.think is False
    kwargs = request.body.get("chat_template_kwargs")
    return isinstance(kwargs, dict) and kwargs.get("enable_thinking") is False


def refusal(
    request: ChatRequest, support: SchemaSupport, openai_formats: tuple[str, ...]
) -> tuple[int, str] | None:
    """(status, message) when the server would refuse the request's schema outright."""
    if request.api == "openai":
        rf = request.body.get("response_format")
        kind = rf.get("type") if isinstance(rf, dict) else None
        if isinstance(kind, str) and kind != "text" and kind not in openai_formats:
            # FastAPI's validation error, as llama-cpp-python's server sends it.
            allowed = " or ".join(repr(f) for f in ("text", *openai_formats))
            return 422, json.dumps(
                [{"loc": ["body", "response_format", "type"], "msg": f"Input should be {allowed}"}]
            )
    if support == "reject" and requested_schema(request) is not None:
        field = "format" if request.api == "ollama" else "response_format"
        return 400, f"fake server: {field} with a JSON schema is not supported"
    return None


def constrained(reply: Reply, request: ChatRequest, support: SchemaSupport) -> Reply:
    """The reply as a server with `support` would send it for this request."""
    schema = requested_schema(request)
    if schema is None or support == "ignore" or reply.status >= 400 or reply.raw_body is not None:
        return reply
    if support == "honour_with_thinking" and thinking_off(request):
        return reply
    try:
        ok = conforms(json.loads(reply.text), schema)
    except ValueError:
        ok = False
    text = reply.text if ok else json.dumps(smallest(schema))
    return replace(reply, text=text, tool_calls=())


def smallest(schema: Any) -> Any:
    """The plainest value valid under `schema` (first alternative, required keys only)."""
    if not isinstance(schema, dict):
        return {}
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return smallest(options[0])
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = kind[0] if kind else "object"
    if kind == "object":
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        return {name: smallest(props.get(name, {})) for name in schema.get("required") or []}
    if kind == "array":
        return [smallest(schema.get("items", {}))] * int(schema.get("minItems", 0))
    if kind == "string":
        return "x" * int(schema.get("minLength", 0))
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    return None
