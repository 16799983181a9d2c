"""The status bar: model, server state, context use, speed, and what the runner is doing."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widgets import Static

from smallclaw_tui.tui.text import clean, flat

_STATE_STYLE = {
    "connecting": "$text-muted",
    "loading": "$warning",
    "ready": "$success",
    "unreachable": "bold $error",
    "missing model": "bold $error",
}
# The Telegram adapter's states (see TelegramAdapter.state); anything else is trouble.
_TELEGRAM = {
    "online": ("✓", "$success"),
    "connecting": ("…", "$text-muted"),
    "stopped": ("-", "$text-muted"),
}
_DOWN = frozenset({"unreachable", "missing model"})
_STATE_MARK = {"ready": "●", "unreachable": "✗", "missing model": "✗"}


@dataclass(slots=True)
class StatusInfo:
    model: str
    server: str = "connecting"
    context_pct: int | None = None
    tokens_per_s: float | None = None
    running: int = 0
    queued: int = 0
    needs_you: int = 0
    paused: int = 0  # by the user: shown apart, since they wait on nobody but the user's choice
    telegram: str | None = None  # the Telegram adapter's state; None: Telegram is not configured


def status_content(info: StatusInfo) -> Content:
    parts: list[str | tuple[str, str]] = [
        (clean(flat(info.model)), "bold"),
        ("  ", ""),
        (f"{_STATE_MARK.get(info.server, '○')} {flat(info.server)}", _STATE_STYLE.get(info.server, "")),
    ]
    if info.context_pct is not None:
        style = "$error" if info.context_pct >= 90 else "$warning" if info.context_pct >= 75 else ""
        parts += [("  ctx ", "$text-muted"), (f"{info.context_pct}%", style)]
    if info.tokens_per_s is not None:
        parts += [("  ", ""), (f"{info.tokens_per_s:.0f} tok/s", "$text-muted")]
    parts += [
        ("  │ ", "$text-muted"),
        (f"{info.running} running", "bold $accent" if info.running else "$text-muted"),
        (" · ", "$text-muted"),
        # While the server is down the runner starts nothing: say why the queue does not move.
        (f"{info.queued} waiting for the server", "$warning")
        if info.queued and info.server in _DOWN
        else (f"{info.queued} queued", "$text-muted"),
    ]
    if info.needs_you:
        verb = "needs" if info.needs_you == 1 else "need"
        parts += [(" · ", "$text-muted"), (f"{info.needs_you} {verb} you", "bold $warning")]
    if info.paused:
        parts += [(" · ", "$text-muted"), (f"{info.paused} paused", "$text-muted")]
    if info.telegram is not None:
        mark, style = _TELEGRAM.get(info.telegram, ("✗", "bold $error"))
        parts += [("  │ ", "$text-muted"), (f"tg {mark}", style)]
    return Content.assemble(*parts)


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; padding: 0 1; background: $panel; color: $text; }
    """

    def __init__(self, model: str, *, id: str | None = None) -> None:
        self.info = StatusInfo(model=model)
        self._shown = status_content(self.info)
        super().__init__(self._shown, id=id)

    def set(self, **changes: object) -> None:
        for key, value in changes.items():
            setattr(self.info, key, value)
        content = status_content(self.info)
        if not content.is_same(self._shown):
            self._shown = content
            self.update(content, layout=False)  # one fixed line: no layout pass needed
