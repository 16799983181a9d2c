"""Every text colour on the main screen reads at 4.5:1 or more against its background, in the
default theme: the colours are read off the running app, not from a list kept by hand."""

from __future__ import annotations

from pathlib import Path

from textual.color import Color
from textual.widget import Widget
from tui_helpers import until

from smallclaw_tui.tui.demo import demo_app, settled

MIN_CONTRAST = 4.5  # WCAG AA for normal text


def _luminance(c: Color) -> float:
    def channel(x: int) -> float:
        v = x / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)


def contrast(a: Color, b: Color) -> float:
    la, lb = _luminance(a), _luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def test_contrast_of_known_pairs() -> None:
    assert round(contrast(Color(0, 0, 0), Color(255, 255, 255)), 1) == 21.0
    assert round(contrast(Color.parse("#004578"), Color.parse("#1E1E1E")), 2) == 1.68


async def test_every_text_colour_of_the_main_screen_has_enough_contrast(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "demo")
    low: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: settled(app), "the demo to load", 30)
        for w in app.screen.walk_children(Widget):
            if not w.display:
                continue
            styles = [("text", w.rich_style)]
            styles += [
                (cc, w.get_component_rich_style(cc, partial=False)) for cc in sorted(w.COMPONENT_CLASSES)
            ]
            for what, st in styles:
                if st.color is None or st.bgcolor is None:
                    continue
                fg, bg = Color.from_rich_color(st.color), Color.from_rich_color(st.bgcolor)
                ratio = contrast(fg, bg)
                if ratio < MIN_CONTRAST:
                    low.append(f"{type(w).__name__} {what}: {fg.hex} on {bg.hex} is {ratio:.2f}:1")
        assert {type(w).__name__ for w in app.screen.walk_children(Widget)} >= {"JournalView", "Transcript"}
    assert low == []
