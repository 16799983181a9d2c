"""What a simulated model sees: one chat request, classified and parsed the way a model reads it.

The runner sends four kinds of request (see ``smallclaw_tui/runner``): the planner, step rounds
through the chat loop, the verifier question and the final summary. Profiles decide on the
parsed view, so they never depend on message layout details that the runner may change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from smallclaw_tui.runner.verifier import asked_after_worker
from smallclaw_tui.testing.fake_server import ChatRequest


class Kind(StrEnum):
    PLANNER = "planner"
    STEP = "step"
    VERIFIER = "verifier"
    REVIEW = "review"  # the end-of-task goal review of the whole diff
    WHOLE_FILE = "whole_file"  # a step answered as one file's whole new text (runner/whole_file.py)
    SUMMARY = "summary"
    OTHER = "other"


def classify(req: ChatRequest) -> Kind:
    system = req.system_text
    if "You plan work" in system:
        return Kind.PLANNER
    if asked_after_worker(req.texts("user")):  # after the step's own system text and tools
        return Kind.VERIFIER
    if "doing one step of a task" in system:
        return Kind.STEP
    if "You check whether" in system:
        return Kind.VERIFIER
    if "You review a change" in system:
        return Kind.REVIEW
    if "You edit one file" in system:
        return Kind.WHOLE_FILE
    if "short, factual summaries" in system:
        return Kind.SUMMARY
    return Kind.OTHER


@dataclass(frozen=True, slots=True)
class Exchange:
    """One tool call the model made in this turn, and what came back (None: not answered yet)."""

    name: str
    arguments: dict[str, Any]
    result: str | None


@dataclass(frozen=True, slots=True)
class PlanLine:
    number: int  # 1-based, as shown
    done: bool
    text: str


@dataclass(slots=True)
class StepView:
    """A step round as the model reads it: the long prompt plus this turn's calls and results."""

    goal: str = ""
    number: int = 0  # 1-based current step
    total: int = 0
    text: str = ""
    plan: list[PlanLine] = field(default_factory=list)
    feedback: str = ""
    # "Tool results so far in this step" from earlier rounds (clipped, whitespace collapsed).
    earlier: list[str] = field(default_factory=list)
    turn: list[Exchange] = field(default_factory=list)
    prompt: str = ""
    nudged: bool = False  # the runner asked again after a reply without a tool call

    @property
    def new_turn(self) -> bool:
        return not self.turn

    @property
    def memory(self) -> list[str]:
        """Every tool result the model can see right now, oldest first."""
        return self.earlier + [e.result for e in self.turn if e.result is not None]


@dataclass(slots=True)
class VerifierView:
    step: str = ""
    # Entries under "Tool results of this step" (shown as "R1: CALL → RESULT"), split back into
    # tool calls ("write_file {...}") and results ("[write_file] wrote ..."), multi-line results
    # kept whole; the labels are dropped.
    sources: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    claim: str = ""

    @property
    def results(self) -> list[str]:
        return [s for s in self.sources if s.startswith("[")]


_RESULT_LINE = re.compile(r"^R\d+(?: \(failed\))?: (?P<rest>.*)$", re.S)
_LABEL = re.compile(r"^[RC]\d+(?: \(failed\))?: ")
_CURRENT = re.compile(r"^Current step \((\d+) of (\d+)\): (.*)$", re.M)
_PLAN_LINE = re.compile(r"^\[(.)\] (\d+)\. (.*)$")


def _section(text: str, head: str, stops: tuple[str, ...]) -> str:
    start = text.find(head)
    if start < 0:
        return ""
    body = text[start + len(head) :]
    ends = [i for i in (body.find(s) for s in stops) if i >= 0]
    return body[: min(ends)] if ends else body


def _bullets(block: str) -> list[str]:
    """Split a "- item" block into items; lines not starting with "- " continue the last item."""
    items: list[str] = []
    for line in block.strip("\n").split("\n"):
        if line.startswith("- "):
            items.append(line[2:])
        elif items:
            items[-1] += "\n" + line
    return [i.rstrip() for i in items if i.strip()]


