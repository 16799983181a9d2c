"""Everything the runner needs, passed in, so tests swap parts without patching."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smallclaw_tui.config import Settings
from smallclaw_tui.llm.base import ModelClient
from smallclaw_tui.runner.bus import EventBus
from smallclaw_tui.runner.gate import ModelGate
from smallclaw_tui.store.sessions import SessionStore
from smallclaw_tui.store.tasks import TaskStore

if TYPE_CHECKING:
    from smallclaw_tui.tools.registry import ToolRegistry


@dataclass(slots=True)
class RunnerDeps:
    settings: Settings
    client: ModelClient
    store: TaskStore
    sessions: SessionStore
    bus: EventBus = field(default_factory=EventBus)
    gate: ModelGate = field(default_factory=ModelGate)
    rng: random.Random = field(default_factory=random.Random)
    _tools: ToolRegistry | None = None

    @property
    def tools(self) -> ToolRegistry:
        """The default tools, made (and their modules imported) when first used: the app paints
        its first frame before any tool is needed."""
        if self._tools is None:
            from smallclaw_tui.tools.registry import default_registry

            self._tools = default_registry()
        return self._tools

    @classmethod
    def for_settings(cls, settings: Settings, client: ModelClient | None = None) -> RunnerDeps:
        from smallclaw_tui.llm.factory import make_client

        return cls(
            settings=settings,
            client=client or make_client(settings.llm),
            store=TaskStore(settings.data_dir),
            sessions=SessionStore(settings.data_dir),
        )
