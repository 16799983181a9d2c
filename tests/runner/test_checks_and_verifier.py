from __future__ import annotations

import pytest

from smallclaw_tui.runner.checks import implied_checks
from smallclaw_tui.runner.evidence import quote_found
from smallclaw_tui.runner.verifier import _judge, parse_answer


@pytest.mark.parametrize(
    ("description", "paths"),
    [
        ("Write the summary into report.md", ["report.md"]),
        ("Create notes/todo.md with a title line", ["notes/todo.md"]),
        ("write tests/test_parse.py", ["tests/test_parse.py"]),
        ("Save the list as `out/list.txt`.", ["out/list.txt"]),
        ("read config.toml and count the keys", []),
        ("write a short summary for the user", []),
        ("create ../escape.txt", []),
    ],
)
def test_implied_checks_come_only_from_files_a_step_says_it_produces(
    description: str, paths: list[str]
) -> None:
    assert [c.path for c in implied_checks(description)] == paths


@pytest.mark.parametrize(
    "answer",
    [
        "VERDICT: YES\nEVIDENCE: wrote 5 bytes to a.txt\nREASON: ok",
        "**Verdict:** YES\n**Evidence:** [write_file] wrote 5 bytes to a.txt\n**Reason:** the tool says so",
        '{"verdict": "YES", "evidence": "tool_result: wrote 5 bytes to a.txt", "reason": "ok"}',
        '<think>hmm</think>\nVerdict = yes\nEvidence = "Wrote 5  bytes to A.txt."\nReason = fine',
    ],
)
def test_real_evidence_in_many_dresses_is_accepted(answer: str) -> None:
    verdict, malformed = _judge(answer, ["[write_file] wrote 5 bytes to a.txt"], require_evidence=True)
    assert verdict.yes and not malformed, verdict


@pytest.mark.parametrize(
    ("answer", "malformed"),
    [
        ("VERDICT: YES\nEVIDENCE: wrote 9 bytes to b.txt\nREASON: ok", False),  # invented quote
        ("VERDICT: YES\nEVIDENCE: none\nREASON: trust me", True),
        ("Looks good to me!", True),
        ("VERDICT: NO\nEVIDENCE: none\nREASON: not written", False),
        ("VERDICT: YES\nEVIDENCE: a\nREASON: too short to mean anything", False),
    ],
)
def test_anything_else_is_a_no(answer: str, malformed: bool) -> None:
    verdict, was_malformed = _judge(answer, ["[write_file] wrote 5 bytes to a.txt"], require_evidence=True)
    assert not verdict.yes and was_malformed == malformed


def test_parse_answer_reads_the_quote_up_to_the_reason_line() -> None:
    _, evidence, reason = parse_answer("**Evidence:** wrote 6 bytes to docs/faq.md\n**Reason:** shown")
    assert evidence == "wrote 6 bytes to docs/faq.md" and reason == "shown"


def test_quote_pieces_around_an_ellipsis_must_all_be_in_one_source() -> None:
    sources = ["[read_file] a.txt (12 bytes):\nthe answer is 42", "[list_dir] .: 0 folders, 1 files"]
    assert quote_found("a.txt (12 bytes): … the answer is 42", sources)
    assert not quote_found("a.txt (12 bytes) … 1 files", sources)
