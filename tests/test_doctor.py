"""`run_doctor` against the loopback fake server (both protocols) and a server that is down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smallclaw_tui.config import Settings, ToolSettings
from smallclaw_tui.doctor import DoctorCheck, DoctorReport, format_report, run_doctor, text_tool_call
from smallclaw_tui.testing import FakeModelServer, Reply, ScriptedHandler, unreachable_url
from smallclaw_tui.tools.sandbox import probe_sandbox


def settings_for(srv: FakeModelServer | None, tmp_path: Path, **llm: Any) -> Settings:
    base = srv.llm_settings(**llm) if srv is not None else None
    values = base.model_dump() if base is not None else {"base_url": unreachable_url(), **llm}
    return Settings(workspace=tmp_path, llm=values)


def check(report: DoctorReport, name: str) -> DoctorCheck:
    found = report.get(name)
    assert found is not None, f"no {name!r} check in the report"
    return found


def marks(report: DoctorReport) -> dict[str, str]:
    """The model-server checks (the sandbox line has its own tests below)."""
    shown = (c for c in report if c.name != "sandbox")
    return {c.name: "skip" if c.skipped else ("ok" if c.ok else "FAIL") for c in shown}


async def test_healthy_server_passes_every_check(tmp_path: Path) -> None:
    handler = ScriptedHandler([Reply.tool("echo", {"text": "ping"}, tokens_per_s=12.5, load_s=2.0)] * 2)
    with FakeModelServer(handler) as srv:
        report = await run_doctor(settings_for(srv, tmp_path, num_ctx=8192))
        request = srv.chat_requests[0]
    assert report.ok, format_report(report)
    assert marks(report) == {
        "server": "ok",
        "model": "ok",
        "context": "ok",
        "tool call": "ok",
        "tool mode": "ok",
        "speed": "ok",
    }
    assert check(report, "tool mode").detail == "native ✓  schema ✓  text ✓; using native (auto's pick)"
    assert "12.5 tokens/s" in check(report, "speed").detail
    assert request.tool_names == ["echo"] and request.think is False
    assert format_report(report).splitlines()[-1] == "all checks passed"


async def test_server_down_fails_first_check_and_skips_the_rest(tmp_path: Path) -> None:
    report = await run_doctor(settings_for(None, tmp_path))
    assert not report.ok
    assert marks(report) == {
        "server": "FAIL",
        "model": "skip",
        "context": "skip",
        "tool call": "skip",
        "tool mode": "skip",
        "speed": "skip",
    }
    server = report.checks[0]
    assert "refused" in server.detail and "\n" not in server.detail
    text = format_report(report)
    assert text.startswith("FAIL  server")
    assert "fix: start Ollama" in text


async def test_missing_model_says_how_to_pull_it(tmp_path: Path) -> None:
    with FakeModelServer(models=["llama3.2:1b"]) as srv:
        report = await run_doctor(settings_for(srv, tmp_path, model="qwen3:4b"))
    model = check(report, "model")
    assert not model.ok and "qwen3:4b" in model.detail and model.fix == "run `ollama pull qwen3:4b`"
    assert marks(report)["tool call"] == "skip"


async def test_tool_call_written_as_text_is_noticed(tmp_path: Path) -> None:
    text = 'Sure! {"name": "echo", "arguments": {"text": "ping"}}'
    with FakeModelServer(ScriptedHandler([Reply(text=text)])) as srv:
        report = await run_doctor(settings_for(srv, tmp_path))
    found = check(report, "tool call")
    assert found.ok and "as text" in found.detail
    assert "hint:" in format_report(report)


async def test_no_tool_call_fails(tmp_path: Path) -> None:
    with FakeModelServer(ScriptedHandler([Reply(text="I cannot do that.")])) as srv:
        report = await run_doctor(settings_for(srv, tmp_path))
    found = check(report, "tool call")
    assert not found.ok and "I cannot do that." in found.detail
    assert not report.ok
    # The default model is qwen3:4b: advising "try qwen3:4b" would send the user in a circle.
    assert found.fix is not None and "try qwen3:4b" not in found.fix and "chat template" in found.fix


async def test_no_tool_call_from_another_model_suggests_one_that_calls_tools(tmp_path: Path) -> None:
    with FakeModelServer(ScriptedHandler([Reply(text="no")]), models=("tinyllama",)) as srv:
        report = await run_doctor(settings_for(srv, tmp_path, model="tinyllama"))
    assert "tinyllama may not support tools; try qwen3:4b" in (check(report, "tool call").fix or "")


async def test_num_ctx_above_the_model_limit_fails(tmp_path: Path) -> None:
    with FakeModelServer(ScriptedHandler([Reply.tool("echo", {"text": "ping"})]), context_length=4096) as srv:
        report = await run_doctor(settings_for(srv, tmp_path, num_ctx=16384))
    found = check(report, "context")
    assert not found.ok and "4096" in found.detail and "num_ctx" in found.fix


async def test_model_error_during_the_tool_call_is_reported(tmp_path: Path) -> None:
    with FakeModelServer(ScriptedHandler([Reply.fail(500, "out of memory")])) as srv:
        report = await run_doctor(settings_for(srv, tmp_path))
    assert marks(report)["tool call"] == "FAIL" and marks(report)["speed"] == "skip"
    assert "out of memory" in check(report, "tool call").detail


async def test_openai_compatible_server(tmp_path: Path) -> None:
    handler = ScriptedHandler([Reply.tool("echo", {"text": "ping"})])
    with FakeModelServer(handler, models=["qwen3-4b.gguf"], n_ctx=8192) as srv:
        report = await run_doctor(settings_for(srv, tmp_path, api="openai", model="qwen3:4b", num_ctx=8192))
    assert report.ok, format_report(report)
    assert "qwen3-4b.gguf" in check(report, "model").detail


def test_text_tool_call_detection() -> None:
    assert text_tool_call('<tool_call>{"name": "echo", "arguments": {}}</tool_call>') == {
        "name": "echo",
        "arguments": {},
    }
    assert text_tool_call("no json {here} at all") is None
    assert text_tool_call('{"text": "no name"}') is None


# --- tool modes ----------------------------------------------------------------------------------

PING_ACTION = '{"tool": "echo", "args": {"text": "ping"}}'


@pytest.mark.parametrize("api", ["ollama", "openai"])
async def test_schema_mode_is_found_when_native_calls_fail(tmp_path: Path, api: str) -> None:
    with FakeModelServer(ScriptedHandler(["Hello! How can I help?", PING_ACTION])) as srv:
        report = await run_doctor(settings_for(srv, tmp_path, api=api))
        native, schema = srv.chat_requests
    assert report.ok, format_report(report)
    assert "schema mode works instead" in check(report, "tool call").detail
    assert check(report, "tool mode").detail == "native ✗  schema ✓  text ✓; using schema (auto's pick)"
    # The schema probe is small and sends no tools (Ollama ignores them next to a format).
    assert native.tool_names == ["echo"] and schema.tools == []
    field = "format" if api == "ollama" else "response_format"
    assert field in schema.body and field not in native.body
    limit = schema.options.get("num_predict", schema.body.get("max_tokens"))
    assert isinstance(limit, int) and limit <= 96


async def test_a_server_that_ignores_the_schema_falls_back_to_text(tmp_path: Path) -> None:
    handler = ScriptedHandler(["I cannot.", "Sure, I will echo ping."])
    with FakeModelServer(handler, schema_support="ignore") as srv:
        report = await run_doctor(settings_for(srv, tmp_path))
    mode = check(report, "tool mode")
    assert mode.ok and mode.detail == "native ✗  schema ✗  text ✓; using text (auto's pick)"
    assert "not JSON" in mode.fix
    assert not check(report, "tool call").ok


async def test_schema_set_but_refused_fails_and_says_what_to_set(tmp_path: Path) -> None:
    handler = ScriptedHandler([Reply.tool("echo", {"text": "ping"})] * 2)
    with FakeModelServer(handler, schema_support="reject") as srv:
        report = await run_doctor(settings_for(srv, tmp_path, tool_mode="schema"))
    mode = check(report, "tool mode")
    assert not mode.ok and mode.detail == "native ✓  schema ✗  text ✓; using schema (llm.tool_mode)"
    assert "not supported" in mode.fix and "set llm.tool_mode to auto" in mode.fix
    assert "FAIL  tool mode" in format_report(report)


async def test_llama_cpp_python_schema_shape_counts_as_honoured(tmp_path: Path) -> None:
    handler = ScriptedHandler([Reply.tool("echo", {"text": "ping"}), PING_ACTION])
    with FakeModelServer(handler, openai_response_formats=("json_object",)) as srv:
        report = await run_doctor(settings_for(srv, tmp_path, api="openai", tool_mode="native"))
        shapes = [r.body.get("response_format", {}).get("type") for r in srv.chat_requests]
    assert check(report, "tool mode").detail == "native ✓  schema ✓  text ✓; using native (llm.tool_mode)"
    assert shapes == [None, "json_schema", "json_object"]


# --- the shell sandbox ----------------------------------------------------------------------------------


async def test_doctor_says_whether_shell_commands_run_sandboxed(tmp_path: Path) -> None:
    status = probe_sandbox(ToolSettings())
    if not status.ok:
        pytest.skip(f"bubblewrap cannot run here: {status.reason}")
    report = await run_doctor(settings_for(None, tmp_path))  # reported even with the server down
    line = check(report, "sandbox")
    assert line.ok and "bubblewrap" in line.detail
    assert "ok    sandbox" in format_report(report)


async def test_doctor_without_bubblewrap_says_why_and_how_to_fix_it(tmp_path: Path) -> None:
    no_bwrap = {"sandbox_bwrap": str(tmp_path / "no-bwrap")}
    settings = Settings(workspace=tmp_path, llm={"base_url": unreachable_url()}, tools=no_bwrap)
    report = await run_doctor(settings)
    line = check(report, "sandbox")
    assert not line.ok and not line.skipped
    assert "not found" in line.detail and "every shell command asks for approval" in line.detail
    assert "apt install bubblewrap" in line.fix
    text = format_report(report)
    assert "FAIL  sandbox" in text and "fix: install bubblewrap" in text
