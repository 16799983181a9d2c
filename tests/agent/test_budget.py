from __future__ import annotations

from smallclaw_tui.agent.budget import (
    MESSAGE_OVERHEAD_TOKENS,
    TokenEstimator,
    clip_tool_result,
    fit_messages,
)
from smallclaw_tui.models import ChatMessage, Role, ToolCall


def user(text: str) -> ChatMessage:
    return ChatMessage(role=Role.USER, content=text)


def assistant(text: str = "", *calls: ToolCall) -> ChatMessage:
    return ChatMessage(role=Role.ASSISTANT, content=text, tool_calls=list(calls))


def tool(call: ToolCall, text: str) -> ChatMessage:
    return ChatMessage(role=Role.TOOL, content=text, tool_call_id=call.id, name=call.name)


def tool_round(text: str) -> list[ChatMessage]:
    c = ToolCall(name="read_file", arguments={"path": "a.txt"})
    return [assistant("", c), tool(c, text)]


# --- estimates -----------------------------------------------------------------------------------


def test_estimate_is_about_three_and_a_half_chars_per_token() -> None:
    est = TokenEstimator()
    assert est.text("") == 0
    assert est.text("x" * 350) == 100
    assert est.message(user("x" * 350)) == 100 + MESSAGE_OVERHEAD_TOKENS


def test_thinking_is_not_counted() -> None:
    est = TokenEstimator()
    m = assistant("hi")
    thinking = m.model_copy(update={"thinking": "t" * 10_000})
    assert est.message(m) == est.message(thinking)


def test_tool_calls_and_tools_are_counted() -> None:
    est = TokenEstimator()
    c = ToolCall(name="write_file", arguments={"path": "a", "content": "x" * 700})
    assert est.message(assistant("", c)) > 200
    spec = {"type": "function", "function": {"name": "read_file", "description": "d" * 350}}
    assert est.tools([spec]) > 100
    assert est.tools(None) == 0


def test_correct_learns_the_servers_ratio() -> None:
    est = TokenEstimator()
    for _ in range(20):
        estimated = est.text("x" * 3500)
        est.correct(estimated, 1500)
    assert abs(est.text("x" * 3500) - 1500) < 30
    assert 1.4 < est.ratio < 1.6


def test_correct_ignores_tiny_and_implausible_samples() -> None:
    est = TokenEstimator()
    assert est.correct(10, 30) == 1.0
    # A cached prompt prefix: the server evaluated only the new tokens.
    assert est.correct(2000, 100) == 1.0
    assert est.correct(1000, 0) == 1.0


# --- fit_messages --------------------------------------------------------------------------------


def test_everything_fits_nothing_dropped() -> None:
    history = [user("hi"), assistant("hello"), user("read a"), *tool_round("A"), assistant("done")]
    out, dropped = fit_messages("sys", history, None, num_ctx=8192, reply_budget=1024)
    assert dropped == 0
    assert out[0].role is Role.SYSTEM and out[0].content == "sys"
    assert out[1:] == history


def test_oldest_turns_are_dropped_whole_and_a_note_added() -> None:
    big = "x" * 3500  # ~1000 tokens
    history = [
        user("first " + big),
        assistant("ok " + big),
        user("second " + big),
        *tool_round(big),
        assistant("ok"),
        user("latest question"),
    ]
    out, dropped = fit_messages("You are helpful.", history, None, num_ctx=4096, reply_budget=1024)
    # The first turn (2 messages) cannot fit beside the second; the second turn can.
    assert dropped == 2
    assert out[0].content == "You are helpful.\n\n[2 earlier messages omitted to fit the context window]"
    assert out[1].content.startswith("second")
    assert out[-1].content == "latest question"


def test_latest_user_turn_is_always_kept_and_calls_stay_with_their_results() -> None:
    big = "y" * 1400  # ~400 tokens a round
    history = [user("do the thing")]
    for _ in range(10):
        history += tool_round(big)
    out, dropped = fit_messages("sys", history, None, num_ctx=2048, reply_budget=512)
    body = out[1:]
    assert body[0].content == "do the thing"
    assert dropped > 0 and dropped % 2 == 0
    # Every tool result still follows the assistant message that called it.
    for i, m in enumerate(body):
        if m.role is Role.TOOL:
            prev = body[i - 1]
            assert prev.role is Role.ASSISTANT and prev.tool_calls[0].id == m.tool_call_id
    assert body[-1] == history[-1]


def test_newest_round_is_kept_even_over_budget() -> None:
    history = [user("go"), *tool_round("z" * 20_000)]
    out, dropped = fit_messages("sys", history, None, num_ctx=1024, reply_budget=256)
    assert dropped == 0
    assert out[1:] == history


def test_orphan_tool_result_is_never_sent_alone() -> None:
    c = ToolCall(name="read_file", arguments={})
    history = [tool(c, "stale"), user("hi")]
    out, dropped = fit_messages(None, history, None, num_ctx=8192, reply_budget=1024)
    assert dropped == 1
    assert [m.role for m in out] == [Role.SYSTEM, Role.USER]
    assert out[0].content == "[1 earlier message omitted to fit the context window]"


def test_tools_and_system_take_their_share() -> None:
    history = [user("a" * 700), assistant("b" * 700), user("latest")]
    spec = {"type": "function", "function": {"name": "t", "description": "d" * 7000}}
    _, dropped_without = fit_messages("sys", history, None, num_ctx=2600, reply_budget=256)
    _, dropped_with = fit_messages("sys", history, [spec], num_ctx=2600, reply_budget=256)
    assert dropped_without == 0
    assert dropped_with == 2


def test_system_message_object_is_not_mutated() -> None:
    sys_msg = ChatMessage(role=Role.SYSTEM, content="rules")
    history = [user("x" * 10_000), assistant("y"), user("now")]
    out, dropped = fit_messages(sys_msg, history, None, num_ctx=1024, reply_budget=256)
    assert dropped == 2
    assert sys_msg.content == "rules"
    assert out[0].content.startswith("rules\n\n[2 earlier")


# --- clip_tool_result ----------------------------------------------------------------------------


def test_short_results_are_untouched() -> None:
    assert clip_tool_result("hello", 200) == "hello"


def test_long_results_keep_head_and_tail_with_a_note() -> None:
    text = "".join(f"line {i}\n" for i in range(2000))
    clipped = clip_tool_result(text, 2000)
    assert len(clipped) <= 2000
    assert clipped.startswith("line 0\n")
    assert clipped.rstrip().endswith("line 1999")
    assert "characters cut ...]" in clipped
    cut = int(clipped.split("[... ")[1].split(" of ")[0])
    head, tail = clipped.split("[... ")[0], clipped.split("...]\n")[1]
    assert cut == len(text) - len(head) - len(tail)
    # Cuts land on line boundaries.
    assert head.endswith("\n") and tail.startswith("line ")


def test_clip_without_newlines() -> None:
    clipped = clip_tool_result("a" * 5000 + "END", 500)
    assert len(clipped) <= 500
    assert clipped.startswith("aaa") and clipped.endswith("END")


def test_plausible_rejects_counts_of_only_the_uncached_tail() -> None:
    assert TokenEstimator.plausible(1000, 900)
    assert TokenEstimator.plausible(1000, 2000)
    assert not TokenEstimator.plausible(1000, 150)
    assert not TokenEstimator.plausible(1000, 0)
    assert not TokenEstimator.plausible(0, 10)
