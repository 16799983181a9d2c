"""Task specs in TOML: what `task add --spec` reads, and the view `task edit` opens in an editor.

    title = "Tidy the notes"
    prompt = '''Sort notes/todo.md and drop the done items'''
    [[steps]]
    description = "Sort the lines of notes/todo.md"
    kind = "edit"                 # optional: create, append, edit, replace, read, run
    files = ["notes/todo.md"]     # optional
    [[steps.checks]]
    kind = "file_contains"
    path = "notes/todo.md"
    text = "milk"

Strict: an unknown key is an error, not silently dropped (a step would run without its check).
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import cast

from pydantic import BaseModel, TypeAdapter, ValidationError

from smallclaw_tui import taskops
from smallclaw_tui.cli.common import UsageError
from smallclaw_tui.models import Check, FileContainsCheck, PlanStep, StepKind, Task

_check_adapter: TypeAdapter[Check] = TypeAdapter(Check)
_STEP_KEYS = ("description", "checks", "kind", "files")
# mypy infers the table's values as a bare metaclass; they are models.
_CHECK_MODELS = cast("dict[str, type[BaseModel]]", taskops.CHECK_KINDS)
_KINDS_HINT = "kind is file_exists{path}, file_contains{path, text, regex} or command_succeeds{command}"


def _load_check(where: str, raw: object) -> Check:
    """One `[[steps.checks]]` table, as strict as the top level: a typo must not pass silently."""
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: must be a table ([[steps.checks]])")
    kind = raw.get("kind")
    model = _CHECK_MODELS.get(kind) if isinstance(kind, str) else None
    if model is not None:
        unknown = sorted(set(raw) - set(model.model_fields))
        if unknown:
            known = ", ".join(k for k in model.model_fields if k != "kind")
            raise UsageError(f"{where}: unknown key {unknown[0]!r} ({kind} takes {known})")
    try:
        check = _check_adapter.validate_python(raw)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise UsageError(f"{where}: {loc + ': ' if loc else ''}{err['msg']} ({_KINDS_HINT})") from None
    for key in ("path", "text", "command"):
        value = getattr(check, key, None)
        if isinstance(value, str) and not value.strip():
            # An empty command "succeeds", an empty text is in every file: such a check proves nothing.
            raise UsageError(f"{where}: {key} must not be empty")
    if isinstance(check, FileContainsCheck) and check.regex:
        try:
            re.compile(check.text)
        except re.error as e:
            raise UsageError(f"{where}: text is not a valid regular expression: {e}") from None
    return check


def _load_step(where: str, index: int, raw: object) -> PlanStep:
    description = raw.get("description") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not isinstance(description, str) or not description.strip():
        raise UsageError(f"{where}: needs a description (a non-empty string)")
    unknown = sorted(set(raw) - set(_STEP_KEYS))
    if unknown:
        # `[[steps.check]]` would otherwise be dropped and the step run with no check at all.
        raise UsageError(
            f"{where}: unknown key {unknown[0]!r} (expected description, kind, files, [[steps.checks]])"
        )
    raw_checks = raw.get("checks", [])
    if not isinstance(raw_checks, list):
        raise UsageError(f"{where}: checks must be an array of tables ([[steps.checks]])")
    checks = [_load_check(f"{where}, check {j}", c) for j, c in enumerate(raw_checks, start=1)]
    kind = raw.get("kind")
    if kind is not None and kind not in {k.value for k in StepKind}:
        raise UsageError(f"{where}: kind must be one of {', '.join(k.value for k in StepKind)}")
    files = raw.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) and f.strip() for f in files):
        raise UsageError(f"{where}: files must be a list of paths")
    return PlanStep(
        index=index,
        description=description.strip(),
        checks=checks,
        kind=StepKind(kind) if kind is not None else None,
        files=[f.strip() for f in files],
    )


def load_spec(path: Path) -> tuple[str | None, str | None, list[PlanStep]]:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise UsageError(f"spec file {path} does not exist") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"spec file {path}: not valid TOML: {e}") from None
    except OSError as e:
        raise UsageError(f"spec file {path}: cannot read: {e.strerror}") from None
    unknown = sorted(set(data) - {"title", "prompt", "steps"})
    if unknown:
        raise UsageError(f"spec file {path}: unknown key {unknown[0]!r} (expected title, prompt, [[steps]])")
    for key in ("title", "prompt"):
        if key in data and not isinstance(data[key], str):
            raise UsageError(f"spec file {path}: {key} must be a string")
    raw_steps = data.get("steps", [])
    if not isinstance(raw_steps, list):
        raise UsageError(f"spec file {path}: steps must be an array of tables ([[steps]])")
    steps = [
        _load_step(f"spec file {path}: step {i}", i - 1, raw) for i, raw in enumerate(raw_steps, start=1)
    ]
    return data.get("title"), data.get("prompt"), steps


def _toml_str(text: str) -> str:
    """A TOML string for `text`: a multi-line literal when that keeps it readable, else a basic
    string (JSON's escapes are TOML's)."""
    plain = "\n" in text and "'''" not in text and not text.endswith("'")
    if plain and not any(ord(c) < 32 and c not in "\n\t" for c in text):
        return "'''\n" + text + "'''"
    return json.dumps(text, ensure_ascii=False)


def spec_text(task: Task) -> str:
    """The task's goal, title and plan as a spec `load_spec` reads back to the same values."""
    out = [
        f"# Editing task {task.id}. Save and close to apply; an empty file changes nothing.",
        "# Steps before the first one you change keep what they did; the task goes on from there.",
        f"title = {_toml_str(task.title)}",
        f"prompt = {_toml_str(task.prompt)}",
    ]
    for step in task.plan:
        out += ["", "[[steps]]", f"description = {_toml_str(step.description)}"]
        if step.kind is not None:
            out.append(f"kind = {_toml_str(step.kind.value)}")
        if step.files:
            out.append("files = [" + ", ".join(_toml_str(f) for f in step.files) + "]")
        for check in step.checks:
            out.append("[[steps.checks]]")
            for key, value in check.model_dump().items():
                if isinstance(value, bool):
                    if value:
                        out.append(f"{key} = true")
                else:
                    out.append(f"{key} = {_toml_str(str(value))}")
    return "\n".join(out) + "\n"
