"""The cursor highlight of the Line-API lists (board columns, journal, chat transcript)."""

from __future__ import annotations

from rich.style import Style

NONE = Style()


def highlight(cursor: Style, base: Style) -> Style:
    """What to lay over a cursor line, last: the cursor's background only.

    Laid last, so that the line's own part styles (which carry the normal background) cannot hide
    it. Where the theme gives the cursor no background of its own (16-colour themes resolve the
    translucent `$boost` to the terminal default), reverse video marks the line instead.
    """
    bg = cursor.bgcolor
    if bg is None or bg == base.bgcolor or bg.is_default:
        return Style(reverse=True)
    return Style(bgcolor=bg)
