"""What the Line-API lists share (board columns, journal, chat transcript): rendered lines kept
until the content or the styles change, and the widget's own style kept likewise."""

from __future__ import annotations

from rich.style import Style
from textual.cache import LRUCache
from textual.scroll_view import ScrollView
from textual.strip import Strip


class LineView(ScrollView):
    def __init__(
        self, *, cache_lines: int, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._strips: LRUCache[int, Strip] = LRUCache(cache_lines)
        self._base: Style | None = None

    @property
    def base_style(self) -> Style:
        """`rich_style`, kept until the styles change: Textual works it out from every ancestor
        on each call, and a frame asks for it once per line (a tenth of the first frame's render)."""
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._base = None
