"""The planner: one model call that turns a goal into 2–8 short steps with checks where it can.

The answer must be JSON that validates; on invalid output the model is asked once more with the
error; after that the task goes to needs_assistance with the raw reply journaled. A plan of one
step is asked again once too; the same answer twice stands as a one-step plan.

What small models do to a plan, and what is done about it (measured on Qwen2.5-Coder 0.5B/1.5B,
docs/benchmarks.md):
- They copy the prompt's example plan into the answer. The example is a separate, earlier turn
  with its own goal and files, and a step that names the example's file is dropped.
- They break the JSON (a stray `}` after a step). When the whole answer does not validate, or
  validates with fewer steps than it holds, the step objects are read one by one.
- They guess checks: text the file will never hold (`user = owner` for a file of `key=value`
  lines), or a "check" that does the work (`wc -l a > b`). The planner has seen only the goal, so a
  check is kept only when its file and text come from the goal or the step's own words, and a
  command check only when it merely looks (the shell policy runs it without asking, no redirect).
  Dropped checks are reported; the step then falls back to the checks its words imply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from json_repair import repair_json
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator

from smallclaw_tui.llm.base import ModelClient
from smallclaw_tui.models import (
    WRITING_KINDS,
    ChatMessage,
    Check,
    CommandSucceedsCheck,
    FileContainsCheck,
    PlanStep,
    Role,
    StepKind,
)
from smallclaw_tui.runner.intent import names_path, paths_in
from smallclaw_tui.runner.writes import norm_path

# A file path as a plan may name it: relative, no `..`, something after the last slash.
_FILE = re.compile(r"(?!/)(?!.*(?:^|/)\.\.(?:/|$))[\w.\- /]*[\w.\-]")

MIN_STEPS = 2
MAX_STEPS = 8

SYSTEM = (
    "You plan work for a small assistant that can read, write and edit files, list folders, search "
    "text and run shell commands in one workspace. Split the goal into 1 to 8 short, concrete steps. "
    "Each step is one action on the files it names (writing a file makes its folder):\n"
    "action: create (a new file), append (add at the end of a file), edit (change part of a file), "
    "replace (rewrite a whole file), read (look at files), run (run a shell command).\n"
    "For each step add checks that prove it is done, using only file names and text that the goal "
    "gives:\n"
    '{"kind": "file_exists", "path": "..."}, {"kind": "file_contains", "path": "...", "text": "..."}, '
    '{"kind": "command_succeeds", "command": "..."} (a command that only looks, like grep -q).\n'
    "Reply with JSON only, in the same shape as before."
)

# A worked example, as its own turn: small models copy an inline example into every plan.
EXAMPLE_GOAL = "Put the word hi in greet.txt, then add a second line bye"
EXAMPLE_FILE = "greet.txt"
EXAMPLE_PLAN: dict[str, Any] = {
    "steps": [
        {
            "action": "create",
            "files": ["greet.txt"],
            "description": "Write greet.txt with the line 'hi'",
            "checks": [{"kind": "file_contains", "path": "greet.txt", "text": "hi"}],
        },
        {
            "action": "append",
            "files": ["greet.txt"],
            "description": "Add the line 'bye' at the end of greet.txt",
            "checks": [{"kind": "file_contains", "path": "greet.txt", "text": "bye"}],
        },
    ]
}


class _Step(BaseModel):
    description: str = Field(min_length=3, max_length=400)
    # Read one by one in trusted_plan: one check the runner does not know drops that check only.
    checks: list[Any] = Field(default_factory=list)
    # What the step does to its files; an action the runner does not know leaves the kind open.
    action: Any = None
    files: Any = None

    @field_validator("description")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()

    @field_validator("checks", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v


_CHECK: TypeAdapter[Check] = TypeAdapter(Check)


class _Plan(BaseModel):
    # One step validates here; make_plan asks again for MIN_STEPS (see there).
    steps: list[_Step] = Field(min_length=1, max_length=MAX_STEPS)


@dataclass(slots=True)
class PlanOutcome:
    steps: list[PlanStep] | None
    raw_replies: list[str]
    error: str = ""
    # What the plan had that could not be trusted, in words for the journal.
    dropped: list[str] = field(default_factory=list)


def _answer_text(raw: str) -> str:
    text = raw
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1]
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        raise ValueError("no JSON object in the reply")
    return text[start:]


def _as_step(obj: Any) -> Any:
    # Small models often write bare strings for steps; accept them as descriptions.
    return {"description": obj} if isinstance(obj, str) else obj


def _whole(text: str) -> list[Any]:
    data = json.loads(repair_json(text))
    if isinstance(data, list):
        data = {"steps": data}
    if isinstance(data, dict) and isinstance(data.get("steps"), list):
        return [_as_step(s) for s in data["steps"]]
    raise ValueError("the JSON has no list of steps")


def _fragments(text: str) -> list[Any]:
    """Every balanced `{…}` object with a description, read on its own (broken JSON around it)."""
    found: list[Any] = []
    i = 0
    while (start := text.find("{", i)) >= 0:
        end = _balanced_end(text, start)
        if end is None:
            break
        chunk = text[start:end]
        try:
            obj = json.loads(repair_json(chunk))
        except ValueError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("description"), str):
            found.append(obj)
            i = end
        else:
            i = start + 1
    return found


def _balanced_end(text: str, start: int) -> int | None:
    depth = 0
    quoted = escaped = False
    for j in range(start, len(text)):
        ch = text[j]
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return j + 1
    return None


def _validated(raw_steps: list[Any]) -> list[_Step]:
    return _Plan.model_validate({"steps": raw_steps}).steps


def _parse(raw: str) -> list[_Step]:
    text = _answer_text(raw)
    whole_error: Exception | None = None
    try:
        whole = _whole(text)
    except ValueError as e:
        whole, whole_error = [], e
    pieces = _fragments(text)
    # A repair that loses steps is silent; the step objects read one by one are not.
    best = pieces if len(pieces) > len(whole) else whole
    try:
        return _validated(best)
    except ValidationError:
        if best is pieces and whole:
            return _validated(whole)
        if whole_error is not None and not pieces:
            raise whole_error from None
        raise


def _why(err: Exception) -> str:
    if isinstance(err, ValidationError):
        e = err.errors()[0]
        return f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
    return str(err)


def _norm(text: str) -> str:
    return " ".join(text.strip().strip("'\"`").split()).casefold()


def _in(needle: str, pool: str) -> bool:
    n = _norm(needle)
    return bool(n) and n in pool


_QUOTED_IN_COMMAND = re.compile(r"'([^']+)'|\"([^\"]+)\"")


def _check_doubt(check: Check, pool: str, command_ok: Callable[[str], bool]) -> str | None:
    """Why a planned check cannot be trusted, or None when it can."""
    if isinstance(check, CommandSucceedsCheck):
        if not command_ok(check.command):
            return "it would need approval or it writes files"
        # `grep -q "version = '2.0.0'" f`: a guessed text, whatever runs it.
        for m in _QUOTED_IN_COMMAND.finditer(check.command):
            text = m.group(1) or m.group(2)
            if not _in(text, pool):
                return f"the text {text!r} is not in the goal or the step"
        return None
    if not (_in(check.path, pool) or _in(check.path.rsplit("/", 1)[-1], pool)):
        return f"{check.path} is not named in the goal or the step"
    if isinstance(check, FileContainsCheck) and not _in(check.text, pool):
        return f"the text {check.text!r} is not in the goal or the step"
    return None


def _copied_from_example(description: str, goal: str) -> bool:
    return _in(EXAMPLE_FILE, _norm(description)) and not _in(EXAMPLE_FILE, _norm(goal))


def trusted_plan(
    steps: list[_Step], goal: str, command_ok: Callable[[str], bool]
) -> tuple[list[PlanStep], list[str]]:
    """The steps and checks that can be trusted, and what was dropped (in words)."""
    dropped: list[str] = []
    kept: list[PlanStep] = []
    for s in steps:
        if _copied_from_example(s.description, goal):
            dropped.append(f"step {s.description!r}: copied from the prompt's example")
            continue
        pool = _norm(goal) + "\n" + _norm(s.description)
        checks: list[Check] = []
        for raw in s.checks:
            try:
                c = _CHECK.validate_python(raw)
            except ValidationError:
                what = str(raw)[:80]
                dropped.append(f"check {what!r} of step {len(kept) + 1}: not a check the runner knows")
                continue
            doubt = _check_doubt(c, pool, command_ok)
            if doubt is None:
                checks.append(c)
            else:
                dropped.append(f"check {c.describe()!r} of step {len(kept) + 1}: {doubt}")
        kind, files = _kind_and_files(s)
        step = PlanStep(index=len(kept), description=s.description, checks=checks, kind=kind, files=files)
        kept.append(step)
    return _without_needless_reads(_without_folder_steps(kept, dropped), dropped), dropped


def _kind_and_files(s: _Step) -> tuple[StepKind | None, list[str]]:
    kind = None
    if isinstance(s.action, str):
        try:
            kind = StepKind(s.action.strip().casefold())
        except ValueError:
            kind = None
    raw = s.files if isinstance(s.files, list) else [s.files] if isinstance(s.files, str) else []
    files = [norm_path(f) for f in raw if isinstance(f, str) and _FILE.fullmatch(norm_path(f))]
    # A writing step that names no file is held to changing some file: the paths in its text may
    # be its sources ("copy settings.json to settings.json.bak"), so they do not stand in.
    return kind, list(dict.fromkeys(files))


def _without_folder_steps(steps: list[PlanStep], dropped: list[str]) -> list[PlanStep]:
    """A writing step whose files are only folders of a later step's files goes, its checks moved
    to that later step: writing a file makes its folder. Asked to write the step's "file", the 1.5B
    made a file named like the folder, and the next step could not put its file in it."""
    out: list[PlanStep] = []
    moved: dict[int, list[Check]] = {}
    for i, s in enumerate(steps):
        later = [(j, f) for j, t in enumerate(steps[i + 1 :], start=i + 1) for f in t.files]
        owners = [next((j for j, f in later if f.startswith(d + "/")), None) for d in s.files]
        if s.kind in WRITING_KINDS and s.files and None not in owners:
            first = min(j for j in owners if j is not None)
            moved.setdefault(first, []).extend(s.checks + moved.pop(i, []))
            dropped.append(f"step {s.description!r}: only makes the folder of a later step's file")
            continue
        out.append(s.model_copy(update={"checks": s.checks + moved.pop(i, [])}))
    return [s.model_copy(update={"index": n}) for n, s in enumerate(out)]


def _without_needless_reads(steps: list[PlanStep], dropped: list[str]) -> list[PlanStep]:
    """A read step whose files a later step writes is dropped: the later step's prompt shows
    those files anyway (the 1.5B planned "Open README.md in a text editor" before editing it)."""
    out: list[PlanStep] = []
    for i, s in enumerate(steps):
        later = {f for t in steps[i + 1 :] if t.kind in WRITING_KINDS for f in t.files}
        if s.kind is StepKind.READ and s.files and set(s.files) <= later and not s.checks:
            dropped.append(f"step {s.description!r}: only reads files a later step shows and changes")
            continue
        out.append(s.model_copy(update={"index": len(out)}))
    return out


def _mentions(step: PlanStep, path: str) -> bool:
    """Does the step name `path`, in its words or in the files the plan gives it?"""
    return norm_path(path) in step.files or names_path(step.description, path, in_any_folder=True)


async def make_plan(
    client: ModelClient,
    goal: str,
    *,
    model: str | None = None,
    command_ok: Callable[[str], bool] = lambda _cmd: False,
    listing: str = "",
    retry_temperature: float | None = None,
    seed: int | None = None,
) -> PlanOutcome:
    """`listing`: the workspace's files in a line (:mod:`.listing`), shown after the goal so the
    plan names the files that are there instead of guessing. The re-ask samples at
    `retry_temperature` with `seed`: at temperature 0 the 1.5B gave the same unusable plan twice,
    word for word, whatever the re-ask said (held-out count-py)."""
    asked = f"Goal: {goal}" + (f"\n\n{listing}" if listing else "")
    messages = [
        ChatMessage(role=Role.SYSTEM, content=SYSTEM),
        ChatMessage(role=Role.USER, content=f"Goal: {EXAMPLE_GOAL}"),
        ChatMessage(role=Role.ASSISTANT, content=json.dumps(EXAMPLE_PLAN)),
        ChatMessage(role=Role.USER, content=asked),
    ]
    raws: list[str] = []
    error = ""
    for attempt in range(2):  # the first answer, and one re-ask
        again = attempt > 0 and bool(retry_temperature)
        result = await client.chat(
            messages,
            None,
            model=model,
            think=False,
            temperature=retry_temperature if again else None,
            seed=seed if again else None,
        )
        raws.append(result.text)
        try:
            steps, dropped = trusted_plan(_parse(result.text), goal, command_ok)
            # A plan that never mentions a file the goal names has dropped part of the goal
            # (Qwen2.5-Coder-1.5B: "find the files with TODO", but not "write the path to todo.txt").
            files = [p for p in paths_in(goal) if not p.endswith("/")]
            missing = [p for p in files if not any(_mentions(s, p) for s in steps)]
            if steps and missing:
                raise ValueError(f"no step mentions {', '.join(missing)}, which the goal names")
            # A one-step answer is asked again once for 2 to 8 steps; given twice, it stands: a
            # goal small enough for one step is not a reason to call the user (Qwen2.5-Coder-0.5B
            # answered one step for 10 of 10 planned goals).
            # One concrete action stands at once: asking again costs a whole planner call (90 s
            # on the 1.5B) for a goal one step can do.
            concrete = len(steps) == 1 and steps[0].kind in WRITING_KINDS and bool(steps[0].files)
            if len(steps) >= MIN_STEPS or concrete or (attempt == 1 and steps):
                return PlanOutcome(steps, raws, dropped=dropped)
            why = f"; dropped {'; '.join(dropped)}" if dropped else ""
            raise ValueError(f"{len(steps)} usable step(s), want {MIN_STEPS} to {MAX_STEPS}{why}")
        except (ValueError, ValidationError) as err:
            error = _why(err)
        messages += [
            ChatMessage(role=Role.ASSISTANT, content=result.text),
            ChatMessage(
                role=Role.USER,
                content=f"That plan is not usable ({error}). Reply with JSON only: "
                f'{{"steps": [{{"action": "...", "files": ["..."], "description": "...", "checks": []}}]}} '
                f"with {MIN_STEPS} to {MAX_STEPS} steps for the goal: {goal}",
            ),
        ]
    return PlanOutcome(None, raws, error)
