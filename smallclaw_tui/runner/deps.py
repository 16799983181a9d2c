"""Everything the runner needs, passed in, so tests swap parts without patching."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from smallclaw_tui.config import Settings
from smallclaw_tui.llm.base import ModelClient
from smallclaw_tui.runner.bus import EventBus
from smallclaw_tui.runner.gate import ModelGate
from smallclaw_tui.store.sessions import SessionStore
from smallclaw_tui.store.tasks import TaskStore
from smallclaw_tui.tools.registry import ToolRegistry, default_registry


@dataclass(slots=True)
class RunnerDeps:
    settings: Settings
    client: ModelClient
    store: TaskStore
    sessions: SessionStore
    bus: EventBus = field(default_factory=EventBus)
    gate: ModelGate = field(default_factory=ModelGate)
    tools: ToolRegistry = field(default_factory=default_registry)
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def for_settings(cls, settings: Settings, client: ModelClient | None = None) -> RunnerDeps:
        from smallclaw_tui.llm.factory import make_client

        return cls(
            settings=settings,
            client=client or make_client(settings.llm),
            store=TaskStore(settings.data_dir),
            sessions=SessionStore(settings.data_dir),
        )
