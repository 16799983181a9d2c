from __future__ import annotations

import json

from smallclaw_tui.agent.loop_guard import (
    Action,
    LoopGuard,
    describe_call,
    is_empty_result,
    normalize_arguments,
    signature,
)
from smallclaw_tui.config import AgentSettings
from smallclaw_tui.models import ToolCall

SETTINGS = AgentSettings(loop_window=12, loop_warn_at=3, loop_block_at=4, loop_stuck_at=6)


def call(name: str, **args: object) -> ToolCall:
    return ToolCall(name=name, arguments=dict(args))


def run(guard: LoopGuard, c: ToolCall, ok: bool = True, output: str = "some content") -> Action:
    """What a chat loop does: check, run only if allowed, record."""
    verdict = guard.check(c)
    if verdict.runs:
        guard.record(c, ok, output)
    return verdict.action


def test_same_call_ten_times_escalates_warn_block_stuck() -> None:
    guard = LoopGuard(SETTINGS)
    actions = [run(guard, call("read_file", path="a.txt")) for _ in range(10)]
    assert actions == [
        Action.OK,
        Action.OK,
        Action.WARN,  # 3rd = warn_at
        Action.BLOCK,  # 4th = block_at
        Action.BLOCK,
        Action.STUCK,  # 6th = stuck_at
        Action.STUCK,
        Action.STUCK,
        Action.STUCK,
        Action.STUCK,
    ]


def test_messages_name_the_call_and_suggest_an_alternative() -> None:
    guard = LoopGuard(SETTINGS)
    c = call("read_file", path="a.txt")
    verdicts = []
    for _ in range(6):
        v = guard.check(c)
        verdicts.append(v)
        if v.runs:
            guard.record(c, True, "hello")
    warn, block, stuck = verdicts[2], verdicts[3], verdicts[5]
    assert "read_file{path: a.txt}" in warn.message and "list_dir" in warn.message
    assert block.message.startswith("Refused:") and "not run" in block.message
    assert stuck.message == "stuck: read_file{path: a.txt} repeated 6 times"
    assert (warn.pattern, warn.count) == ("repeat", 3)


def test_normalized_arguments_count_as_the_same_call() -> None:
    guard = LoopGuard(SETTINGS)
    variants = [
        call("read_file", path="a.txt"),
        call("read_file", path="./a.txt"),
        call("read_file", path=" a.txt "),
        call("read_file", path="dir/../a.txt"),
    ]
    assert [run(guard, c) for c in variants] == [Action.OK, Action.OK, Action.WARN, Action.BLOCK]


def test_key_order_and_whitespace_do_not_matter_but_path_case_does() -> None:
    a = call("edit_file", path="a.txt", old="x  y", new="z")
    b = ToolCall(name="edit_file", arguments={"new": "z", "old": "x y", "path": "./a.txt"})
    assert signature(a) == signature(b)
    assert signature(call("read_file", path="A.txt")) != signature(call("read_file", path="a.txt"))
    assert normalize_arguments({"path": "./", "n": 3}) == {"n": 3, "path": "."}


def test_alternating_calls_are_a_ping_pong() -> None:
    guard = LoopGuard(SETTINGS)
    a, b = call("read_file", path="a.txt"), call("list_dir", path=".")
    actions = [run(guard, c) for c in [a, b] * 5]
    # A B A B: the fourth call completes a second identical pair.
    assert actions[:3] == [Action.OK, Action.OK, Action.OK]
    assert actions[3] == Action.WARN
    assert Action.BLOCK in actions
    first_block = actions.index(Action.BLOCK)
    assert actions.index(Action.WARN) < first_block < actions.index(Action.STUCK)
    assert actions[-1] == Action.STUCK


def test_ping_pong_thresholds_and_reason() -> None:
    guard = LoopGuard(SETTINGS)
    a, b = call("read_file", path="a.txt"), call("list_dir", path=".")
    verdicts = []
    for c in [a, b] * 5:
        v = guard.check(c)
        verdicts.append(v)
        if v.runs:
            guard.record(c, True, "content")
    # pairs + 1: 4 calls -> 3 (warn), 6 calls -> 4 (block), 10 calls -> 6 (stuck)
    assert [v.action for v in verdicts] == [
        Action.OK, Action.OK, Action.OK, Action.WARN, Action.WARN,
        Action.BLOCK, Action.BLOCK, Action.BLOCK, Action.BLOCK, Action.STUCK,
    ]  # fmt: skip
    assert verdicts[3].pattern == "pingpong"
    assert verdicts[-1].message.startswith("stuck: alternating list_dir{path: .} and read_file{path: a.txt}")


