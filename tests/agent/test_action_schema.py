"""The step-action schema, reading actions back, and the plain-text history of text/schema modes."""

from __future__ import annotations

from smallclaw_tui.agent.action_schema import Action, action_schema, action_text, read_action
from smallclaw_tui.agent.tool_prompt import describe_tools, plain_history, system_prompt_for
from smallclaw_tui.llm.schema_check import conforms
from smallclaw_tui.llm.stream import RAW_ARGUMENTS_KEY
from smallclaw_tui.models import ChatMessage, Role, ToolCall
from smallclaw_tui.tools import default_registry

SPECS = default_registry().specs()
NAMES = default_registry().names()


def test_the_schema_offers_a_call_done_or_blocked_with_the_tool_first() -> None:
    schema = action_schema(SPECS)
    call, done, blocked = schema["anyOf"]
    assert list(call["properties"]) == ["tool", "args"] and call["required"] == ["tool", "args"]
    assert call["properties"]["tool"]["enum"] == NAMES
    assert conforms({"tool": "read_file", "args": {"path": "a"}}, schema)
    assert conforms({"done": "wrote a.txt"}, schema) and conforms({"blocked": "no"}, schema)
    assert not conforms({"tool": "rm", "args": {}}, schema)
    assert not conforms({"done": "x", "blocked": "y"}, schema)
    assert not conforms({"name": "read_file", "arguments": {}}, schema)
    assert (done["required"], blocked["required"]) == (["done"], ["blocked"])


def test_shaped_arguments_follow_each_tool() -> None:
    schema = action_schema(SPECS, shape_args=True)
    assert len(schema["anyOf"]) == len(NAMES) + 2
    assert conforms({"tool": "read_file", "args": {"path": "a"}}, schema)
    assert not conforms({"tool": "read_file", "args": {}}, schema)
    assert not conforms({"tool": "read_file", "args": {"path": "a", "extra": 1}}, schema)


def test_no_tools_leaves_only_done_and_blocked() -> None:
    assert [list(o["properties"]) for o in action_schema([])["anyOf"]] == [["done"], ["blocked"]]


def test_reading_actions() -> None:
    call = read_action('{"tool": "Read_File", "args": {"path": "a"}}', NAMES)
    assert call is not None and call.call is not None
    assert (call.call.name, call.call.arguments) == ("read_file", {"path": "a"})
    assert read_action('{"done": " wrote a.txt "}', NAMES) == Action(final="DONE: wrote a.txt")
    assert read_action('{"blocked": "no network"}', NAMES) == Action(final="BLOCKED: no network")
    # Broken JSON is repaired; arguments of the wrong type are kept raw for the session to answer.
    repaired = read_action("{'tool': 'list_dir', 'args': {'path': '.'}", NAMES)
    assert repaired is not None and repaired.call is not None and repaired.call.arguments == {"path": "."}
    raw = read_action('{"tool": "read_file", "args": "a.txt"}', NAMES)
    assert raw is not None and raw.call is not None and raw.call.arguments == {RAW_ARGUMENTS_KEY: "a.txt"}
    for not_an_action in ("Sure, I wrote it.", '{"name": "read_file", "arguments": {}}', "[1]", ""):
        assert read_action(not_an_action, NAMES) is None


def test_action_text_writes_what_the_model_would_have() -> None:
    call = ToolCall(name="read_file", arguments={"path": "a"})
    assert action_text(call=call) == '{"tool": "read_file", "args": {"path": "a"}}'
    assert action_text(final="DONE: wrote it") == '{"done": "wrote it"}'
    assert action_text(final="blocked: no") == '{"blocked": "no"}'
    assert action_text(final="Hello there") == '{"done": "Hello there"}'


def test_tools_are_described_one_per_line_with_optional_arguments_marked() -> None:
    lines = describe_tools(SPECS).splitlines()
    assert len(lines) == len(NAMES)
    assert lines[0].startswith("- read_file(path): ")
    assert any(line.startswith("- list_dir(path?): ") for line in lines)
    assert system_prompt_for("native", "BASE", SPECS) == "BASE"
    assert system_prompt_for("text", "BASE", []) == "BASE"
    assert "<tool_call>" in system_prompt_for("text", "BASE", SPECS)
    assert '{"done": ' in system_prompt_for("schema", "BASE", SPECS)


def test_plain_history_has_no_tool_roles_and_alternates() -> None:
    call = ToolCall(id="c1", name="read_file", arguments={"path": "a"})
    history = [
        ChatMessage(role=Role.SYSTEM, content="sys"),
        ChatMessage(role=Role.USER, content="read a"),
        ChatMessage(role=Role.ASSISTANT, content="Reading.", tool_calls=[call]),
        ChatMessage(role=Role.TOOL, content="hello", tool_call_id="c1", name="read_file"),
        ChatMessage(role=Role.USER, content="You called no tool."),
        ChatMessage(role=Role.ASSISTANT, content="DONE: read it"),
    ]
    text = plain_history(history, "text")
    assert [m.role for m in text] == [Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT]
    assert text[2].content.startswith("Reading.\n<tool_call>\n") and not text[2].tool_calls
    assert text[3].content == "<tool_response>\nhello\n</tool_response>\n\nYou called no tool."
    assert text[4].content == "DONE: read it"
    schema = plain_history(history, "schema")
    assert schema[2].content == '{"tool": "read_file", "args": {"path": "a"}}'
    assert schema[4].content == '{"done": "read it"}'
    assert plain_history(history, "native") == history
