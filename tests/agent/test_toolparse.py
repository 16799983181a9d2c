from __future__ import annotations

import pytest

from smallclaw_tui.agent.toolparse import canonical_tool_name, parse_reply, repair_arguments, split_thinking
from smallclaw_tui.llm.stream import RAW_ARGUMENTS_KEY

KNOWN = ["read_file", "write_file", "edit_file", "list_dir", "search_files", "run_shell", "web_fetch"]


def calls(text: str) -> list[tuple[str, dict[str, object]]]:
    return [(c.name, c.arguments) for c in parse_reply(text, KNOWN).calls]


# --- the shapes small models write -----------------------------------------------------------


def test_qwen_tool_call_tags() -> None:
    reply = parse_reply(
        'Let me read it.\n<tool_call>\n{"name": "read_file", "arguments": {"path": "a.txt"}}\n</tool_call>',
        KNOWN,
    )
    assert [(c.name, c.arguments) for c in reply.calls] == [("read_file", {"path": "a.txt"})]
    assert reply.text == "Let me read it."


def test_tools_tag_echoed_from_the_template_counts_as_a_call_block() -> None:
    # Qwen2.5-Coder 0.5B/1.5B wrap their call in the <tools> tag the template lists tools in; an
    # unknown name inside it is still a call (so the model hears "unknown tool"), not prose.
    reply = parse_reply(
        '<tools>\n{"name": "copy_file", "arguments": {"path": "src/a.txt", "destination": "b"}}\n</tools>',
        KNOWN,
    )
    assert [(c.name, c.arguments) for c in reply.calls] == [
        ("copy_file", {"path": "src/a.txt", "destination": "b"})
    ]
    assert reply.text == ""


def test_a_reply_that_is_only_a_call_with_an_unknown_name_is_still_a_call() -> None:
    # Qwen2.5-Coder-1.5B answered a step with {"name": "count_words", …} and nothing else.
    assert calls('{"name": "count_words", "arguments": {"file_path": "poem.txt"}}') == [
        ("count_words", {"file_path": "poem.txt"})
    ]
    # JSON that is not shaped like a call stays text, and so does a call-like object inside prose.
    assert calls('{"name": "bob", "age": 3}') == []
    assert calls('It could look like {"name": "bob", "arguments": {"x": 1}} in a config.') == []


def test_a_reply_that_is_only_a_fenced_call_with_an_unknown_name_is_still_a_call() -> None:
    # Qwen2.5-Coder-1.5B answered "Copy src/a.txt to dst/a.txt" with nothing but a fenced
    # copy_file call, twice; taken as prose, it heard "you called no tool" instead of "unknown
    # tool; available: …", which names the tools it can use.
    call = '{"name": "copy_file", "arguments": {"path": "src/a.txt", "destination": "dst/a.txt"}}'
    reply = f"```json\n{call}\n```"
    assert calls(reply) == [("copy_file", {"path": "src/a.txt", "destination": "dst/a.txt"})]
    # A fenced object that is not shaped like a call stays text, and so does a fence in prose.
    assert calls('```json\n{"name": "bob", "age": 3}\n```') == []
    assert calls('Like this:\n```json\n{"name": "bob", "arguments": {"x": 1}}\n```\nin a config.') == []


def test_several_tag_blocks_keep_their_order() -> None:
    text = (
        '<tool_call>{"name": "list_dir", "arguments": {"path": "."}}</tool_call>\n'
        '<tool_call>{"name": "read_file", "arguments": {"path": "b"}}</tool_call>'
    )
    assert calls(text) == [("list_dir", {"path": "."}), ("read_file", {"path": "b"})]


def test_unclosed_tag_runs_to_the_end() -> None:
    assert calls('<tool_call>{"name": "read_file", "arguments": {"path": "a.txt"}}') == [
        ("read_file", {"path": "a.txt"})
    ]


def test_fenced_json_block() -> None:
    reply = parse_reply(
        'I will list it.\n```json\n{"name": "list_dir", "arguments": {"path": "src"}}\n```\nThen read.',
        KNOWN,
    )
    assert [(c.name, c.arguments) for c in reply.calls] == [("list_dir", {"path": "src"})]
    assert reply.text == "I will list it.\n\nThen read."


