"""The footer, fitted to the terminal: it never runs past the right edge, and `? Help` always shows.

Textual's footer lays every shown binding out in one row and lets the rest run off the edge (at
80 columns that cut off the help key and left a stray character in the last cell). This one
drops the keys that matter least until the row fits; a key that is not shown still works, and
the help screen lists them all. It also leaves out keys that the focused input would type
instead of running (a `/` in the chat input is a slash, not the filter).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.keys import key_to_character
from textual.widget import Widget
from textual.widgets import Footer

# Key names whose character Textual cannot look up (their Unicode names differ).
_CHARACTERS = {"slash": "/", "backslash": "\\"}


@dataclass(frozen=True, slots=True)
class ShownKey:
    """What one of the footer's key widgets says (Textual's FooterKey lives in a private module)."""

    key: str
    display: str
    description: str
    action: str

    @classmethod
    def of(cls, widget: Widget) -> ShownKey | None:
        values = [getattr(widget, name, None) for name in ("key", "key_display", "description", "action")]
        if not all(isinstance(v, str) for v in values):
            return None
        key, display, description, action = (str(v) for v in values)
        return cls(key, display, description, action.removeprefix("app."))

    @property
    def width(self) -> int:
        """Cells taken in the compact footer, with the margin after it (or the palette's border)."""
        label = cell_len(self.display) + (1 + cell_len(self.description) if self.description else 0)
        return label + 1

    def __str__(self) -> str:
        return f"{self.display} {self.description}".strip()


class FittingFooter(Footer):
    # Left out first, in this order, until the row fits; other keys (the task actions, which only
    # show when they apply) go after these, from the right. Help and the palette always stay.
    DROP_ORDER: ClassVar[tuple[str, ...]] = (
        "quit",  # q does it on the board; it matters where letters are typed (the chat input)
        "focus_pane('detail')",
        "focus_pane('board')",
        "expand_all",
        "filter",
        "zoom",
        "focus_pane('chat')",
        "toggle_entry",
        "toggle_block",
        "open",
        "new_task",
    )
    KEEP: ClassVar[frozenset[str]] = frozenset({"help", "command_palette"})

    def compose(self) -> ComposeResult:
        shown: list[tuple[Widget, ShownKey]] = []
        for widget in super().compose():
            key = ShownKey.of(widget)
            if key is None:
                yield widget  # something other than a plain key (binding groups: not used here)
            elif not self._typed_by_focus(key):
                shown.append((widget, key))
        # Quit is a priority binding, which Textual lists first; it belongs at the end, by help.
        shown.sort(key=lambda pair: pair[1].action == "quit")
        dropped = self._to_drop([k for _, k in shown], self.app.size.width)
        for widget, key in shown:
            if key not in dropped:
                # The class its `compact` watcher would add once mounted, restyling it again.
                widget.set_class(self.compact, "-compact", update=False)
                yield widget

    def _typed_by_focus(self, key: ShownKey) -> bool:
        focused = self.screen.focused
        if focused is None or key.action in self.KEEP:
            return False
        name = key.key.split(",")[0].strip()
        character = key_to_character(name) or _CHARACTERS.get(name)
        return character is not None and focused.check_consume_key(name, character)

    def _to_drop(self, keys: list[ShownKey], width: int) -> set[ShownKey]:
        used = sum(k.width for k in keys)
        if width <= 0 or used <= width:
            return set()
        by_action = {k.action: k for k in keys}
        order = [by_action[a] for a in self.DROP_ORDER if a in by_action]
        order += [k for k in reversed(keys) if k not in order and k.action not in self.KEEP]
        dropped: set[ShownKey] = set()
        for key in order:
            if used <= width:
                break
            dropped.add(key)
            used -= key.width
        return dropped

    def refit(self) -> None:
        """Lay the keys out again for the width the terminal has now."""
        # Run in the footer's own message loop: the key widgets it makes bind to its reactives,
        # which works only while the footer is the active message pump.
        self.call_later(self.recompose)

    @property
    def shown(self) -> list[ShownKey]:
        """The keys on show now, left to right (the palette last)."""
        keys = [ShownKey.of(w) for w in self.children]
        return [k for k in keys if k is not None]
