"""The honest model: does each step with correct tool calls, and judges steps by real results.

It reads the suite's worked solution for the step it is shown (matched by the step's text) and
works through it using only what it can see — results in this turn and the "Tool results so far
in this step" of the prompt. As verifier it says YES only when the step's proof is in the tool
results, and quotes that result (in one of the ways small models quote).
"""

from __future__ import annotations

import json

from bench.reliability.catalog import BY_GOAL, STEPS
from bench.reliability.profiles.base import Policy, tool, verdict
from bench.reliability.request import StepView, VerifierView, WholeFileView, goal_of
from bench.reliability.spec import Call, Step
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

_NOT_FOUND = "'old' text not found"


class Honest(Policy):
    name = "honest"

    # --- worker -----------------------------------------------------------------------------------

    def step(self, view: StepView) -> Reply:
        spec = STEPS.get(view.text)
        if spec is None:
            return Reply(text=f"BLOCKED: I do not know how to do {view.text!r}")
        return self.work(spec, view, redo=False)

    def work(self, spec: Step, view: StepView, *, redo: bool) -> Reply:
        """The next move for `spec`: a tool call, or the final DONE/BLOCKED line.

        `redo` ignores what earlier rounds did (the step is done again from scratch)."""
        if spec.blocked is not None:
            if view.turn or view.earlier:
                return Reply(text=f"BLOCKED: {spec.blocked}")
            first = spec.calls[0]
            return tool(first.tool, first.arguments([]) or {})
        turn = [e.result for e in view.turn if e.result is not None]
        earlier_done = all(c.done(view.earlier) for c in spec.calls)
        # A rejected step whose work looks done is redone: something about it was wrong.
        memory = turn if redo or (view.feedback and earlier_done) else view.memory
        move = next_move(spec.calls, memory, turn, view)
        return move if move is not None else Reply(text=spec.claim)

    def whole_file(self, view: WholeFileView) -> Reply:
        """The step's worked solution applied to the text shown: the file it would leave."""
        spec = STEPS.get(view.step) or STEPS.get(view.goal)
        new = None if spec is None or spec.blocked is not None else applied(spec, view)
        if new is None:
            return Reply(text="I cannot write that file from what I was shown.")
        return Reply(text=f"```\n{new}```")

    # --- verifier ---------------------------------------------------------------------------------

    def verify(self, view: VerifierView) -> Reply:
        spec = STEPS.get(view.step)
        if spec is None:
            return verdict(False, "none", "I cannot tell what this step needed")
        for src in reversed(view.results):
            for proof in [*spec.proofs, *whole_file_proofs(spec)]:
                if proof and all(m in src for m in proof):
                    return verdict(
                        True, self.quote(src, proof[-1]), "the tool result shows the step was done"
                    )
        return verdict(False, "none", "no tool result shows this step was done")

    def quote(self, source: str, mark: str) -> str:
        line = next((ln for ln in source.splitlines() if mark in ln), source.splitlines()[0])
        style = self.rng.randrange(4)
        if style == 1 and line.startswith("[") and "] " in line:
            return line.split("] ", 1)[1]  # without the tool label
        if style == 2:
            return f'"{line}"'
        if style == 3:
            return f"tool_result: {line}."
        return line

    # --- planner and summary ------------------------------------------------------------------------

    def plan(self, req: ChatRequest) -> Reply:
        task = BY_GOAL.get(goal_of(req))
        if task is None:
            return Reply(text='{"steps": []}')
        steps: list[dict[str, object]] = []
        exists = set(task.files)
        for s in task.steps:
            action, files = planned_action(s, exists)
            step: dict[str, object] = {
                "description": s.text,
                "checks": [c.model_dump(exclude_defaults=True) | {"kind": c.kind} for c in s.checks],
            }
            if action is not None:
                step |= {"action": action, "files": files}
            steps.append(step)
            exists |= set(files)
        return Reply(text=json.dumps({"steps": steps}))

    def summary(self, req: ChatRequest) -> Reply:
        goal = next((ln[6:] for ln in req.last_user_text.splitlines() if ln.startswith("Goal: ")), "the task")
        return Reply(text=f"Done: {goal}. Each step was checked against the tool results.")