def test_repeated_errors_with_varied_arguments_escalate() -> None:
    guard = LoopGuard(SETTINGS)
    verdicts = []
    for i in range(8):
        c = call("read_file", path=f"missing{i}.txt")
        v = guard.check(c)
        verdicts.append(v)
        if v.runs:
            guard.record(c, False, f"error: no such file: missing{i}.txt")
    assert [v.action for v in verdicts] == [
        Action.OK, Action.OK, Action.WARN, Action.BLOCK, Action.BLOCK,
        Action.STUCK, Action.STUCK, Action.STUCK,
    ]  # fmt: skip
    assert {v.pattern for v in verdicts[2:]} == {"error"}
    assert verdicts[2].count == 3
    # The message quotes the latest error as the tool wrote it, not the masked fingerprint.
    assert "no such file: missing2.txt" in verdicts[3].message
    assert verdicts[5].message.startswith("stuck: read_file failed with: error: no such file: missing2.txt")
    assert "<arg>" not in verdicts[5].message and "#" not in verdicts[5].message


def test_error_streak_blocks_only_the_failing_tool_and_resets_on_success() -> None:
    guard = LoopGuard(SETTINGS)
    for i in range(3):
        run(guard, call("read_file", path=f"m{i}"), ok=False, output=f"error: no such file: m{i}")
    assert guard.check(call("read_file", path="m9")).action == Action.BLOCK
    # The alternative is allowed, and its success ends the streak.
    assert run(guard, call("list_dir", path=".")) == Action.OK
    assert run(guard, call("read_file", path="real.txt")) == Action.OK


def test_repeated_empty_results_count_like_errors() -> None:
    guard = LoopGuard(SETTINGS)
    actions = [
        run(guard, call("search_files", pattern=f"foo{i}", path="."), ok=True, output="no matches")
        for i in range(4)
    ]
    assert actions == [Action.OK, Action.OK, Action.WARN, Action.BLOCK]


def test_different_errors_do_not_add_up() -> None:
    guard = LoopGuard(SETTINGS)
    outputs = ["error: no such file", "error: permission denied", "error: is a directory", "error: too big"]
    actions = [
        run(guard, call("read_file", path=f"p{i}"), ok=False, output=out) for i, out in enumerate(outputs)
    ]
    assert actions == [Action.OK] * 4


def test_window_forgets_old_calls() -> None:
    guard = LoopGuard(AgentSettings(loop_window=4, loop_warn_at=3, loop_block_at=4, loop_stuck_at=6))
    a = call("read_file", path="a.txt")
    assert run(guard, a) == Action.OK
    assert run(guard, a) == Action.OK
    for i in range(4):
        run(guard, call("list_dir", path=f"d{i}"))
    assert run(guard, a) == Action.OK


def test_thresholds_come_from_settings() -> None:
    guard = LoopGuard(AgentSettings(loop_warn_at=2, loop_block_at=3, loop_stuck_at=4))
    actions = [run(guard, call("list_dir", path=".")) for _ in range(4)]
    assert actions == [Action.OK, Action.WARN, Action.BLOCK, Action.STUCK]


def test_disabled_guard_always_allows() -> None:
    guard = LoopGuard(AgentSettings(loop_guard=False))
    assert {run(guard, call("read_file", path="a")) for _ in range(20)} == {Action.OK}
    assert guard.to_dict()["attempts"] == []


def test_state_round_trips_through_json() -> None:
    guard = LoopGuard(SETTINGS)
    c = call("read_file", path="a.txt")
    run(guard, c)
    run(guard, c)
    data = json.loads(json.dumps(guard.to_dict()))
    resumed = LoopGuard.from_dict(SETTINGS, data)
    assert resumed.check(call("read_file", path="a.txt")).action == Action.WARN
    assert (
        LoopGuard.from_dict(SETTINGS, {"version": 999, "attempts": [{"bogus": 1}]}).to_dict()["attempts"]
        == []
    )
    assert LoopGuard.from_dict(SETTINGS, None).check(c).action == Action.OK


def test_record_without_check_still_counts() -> None:
    guard = LoopGuard(SETTINGS)
    c = call("run_shell", command="make")
    guard.record(c, True, "ok")
    guard.record(c, True, "ok")
    assert guard.check(c).action == Action.WARN


def test_describe_call_shortens_long_values() -> None:
    text = describe_call(call("write_file", path="a.txt", content="x" * 100))
    assert text.startswith("write_file{content: xxx")
    assert "…" in text and len(text) < 80


def test_empty_result_detection() -> None:
    assert is_empty_result("")
    assert is_empty_result("  \n")
    assert is_empty_result("no matches")
    assert is_empty_result("(empty)")
    assert is_empty_result("src is empty")
    assert is_empty_result("no matches for 'x' in . (3 files)")
    assert not is_empty_result("No results were found in the report, which " + "is long " * 30)
    assert not is_empty_result("hello")
