"""Untrusted text (model output, tool output, file contents, task titles) shown literally.

Terminal control characters are replaced by visible escapes, so `\\x1b]0;pwned\\x07` prints as
those characters instead of retitling the terminal. Newlines and tabs are kept.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(m: re.Match[str]) -> str:
    return f"\\x{ord(m.group()):02x}"


def printable(text: str) -> str:
    return _CONTROL.sub(_escape, text)


def one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(printable(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
