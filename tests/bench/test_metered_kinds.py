"""`bench.real` counts each request under the kind the runner sent it as: a verifier's question
that opens with the step's system text is a verifier call, and so is its re-ask."""

from __future__ import annotations

from bench.real.metered import kind_of
from smallclaw_tui.models import ChatMessage, Role
from smallclaw_tui.runner.prompts import TASK_SYSTEM
from smallclaw_tui.runner.verifier import IN_STEP_HEAD


def _conversation(*users: str) -> list[ChatMessage]:
    out = [ChatMessage(role=Role.SYSTEM, content=TASK_SYSTEM)]
    for i, text in enumerate(users):
        if i:
            out.append(ChatMessage(role=Role.ASSISTANT, content="I think it's fine!"))
        out.append(ChatMessage(role=Role.USER, content=text))
    return out


def test_a_verifier_question_after_the_steps_prefix_and_its_re_ask_are_verifier_calls() -> None:
    question = f"{IN_STEP_HEAD}\n\nStep: write a.txt"
    assert kind_of(_conversation("Goal: write a.txt")) == "step"
    assert kind_of(_conversation(question)) == "verify"
    assert kind_of(_conversation(question, "Answer in exactly three lines.")) == "verify"