def test_bare_json_object_inside_prose() -> None:
    reply = parse_reply('Sure: {"name": "read_file", "arguments": {"path": "x.md"}} now.', KNOWN)
    assert [(c.name, c.arguments) for c in reply.calls] == [("read_file", {"path": "x.md"})]
    assert reply.text == "Sure: now."


def test_json_list_of_calls() -> None:
    text = (
        '[{"name": "read_file", "arguments": {"path": "a"}},'
        ' {"name": "list_dir", "arguments": {"path": "b"}}]'
    )
    assert calls(text) == [("read_file", {"path": "a"}), ("list_dir", {"path": "b"})]


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "read_file", "parameters": {"path": "a.txt"}}',
        '{"type": "function", "function": {"name": "read_file", "arguments": {"path": "a.txt"}}}',
        '{"function": {"name": "read_file", "arguments": "{\\"path\\": \\"a.txt\\"}"}}',
        '{"tool": "read_file", "args": {"path": "a.txt"}}',
        '{"name": "read_file", "arguments": "{\\"path\\": \\"a.txt\\"}"}',
        '{"name": "read_file", "path": "a.txt"}',
        '{"tool_calls": [{"function": {"name": "read_file", "arguments": {"path": "a.txt"}}}]}',
        '{"action": "read_file", "action_input": {"path": "a.txt"}}',
        '{"name": "Read-File", "arguments": {"path": "a.txt"}}',
        '{"name": "functions.read_file", "arguments": {"path": "a.txt"}}',
    ],
)
def test_call_shapes(text: str) -> None:
    assert calls(text) == [("read_file", {"path": "a.txt"})]


# --- broken JSON ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # trailing garbage
        ('{"name": "read_file", "arguments": {"path": "a.txt"}}}}', {"path": "a.txt"}),
        # single quotes
        ("{'name': 'read_file', 'arguments': {'path': 'a.txt'}}", {"path": "a.txt"}),
        # missing closing braces
        ('{"name": "read_file", "arguments": {"path": "a.txt"', {"path": "a.txt"}),
        # trailing comma
        ('{"name": "read_file", "arguments": {"path": "a.txt",},}', {"path": "a.txt"}),
    ],
)
def test_broken_json_is_repaired(text: str, expected: dict[str, object]) -> None:
    assert calls(text) == [("read_file", expected)]


def test_unescaped_newlines_in_a_string() -> None:
    text = (
        '<tool_call>{"name": "write_file", "arguments": {"path": "n.txt", "content": "one\ntwo"}}</tool_call>'
    )
    assert calls(text) == [("write_file", {"path": "n.txt", "content": "one\ntwo"})]


def test_apostrophes_in_prose_do_not_confuse_the_scanner() -> None:
    text = 'I don\'t know yet, so {"name": "list_dir", "arguments": {"path": "."}} it\'s fine'
    reply = parse_reply(text, KNOWN)
    assert [(c.name, c.arguments) for c in reply.calls] == [("list_dir", {"path": "."})]
    assert reply.text == "I don't know yet, so it's fine"


def test_unreadable_string_arguments_are_kept_raw_for_the_caller() -> None:
    [call] = parse_reply('{"name": "read_file", "arguments": "path=a.txt"}', KNOWN).calls
    assert call.arguments == {RAW_ARGUMENTS_KEY: "path=a.txt"}


# --- prose stays prose ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Use {name} placeholders in the template.",
        'The config is {"name": "Alice", "age": 3}.',
        '```json\n{"name": "demo", "version": 1}\n```',
        "A set looks like {1, 2, 3} and a dict like {'a': 1}.",
        'read_file is a tool; its input looks like {"path": "a.txt"}.',
        "Unbalanced { brace and read_file mentioned",
        '{"type": "function", "function": {"name": "read_file", "description": "Read a file", '
        '"parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}}',
    ],
)
def test_prose_with_braces_is_not_a_call(text: str) -> None:
    reply = parse_reply(text, KNOWN)
    assert reply.calls == []
    assert reply.text == text.strip()


def test_prose_mentioning_the_tag_stays_visible() -> None:
    text = "Models wrap calls in <tool_call> tags; I did not need any."
    reply = parse_reply(text, KNOWN)
    assert reply.calls == [] and reply.text == text


def test_empty_closed_tag_block_is_removed() -> None:
    reply = parse_reply("Done.<tool_call></tool_call>", KNOWN)
    assert reply.calls == [] and reply.text == "Done."


