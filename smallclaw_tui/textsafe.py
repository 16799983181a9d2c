"""Untrusted text (model output, tool output, file contents, task titles) shown literally.

Terminal control characters are replaced by visible escapes, so `\\x1b]0;pwned\\x07` prints as
those characters instead of retitling the terminal. Newlines and tabs are kept. A command shown for
approval also gets its invisible characters made visible (:func:`shown_command`), and a URL's
password is never shown (:func:`redact_url`).
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(m: re.Match[str]) -> str:
    return f"\\x{ord(m.group()):02x}"


def printable(text: str) -> str:
    return _CONTROL.sub(_escape, text)


def one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(printable(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# Characters that change how a line is drawn without being seen: bidi embeddings, overrides and
# isolates (U+202A–202E, U+2066–2069), zero-width ones (U+200B–200F), the BOM, and every other
# format (Cf) character; plus the line and paragraph separators, which break a line unseen.
def _invisible(ch: str) -> bool:
    return ch in "\u2028\u2029" or unicodedata.category(ch) == "Cf"


def shown_command(command: str) -> str:
    """`command` as it must be shown before anyone approves it: nothing hidden, nothing reordered.

    "rm -rf ~/\u202eexe.txt" would otherwise be drawn with its end reversed, and a zero-width
    space would make two different commands look the same.
    """
    text = printable(command)
    if text.isascii():
        return text
    return "".join(f"\\u{ord(ch):04x}" if _invisible(ch) else ch for ch in text)


# scheme://user:password@ or scheme://user@ (a user part alone is often a token). The password
# runs to the last "@" before the path: an unencoded "@" in it must not leave a tail behind.
_USERINFO = re.compile(r"(?P<pre>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/\s?#@:]*)(?P<pw>:[^/\s?#]*)?@")


def _hide(m: re.Match[str]) -> str:
    if m.group("pw") is not None:
        return f"{m.group('pre')}{m.group('user')}:***@"
    return f"{m.group('pre')}***@" if m.group("user") else m.group()


def redact_url(text: str) -> str:
    """`text` with the password of every URL in it shown as ``***`` (`http://u:***@host`)."""
    return _USERINFO.sub(_hide, text) if "@" in text else text
