"""The planner: one model call that turns a goal into 2–8 short steps with checks where it can.

The answer must be JSON that validates; on invalid output the model is asked once more with the
error; after that the task goes to needs_assistance with the raw reply journaled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from json_repair import repair_json
from pydantic import BaseModel, Field, ValidationError, field_validator

from smallclaw_tui.llm.base import ModelClient
from smallclaw_tui.models import ChatMessage, Check, PlanStep, Role

MIN_STEPS = 2
MAX_STEPS = 8

SYSTEM = (
    "You plan work for a small assistant that can read, write and edit files, list folders, search "
    "text and run shell commands in one workspace. Split the goal into 2 to 8 short, concrete steps. "
    "For each step add checks that prove it is done, when you can name them:\n"
    '{"kind": "file_exists", "path": "..."}, {"kind": "file_contains", "path": "...", "text": "..."}, '
    '{"kind": "command_succeeds", "command": "..."}.\n'
    "Reply with JSON only, like:\n"
    '{"steps": [{"description": "Create notes.md with a title line", '
    '"checks": [{"kind": "file_contains", "path": "notes.md", "text": "# Notes"}]}]}'
)


class _Step(BaseModel):
    description: str = Field(min_length=3, max_length=400)
    checks: list[Check] = Field(default_factory=list)

    @field_validator("description")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()


class _Plan(BaseModel):
    steps: list[_Step] = Field(min_length=MIN_STEPS, max_length=MAX_STEPS)


@dataclass(slots=True)
class PlanOutcome:
    steps: list[PlanStep] | None
    raw_replies: list[str]
    error: str = ""


def _parse(raw: str) -> list[PlanStep]:
    text = raw
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1]
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        raise ValueError("no JSON object in the reply")
    data = json.loads(repair_json(text[start:]))
    if isinstance(data, list):
        data = {"steps": data}
    if isinstance(data, dict) and "steps" in data and isinstance(data["steps"], list):
        # Small models often write bare strings for steps; accept them as descriptions.
        data["steps"] = [{"description": s} if isinstance(s, str) else s for s in data["steps"]]
    plan = _Plan.model_validate(data)
    return [
        PlanStep(index=i, description=s.description, checks=list(s.checks)) for i, s in enumerate(plan.steps)
    ]


def _why(err: Exception) -> str:
    if isinstance(err, ValidationError):
        e = err.errors()[0]
        return f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
    return str(err)


async def make_plan(client: ModelClient, goal: str, *, model: str | None = None) -> PlanOutcome:
    messages = [
        ChatMessage(role=Role.SYSTEM, content=SYSTEM),
        ChatMessage(role=Role.USER, content=f"Goal: {goal}"),
    ]
    raws: list[str] = []
    error = ""
    for _ in range(2):  # the first answer, and one re-ask
        result = await client.chat(messages, None, model=model, think=False)
        raws.append(result.text)
        try:
            return PlanOutcome(_parse(result.text), raws)
        except (ValueError, ValidationError) as err:
            error = _why(err)
        messages += [
            ChatMessage(role=Role.ASSISTANT, content=result.text),
            ChatMessage(
                role=Role.USER,
                content=f"That plan is not usable ({error}). Reply with JSON only: "
                f'{{"steps": [{{"description": "...", "checks": []}}]}} '
                f"with {MIN_STEPS} to {MAX_STEPS} steps.",
            ),
        ]
    return PlanOutcome(None, raws, error)
