"""Keep the bot token out of logs, journals and screens.

The token is part of every Bot API URL (``/bot<TOKEN>/sendMessage``), and libraries below us put
that URL in their logs: httpx logs each request URL at INFO, python-telegram-bot logs the base URL
at DEBUG, and its ``InvalidToken`` error message quotes the token. So every text we write passes
through :func:`redact`, and a filter on those libraries' loggers rewrites their records before any
handler sees them. httpx's per-request INFO lines for Telegram calls are dropped altogether: a long
poll makes one every few seconds and they say nothing a user needs.
"""

from __future__ import annotations

import logging
import threading

_MASK = "<telegram-token>"
_lock = threading.Lock()
_secrets: set[str] = set()
_installed: set[str] = set()

# Loggers that can carry a URL or an error text with the token. A logging.Filter only sees records
# created by the logger it is attached to (not by its children), so children are listed too and
# any that exist when the filter is installed are found by prefix.
_PREFIXES = ("httpx", "httpcore", "telegram", "smallclaw_tui.telegram")


def redact(text: str) -> str:
    with _lock:
        secrets = list(_secrets)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


class TokenFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        with _lock:
            if not _secrets:
                return True
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the handler's problem, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            if record.name == "httpx" and record.levelno <= logging.INFO:
                return False  # "HTTP Request: POST …/bot<TOKEN>/getUpdates": noise, and a secret
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            # Format the traceback now, redacted, so handlers print this text instead of the raw one.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_filter = TokenFilter()


def protect_token(token: str) -> None:
    """Register `token` for redaction and attach the filter to every logger that may print it."""
    if not token:
        return
    with _lock:
        _secrets.add(token)
    names = set(_PREFIXES)
    names.update(
        name
        for name in logging.Logger.manager.loggerDict
        if any(name == p or name.startswith(p + ".") for p in _PREFIXES)
    )
    for name in sorted(names):
        with _lock:
            if name in _installed:
                continue
            _installed.add(name)
        logging.getLogger(name).addFilter(_filter)
