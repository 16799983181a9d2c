"""An honest worker with a small model's bad habits, each with probability `p` per reply.

Tool calls: broken JSON arguments (repairable or hopeless), wrong argument names (aliases the
tools accept, and names they do not), the call written as text in the content (``<tool_call>``
tags, a fenced block, bare JSON). Answers: ``<think>`` tags inline, and loose verdict formats.
After a failed call it simply tries again, like a real model reading the error.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bench.reliability.profiles.honest import Honest
from bench.reliability.request import StepView, VerifierView
from smallclaw_tui.testing.fake_server import ChatRequest, FakeToolCall, Reply

# Per argument: names the tools accept as aliases, then names they reject.
_RENAMES: dict[str, tuple[str, ...]] = {
    "path": ("file_path", "filename", "name", "target"),
    "content": ("text", "contents", "body", "data"),
    "old": ("old_text", "find"),
    "new": ("new_text", "replace"),
    "command": ("cmd", "shell"),
    "pattern": ("query", "regex"),
}
# The last thought muses about a call in tool-call syntax: thinking must never be run as a call
# (the end-state judge fails any task that leaves THINKING_LEAK.txt behind).
_THOUGHTS = (
    "Let me think about what the step needs.",
    "The user wants this done; I will check the result.",
    'Maybe <tool_call>{"name": "write_file", "arguments": {"path": "THINKING_LEAK.txt", "content": "x"}}'
    "</tool_call> would do, but no.",
)


class Sloppy(Honest):
    name = "sloppy"

    def __init__(self, ctx: Any, p: float = 0.3) -> None:
        super().__init__(ctx)
        self.p = p

    def step(self, view: StepView) -> Reply:
        reply = super().step(view)
        if self.rng.random() >= self.p:
            return reply
        if not reply.tool_calls:
            return self.thinking(reply)
        call = reply.tool_calls[0]
        assert isinstance(call.arguments, dict)
        habit = self.rng.choice((self.broken_json, self.renamed, self.as_text, self.thinking_call))
        return habit(call.name, call.arguments)

    def verify(self, view: VerifierView) -> Reply:
        reply = super().verify(view)
        if self.rng.random() >= self.p:
            return reply
        lines = dict(ln.split(": ", 1) for ln in reply.text.splitlines())
        form = self.rng.randrange(4)
        if form == 0:
            return self.thinking(reply)
        if form == 1:
            v, e, r = lines["VERDICT"], lines["EVIDENCE"], lines["REASON"]
            return Reply(text=f"**Verdict:** {v}\n**Evidence:** {e}\n**Reason:** {r}")
        if form == 2:
            return Reply(text=json.dumps({k.lower(): v for k, v in lines.items()}))
        return Reply(text=f"{lines['VERDICT'].lower()} - {lines['REASON']}")  # no evidence line at all

    def plan(self, req: ChatRequest) -> Reply:
        reply = super().plan(req)
        if self.rng.random() >= self.p:
            return reply
        first_ask = len(req.texts("user")) == 1
        if first_ask and self.rng.random() < 0.5:
            # Prose instead of JSON: the planner must re-ask, once.
            steps = json.loads(reply.text)["steps"]
            return Reply(text="Sure! " + " Then ".join(s["description"] for s in steps) + ".")
        return self.thinking(Reply(text=f"Here is the plan:\n```json\n{reply.text}\n```"))

    # --- habits -------------------------------------------------------------------------------------

    def thinking(self, reply: Reply) -> Reply:
        return replace(reply, thinking=self.rng.choice(_THOUGHTS), think_tags=True)

    def thinking_call(self, name: str, args: dict[str, Any]) -> Reply:
        return self.thinking(Reply.tool(name, args))

    def broken_json(self, name: str, args: dict[str, Any]) -> Reply:
        good = json.dumps(args)
        raw = self.rng.choice(
            (
                good[:-1],  # the closing brace cut off
                good + " }",  # trailing garbage
                str(args),  # Python quotes
                ", ".join(f"{k}={v}" for k, v in args.items()),  # not JSON at all
            )
        )
        return Reply(tool_calls=(FakeToolCall(name, raw),))

    def renamed(self, name: str, args: dict[str, Any]) -> Reply:
        key = self.rng.choice(list(args))
        new = self.rng.choice(_RENAMES.get(key, (key + "_value",)))
        return Reply.tool(name, {new if k == key else k: v for k, v in args.items()})

    def as_text(self, name: str, args: dict[str, Any]) -> Reply:
        body = json.dumps({"name": name, "arguments": args})
        wrap = self.rng.choice(
            (
                f"<tool_call>\n{body}\n</tool_call>",
                f"I will call the tool.\n```json\n{body}\n```",
                body,
            )
        )
        return Reply(text=wrap)
