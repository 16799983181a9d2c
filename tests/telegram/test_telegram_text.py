"""Message text helpers: UTF-16 limits, splitting, clipping, redaction."""

from __future__ import annotations

import logging

import pytest

from smallclaw_tui.telegram.redact import protect_token, redact
from smallclaw_tui.telegram.text import (
    clip,
    split_message,
    task_id_in_needs_you,
    utf16_len,
)


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("é") == 1
    assert utf16_len("🙂") == 2


def test_short_text_is_one_unnumbered_part() -> None:
    assert split_message("  hello  ", 100) == ["hello"]
    assert split_message("   ", 100) == []


def test_split_never_exceeds_the_limit_even_with_emoji_and_no_spaces() -> None:
    text = "🙂" * 500 + "x" * 333
    parts = split_message(text, 100)
    assert all(utf16_len(p) <= 100 for p in parts)
    assert "".join(p.rsplit(" (", 1)[0] for p in parts) == text  # nothing lost, no pair split


def test_split_prefers_paragraphs_then_lines() -> None:
    text = ("a" * 60) + "\n\n" + ("b" * 60) + "\n" + ("c" * 30)
    parts = split_message(text, 100)
    assert parts[0] == "a" * 60 + " (1/2)"
    assert parts[1] == "b" * 60 + "\n" + "c" * 30 + " (2/2)"


def test_clip_marks_what_it_cut() -> None:
    assert clip("short", 10) == "short"
    clipped = clip("🙂" * 10, 7)
    assert clipped == "🙂🙂🙂…" and utf16_len(clipped) <= 7


def test_needs_you_messages_are_recognised_by_their_first_line() -> None:
    assert task_id_in_needs_you("⚠️ Task 1a2b3c4d needs you: Fix it\n\nWhy: …") == "1a2b3c4d"
    assert task_id_in_needs_you("✅ Task 1a2b3c4d is done: Fix it") is None
    assert task_id_in_needs_you("Resumed task 1a2b3c4d") is None


def test_library_log_records_are_redacted_including_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    token = "555:redaction-test-token"
    protect_token(token)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("telegram.Bot").debug("Set Bot API URL: %s", f"https://x/bot{token}")
    try:
        raise RuntimeError(f"The token `{token}` was rejected by the server.")
    except RuntimeError:
        logging.getLogger("telegram.Bot").exception("boom")
    logging.getLogger("httpx").info('HTTP Request: POST https://x/bot%s/getUpdates "HTTP/1.1 200 OK"', token)
    logging.getLogger("httpx").info("HTTP Request: POST http://127.0.0.1:11434/api/chat")
    assert token not in caplog.text
    assert "https://x/bot<telegram-token>" in caplog.text
    assert "The token `<telegram-token>` was rejected" in caplog.text
    # httpx's per-request line for Telegram is dropped; other requests are left alone.
    assert "getUpdates" not in caplog.text and "/api/chat" in caplog.text
    assert redact(f"a {token} b") == "a <telegram-token> b"