def step_view(req: ChatRequest) -> StepView:
    msgs = req.messages
    # The step prompt is the last user message stating the goal; a nudge ("You called no tool…")
    # may follow it within the same turn.
    prompts = [
        i for i, m in enumerate(msgs) if m.get("role") == "user" and str(m.get("content")).startswith("Goal:")
    ]
    user_at = prompts[-1] if prompts else -1
    prompt = str(msgs[user_at].get("content") or "") if user_at >= 0 else ""
    view = StepView(prompt=prompt)
    if m := re.search(r"^Goal: (.*)$", prompt, re.M):
        view.goal = m.group(1).strip()
    if m := _CURRENT.search(prompt):
        view.number, view.total, view.text = int(m.group(1)), int(m.group(2)), m.group(3).strip()
    for line in _section(prompt, "Plan:\n", ("\n\n",)).split("\n"):
        if pm := _PLAN_LINE.match(line.strip()):
            view.plan.append(PlanLine(int(pm.group(2)), pm.group(1) == "x", pm.group(3).strip()))
    if m := re.search(r"^Your last attempt at this step was not accepted: (.*)$", prompt, re.M):
        view.feedback = m.group(1)
    view.earlier = _bullets(_section(prompt, "Tool results so far in this step:\n", ("\n\n",)))
    pending: list[tuple[str, dict[str, Any]]] = []
    for msg in msgs[user_at + 1 :]:
        role = msg.get("role")
        if role == "user":
            view.nudged = True
        elif role == "assistant":
            for tc in msg.get("tool_calls") or []:
                fn = tc.get("function") or {}
                args = fn.get("arguments")
                pending.append((str(fn.get("name")), args if isinstance(args, dict) else {}))
                view.turn.append(Exchange(pending[-1][0], pending[-1][1], None))
        elif role == "tool":
            # Results answer the calls in order; fill the first unanswered one.
            for i, ex in enumerate(view.turn):
                if ex.result is None:
                    view.turn[i] = Exchange(ex.name, ex.arguments, str(msg.get("content") or ""))
                    break
    return view


def verifier_view(req: ChatRequest) -> VerifierView:
    # The question is the first user message; a re-ask (after a malformed answer) only appends a
    # reminder about the format.
    users = req.texts("user")
    text = users[0] if users else ""
    view = VerifierView()
    if m := re.search(r"^Step: (.*)$", text, re.M):
        view.step = m.group(1).strip()
    block = _section(
        text,
        "Tool results of this step:\n",
        ("\n\nFiles this step wrote", "\n\nChecks run by the system:", "\n\nThe worker says:"),
    )
    for item in _bullets(block):
        m = _RESULT_LINE.match(item)
        if m is None:
            continue
        call, arrow, result = m.group("rest").partition(" → ")
        view.sources += [call, result] if arrow else [call]
    checks = _section(text, "Checks run by the system:\n", ("\n\nThe worker says:",))
    view.checks = [_LABEL.sub("", c) for c in _bullets(checks)]
    claim = _section(text, "The worker says: ", ("\n\nWas the step really done?",))
    view.claim = claim.strip()
    return view


def goal_of(req: ChatRequest) -> str:
    """The goal of a planner request: the last user message that states one (the planner's own
    worked example comes first; a re-ask comes after)."""
    goals = [u for u in req.texts("user") if u.startswith("Goal:")]
    # The workspace's file listing follows the goal after a blank line.
    return goals[-1].removeprefix("Goal:").split("\n\nFiles in the workspace:", 1)[0].strip() if goals else ""


@dataclass(slots=True)
class WholeFileView:
    """A whole-file request: the file to write, the files shown with it, the goal and the step."""

    target: str
    files: dict[str, str]
    goal: str
    step: str
    feedback: str


_SHOWN = re.compile(r"The current text of (.+?):\n```\n(.*?)\n```\n", re.S)


def whole_file_view(req: ChatRequest) -> WholeFileView:
    text = req.last_user_text
    files = {m.group(1): m.group(2) + "\n" for m in _SHOWN.finditer(text)}
    rest = _SHOWN.sub("", text)
    lines = rest.splitlines()
    goal = next((ln[len("Goal: ") :] for ln in lines if ln.startswith("Goal: ")), "")
    step = next((ln[len("This step: ") :] for ln in lines if ln.startswith("This step: ")), goal)
    feedback = next((ln for ln in lines if ln.startswith("Your last answer was not accepted")), "")
    target = text.rsplit("Write the complete new text of ", 1)[-1].rstrip().rstrip(".")
    return WholeFileView(target=target, files=files, goal=goal, step=step, feedback=feedback)
