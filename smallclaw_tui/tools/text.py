"""Turning bytes and long strings into short plain text a small model can read.

Every tool result goes through here, so "how much was cut" is always said the same way.
"""

from __future__ import annotations

import re

_SAMPLE_BYTES = 8192
# Control bytes that do not appear in text files (tab, newlines, form feed, backspace and escape do).
_BINARY_CONTROLS = bytes(b for b in [*range(0x20), 0x7F] if b not in b"\t\n\x0b\x0c\r\x08\x1b")
# Everything else, deleted with bytes.translate to count the controls at C speed.
_NOT_BINARY_CONTROLS = bytes(b for b in range(256) if b not in _BINARY_CONTROLS)
# ESC-sequences: CSI (colours, cursor moves), OSC (titles, hyperlinks), and the two-byte rest.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def clip(text: str, max_chars: int, *, keep_tail: bool = False, already_cut: int = 0) -> str:
    """Return `text` cut to about `max_chars`, with a note saying how many characters were dropped.

    `keep_tail` keeps the start and the end (command output: errors and summaries come last).
    `already_cut` counts what the caller dropped from the middle before calling, so the note tells
    the whole story.
    """
    if len(text) <= max_chars and not already_cut:
        return text
    # The note's own length depends on the number in it; the largest possible number bounds it.
    budget = max(0, min(len(text), max_chars - len(f"\n... [clipped {len(text) + already_cut} chars]\n")))
    cut = len(text) - budget + already_cut
    if not keep_tail:
        return f"{text[:budget]}\n... [clipped {cut} chars]"
    head = budget // 2
    tail = budget - head
    return f"{text[:head]}\n... [clipped {cut} chars]\n{text[len(text) - tail :] if tail else ''}"


def looks_binary(data: bytes) -> bool:
    """Guess from the first few KB whether `data` is binary rather than text.

    Control bytes decide, not UTF-8 validity: a Latin-1 or cp1252 file is still text to the model.
    """
    sample = data[:_SAMPLE_BYTES]
    if b"\x00" in sample:
        return True
    controls = len(sample.translate(None, _NOT_BINARY_CONTROLS))
    return controls > len(sample) // 10


def decode_text(data: bytes, encoding: str = "utf-8") -> str:
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:  # an unknown charset named by a server
        return data.decode("utf-8", errors="replace")


def strip_ansi(text: str) -> str:
    """Drop terminal escape sequences: they cost tokens and mean nothing to the model."""
    return _ANSI.sub("", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """`text` with every lone surrogate written out, so it always encodes to UTF-8.

    A file name that is not UTF-8 arrives from the OS with its bad bytes as surrogates
    (`caf\\udce9.txt`); left in, it crashes the first JSON encode or journal write it meets. Each
    becomes the byte it stands for, `\\xe9` (the name :func:`unescape_name` reads back), or
    `\\udXXX` for a surrogate that stands for no byte.
    """
    return _SURROGATE.sub(_escape_surrogate, text) if _SURROGATE.search(text) else text


def _escape_surrogate(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


_ESCAPED_BYTE = re.compile(r"\\x([89a-fA-F][0-9a-fA-F])")


def unescape_name(text: str) -> str:
    """The OS form of a name shown by :func:`escape_surrogates` (`caf\\xe9.txt` → `caf\\udce9.txt`)."""
    return _ESCAPED_BYTE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), text)