_EDITS = {"edit_file": "edit", "replace_text": "edit", "insert_after": "edit", "append_file": "append"}


def planned_action(step: Step, exists: set[str]) -> tuple[str | None, list[str]]:
    """The action and files an able planner declares for a step (the planner prompt asks for
    them), read off the step's worked solution: its first writing call decides."""
    for call in step.calls:
        args = call.args if isinstance(call.args, dict) else {}
        path = args.get("path")
        if call.tool == "write_file":
            if isinstance(path, str):
                return ("replace" if path in exists else "create"), [path]
            return "create", []
        if call.tool in _EDITS:
            return _EDITS[call.tool], [path] if isinstance(path, str) else []
    if any(c.tool == "run_shell" for c in step.calls):
        return "run", []
    if step.calls:
        return "read", []
    return None, []


def next_move(calls: tuple[Call, ...], memory: list[str], turn: list[str], view: StepView) -> Reply | None:
    """The first call not yet done, as a reply; None when all are done."""
    last = view.turn[-1] if view.turn else None
    for i, call in enumerate(calls):
        if call.done(memory):
            continue
        if call.readback is not None and last is not None and last.result is not None:
            path, _new = call.readback
            if last.name == "edit_file" and last.result.startswith(_NOT_FOUND):
                return tool("read_file", {"path": path})  # see what the file holds now
            if last.name == "read_file" and last.arguments.get("path") == path and _tried_edit(view, path):
                return Reply(text=f"BLOCKED: the text to replace is not in {path}")
        # Derived content comes from exact results of this turn; none yet: look again first.
        args = call.arguments(turn)
        if args is None:
            if i == 0:
                return Reply(text="BLOCKED: I cannot work out what to write")
            prev = calls[i - 1]
            return tool(prev.tool, prev.arguments(turn) or {})
        return tool(call.tool, args)
    return None


def _tried_edit(view: StepView, path: str) -> bool:
    return any(
        e.name == "edit_file" and e.arguments.get("path") == path and (e.result or "").startswith(_NOT_FOUND)
        for e in view.turn
    )


def applied(spec: Step, view: WholeFileView) -> str | None:
    """`view.target` after the step's writing calls, from the files shown (read as the tool
    results an able model would have seen); None when a call needs what was not shown (a command's
    output, a listing) or writes another file."""
    text = view.files.get(view.target, "")
    memory = [f"{p} ({t.count(chr(10))} lines):\n{t}" for p, t in view.files.items()]
    wrote = False
    for call in spec.calls:
        args = call.arguments(memory)
        if call.tool in ("read_file", "list_dir", "search_files"):
            continue
        if args is None or args.get("path") != view.target:
            return None
        if call.tool == "write_file":
            text = str(args["content"])
        elif call.tool in ("edit_file", "replace_text"):
            if str(args["old"]) not in text:
                return None
            text = text.replace(str(args["old"]), str(args["new"]), 1)
        elif call.tool == "append_file":
            text = (text if not text or text.endswith("\n") else text + "\n") + str(args["text"])
        else:
            return None
        wrote = True
    if not wrote:
        return None
    return text if text.endswith("\n") else text + "\n"


def whole_file_proofs(spec: Step) -> list[tuple[str, ...]]:
    """A step answered as a whole file shows one write of its file with the lines it changed: an
    honest verifier takes that as the proof of its last writing call."""
    paths = [
        str(c.args["path"])
        for c in spec.calls
        if isinstance(c.args, dict) and c.tool in ("write_file", "edit_file", "replace_text", "append_file")
    ]
    return [(f"bytes to {paths[-1]}", f"changed lines of {paths[-1]}")] if paths else []
