"""Untrusted text made safe to draw, and the small formatting helpers the widgets share.

Everything that comes from data (task titles, model and tool output, file contents) goes through
:func:`clean` or :func:`flat` before it reaches a widget, and is wrapped in :class:`Content` or a
plain Rich ``Segment`` — never in a markup string — so `[bold]x[/]` shows as typed and terminal
escape sequences are drawn as visible `\\x1b` text instead of being sent to the terminal.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.cells import cell_len, chop_cells
from textual.content import Content

from smallclaw_tui.textsafe import printable


def clean(text: str) -> str:
    """Control characters made visible; newlines kept, tabs expanded (they break cell counts)."""
    return printable(text).expandtabs(4)


def flat(text: str) -> str:
    """One line: control characters made visible, any run of whitespace folded to one space."""
    return " ".join(printable(text).split())


def lit(text: str, style: str = "") -> Content:
    """Literal content: `text` is never parsed as markup. `style` is ours, never data."""
    return Content.styled(clean(text), style) if style else Content(clean(text))


def fit(text: str, width: int) -> str:
    """Cut `text` to `width` cells, marking the cut with an ellipsis."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    return chop_cells(text, max(width - 1, 0))[0] + "…" if width > 1 else "…"


def _cut(para: str, width: int) -> str:
    """The head of `para` that fits `width` cells, ending after a space when one is near the end."""
    head = chop_cells(para[:width], width)[0] if para[:width] else ""
    if not head:
        head = para[:1]  # a character wider than the line still has to go somewhere
    if len(head) < len(para) and para[len(head)] != " ":
        space = head.rfind(" ")
        if space >= len(head) // 2:
            head = head[: space + 1]
    return head


def wrap(text: str, first: int, rest: int) -> list[str]:
    """Wrap `text` (already clean) by cells: the first line `first` wide, the others `rest`.

    Breaks after a space when there is one in the second half of the line, otherwise mid-word.
    Every character is kept, in order: a log must never lose or reorder what it shows.
    """
    out: list[str] = []
    width, rest = max(first, 1), max(rest, 1)
    for para in text.split("\n"):
        if len(para) <= width and cell_len(para) <= width:
            out.append(para)
            width = rest
            continue
        while para:
            head = para if cell_len(para) <= width else _cut(para, width)
            out.append(head)
            para = para[len(head) :]
            width = rest
    return out or [""]


def clock(t: datetime, tz: tzinfo | None) -> str:
    """HH:MM:SS in `tz` (the local zone when None)."""
    return t.astimezone(tz).strftime("%H:%M:%S")


def stamp(t: datetime, tz: tzinfo | None) -> str:
    return t.astimezone(tz).strftime("%Y-%m-%d %H:%M")