def test_unknown_name_outside_tags_is_text_when_there_is_more_than_the_call() -> None:
    assert calls('Use {"name": "frobnicate", "arguments": {}} to frobnicate.') == []


def test_unknown_name_inside_tags_is_kept_for_the_registry_to_refuse() -> None:
    reply = parse_reply('<tool_call>{"name": "frobnicate", "arguments": {"x": 1}}</tool_call>', KNOWN)
    assert [(c.name, c.arguments) for c in reply.calls] == [("frobnicate", {"x": 1})]
    assert reply.text == ""


def test_each_call_gets_its_own_id() -> None:
    a, b = parse_reply(
        '{"name": "read_file", "arguments": {"path": "a"}} {"name": "read_file", "arguments": {"path": "a"}}',
        KNOWN,
    ).calls
    assert a.id != b.id


def test_json_inside_a_string_argument_is_not_a_second_call() -> None:
    inner = '{\\"name\\": \\"read_file\\", \\"arguments\\": {\\"path\\": \\"x\\"}}'
    text = f'{{"name": "write_file", "arguments": {{"path": "c.json", "content": "{inner}"}}}}'
    [call] = parse_reply(text, KNOWN).calls
    assert call.name == "write_file"
    assert call.arguments["content"] == '{"name": "read_file", "arguments": {"path": "x"}}'


# --- thinking ------------------------------------------------------------------------------------


def test_calls_inside_thinking_are_never_calls() -> None:
    reply = parse_reply(
        '<think>maybe {"name": "read_file", "arguments": {"path": "secret"}}</think>All done.', KNOWN
    )
    assert reply.calls == []
    assert reply.text == "All done."
    assert "secret" in reply.thinking


def test_unclosed_leading_think_is_all_thinking() -> None:
    reply = parse_reply('<think>I could {"name": "list_dir", "arguments": {"path": "."}}', KNOWN)
    assert reply.calls == []
    assert reply.text == ""


def test_close_tag_without_opener_means_the_reply_started_inside_thinking() -> None:
    visible, thinking = split_thinking("plan the work</think>\nThe answer.")
    assert visible.strip() == "The answer."
    assert thinking == "plan the work"


def test_several_think_blocks() -> None:
    visible, thinking = split_thinking("<think>a</think>one <think>b</think>two")
    assert visible == "one two"
    assert thinking == "a\nb"


# --- repair_arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"path": "a.txt"}', {"path": "a.txt"}),
        ('{"path": "a.txt"', {"path": "a.txt"}),
        ("{'path': 'a.txt'}", {"path": "a.txt"}),
        ('{"path": "a.txt"} trailing words', {"path": "a.txt"}),
        ('"{\\"path\\": \\"a.txt\\"}"', {"path": "a.txt"}),
        ('```json\n{"path": "a.txt"}\n```', {"path": "a.txt"}),
        ('{"content": "line1\nline2", "path": "b"}', {"content": "line1\nline2", "path": "b"}),
        ("", {}),
        ("   ", {}),
    ],
)
def test_repair_arguments(raw: str, expected: dict[str, object]) -> None:
    assert repair_arguments(raw) == expected


@pytest.mark.parametrize("raw", ["path=a.txt", "just words", "[1, 2]", "42"])
def test_repair_arguments_gives_up_on_non_objects(raw: str) -> None:
    assert repair_arguments(raw) is None


def test_canonical_tool_name() -> None:
    assert canonical_tool_name("read_file", KNOWN) == "read_file"
    assert canonical_tool_name("Read-File", KNOWN) == "read_file"
    assert canonical_tool_name("functions.list_dir", KNOWN) == "list_dir"
    assert canonical_tool_name("read", KNOWN) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"path": "a.md", "content": "# Usage\\n"', {"path": "a.md", "content": "# Usage\n"}),
        ("{'path': 'a.md', 'content': 'x\\n'}", {"path": "a.md", "content": "x\n"}),
        ('{"a": "x\\ny\\n", "b": 1', {"a": "x\ny\n", "b": 1}),
        ('{"path": "a.txt", "content": "hi"} and then some chatter', {"path": "a.txt", "content": "hi"}),
    ],
)
def test_repair_never_changes_string_values(raw: str, expected: dict[str, object]) -> None:
    # json_repair alone strips trailing newlines from values; a file must get the bytes the model sent.
    assert repair_arguments(raw) == expected
