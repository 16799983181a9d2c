"""Models stuck in a loop: the same call again and again, or two calls in alternation.

Planning, verifying and summarizing stay honest: the loop is in the work, where peers saw it.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from bench.reliability.profiles.base import tool
from bench.reliability.profiles.honest import Honest
from bench.reliability.request import StepView
from smallclaw_tui.testing.fake_server import Reply

_PATHISH = re.compile(r"[\w/-]+\.\w+")


class Looper(Honest):
    name = "looper"

    def __init__(self, ctx: Any, mode: Literal["repeat", "pingpong"] = "repeat") -> None:
        super().__init__(ctx)
        self.mode = mode

    def step(self, view: StepView) -> Reply:
        m = _PATHISH.search(view.text)
        target = m.group(0) if m else "README.md"
        if self.mode == "repeat":
            return tool("read_file", {"path": target})
        if len(view.turn) % 2 == 0:
            return tool("list_dir", {"path": "."})
        return tool("read_file", {"path": target})
