"""Telegram: results and "needs you" to the owner's phone, allowlisted commands back.

Off unless ``telegram.token`` is set. Front ends start it next to the runner:

    adapter = await maybe_start_telegram(settings, runner)   # None when no token is configured
    ...
    await adapter.stop()                                      # after runner.stop(), if not None

Task deliveries Telegram has not taken yet wait in `.localclaw/outbox/` and go out at the next
start, so a stop during an outage loses nothing (see :mod:`smallclaw_tui.telegram.spool`).

Importing this package does not import python-telegram-bot; that happens only when a token is
configured, so a plain `smallclaw` run does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smallclaw_tui.config import Settings, TelegramSettings

if TYPE_CHECKING:
    from smallclaw_tui.runner.runner import BackgroundTaskRunner
    from smallclaw_tui.telegram.adapter import TelegramAdapter
    from smallclaw_tui.telegram.outbox import TelegramTuning

__all__ = ["TelegramAdapter", "TelegramTuning", "maybe_start_telegram"]


async def maybe_start_telegram(
    settings: Settings | TelegramSettings,
    runner: BackgroundTaskRunner,
    *,
    tuning: TelegramTuning | None = None,
) -> TelegramAdapter | None:
    """Start the adapter when a token is configured; None otherwise. Never raises for the network."""
    tg = settings.telegram if isinstance(settings, Settings) else settings
    if not tg.enabled:
        return None
    from smallclaw_tui.telegram.adapter import TelegramAdapter

    adapter = TelegramAdapter(tg, runner, tuning=tuning)
    await adapter.start()
    return adapter


def __getattr__(name: str) -> Any:
    if name == "TelegramAdapter":
        from smallclaw_tui.telegram.adapter import TelegramAdapter

        return TelegramAdapter
    if name == "TelegramTuning":
        from smallclaw_tui.telegram.outbox import TelegramTuning

        return TelegramTuning
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
