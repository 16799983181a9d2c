"""The yardstick for start-up: a bare Textual app (Header, Static, Footer), started and measured
exactly as `smallclaw` is by `bench.tui_bench`. Its Static says "Queued", the mark the benchmark
waits for, so both first paints are read off the same bytes."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.widgets import Footer, Header, Static


class BareApp(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Queued")
        yield Footer()


if __name__ == "__main__":
    BareApp().run()
