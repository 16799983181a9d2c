"""The settings each run uses: the product defaults, and one ablation per mechanism.

Retry timing is scaled down 100× (base 1 s → 10 ms, cap 20 s → 200 ms) so a run takes seconds;
transport outages in the flaky profiles are scaled the same way, so the ratio of outage to retry
budget — what decides the outcome — is the one the defaults give.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from smallclaw_tui.config import AgentSettings, LLMSettings, RunnerSettings, Settings

RETRY_SCALE = 0.01
READ_TIMEOUT_S = 1.0


@dataclass(frozen=True, slots=True)
class Config:
    name: str
    verification: Literal["off", "yes_no", "checks_evidence"] = "checks_evidence"
    loop_guard: bool = True
    retries: bool = True

    @property
    def is_default(self) -> bool:
        return self == DEFAULT


DEFAULT = Config("default")
ABLATIONS: tuple[Config, ...] = (
    DEFAULT,
    Config("verification=off", verification="off"),
    Config("verification=yes_no", verification="yes_no"),
    Config("loop_guard=off", loop_guard=False),
    Config("retries=off", retries=False),
)


def settings_for(config: Config, workspace: Path, llm: LLMSettings) -> Settings:
    product = RunnerSettings()
    runner = RunnerSettings(
        verification=config.verification,
        retries=config.retries,
        retry_base_s=product.retry_base_s * RETRY_SCALE,
        retry_max_s=product.retry_max_s * RETRY_SCALE,
        control_poll_s=0.05,
    )
    return Settings(
        workspace=workspace, llm=llm, agent=AgentSettings(loop_guard=config.loop_guard), runner=runner
    )
