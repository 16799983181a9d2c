"""Checking a tool call's arguments against the tool's parameters, in words a small model can act on.

Every message names the argument and shows the whole expected call, e.g.
``bad arguments for write_file: missing 'content'. Call it as write_file{path: string, content: string}``.

Small models often use a near-synonym for an argument name. :data:`ALIASES` accepts the common,
unambiguous ones and nothing else:

===========  ==============================================================
argument     also accepted as
===========  ==============================================================
path         file_path, filepath, filename, file, dir, directory, source, src
destination  to, dest, target, destination_path
content      text, contents
text         content, contents
old          old_text, old_string, old_str
new          new_text, new_string, new_str
anchor       after, after_text, marker
all          replace_all
pattern      query
command      cmd
===========  ==============================================================

An alias only applies to a tool that has the canonical argument and does not itself use the alias
as a name (so `text` means `content` for write_file and `content` means `text` for append_file).
Giving the same argument twice (under its name and an alias) is an error, not a guess. A boolean
may come as the string "true" or "false": small models quote them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

ParamType = Literal["string", "integer", "boolean"]

ALIASES: dict[str, tuple[str, ...]] = {
    "path": ("file_path", "filepath", "filename", "file", "dir", "directory", "source", "src"),
    "destination": ("to", "dest", "target", "destination_path"),
    "content": ("text", "contents"),
    "text": ("content", "contents"),
    "old": ("old_text", "old_string", "old_str"),
    "new": ("new_text", "new_string", "new_str"),
    "anchor": ("after", "after_text", "marker"),
    "all": ("replace_all",),
    "pattern": ("query",),
    "command": ("cmd",),
}

# JSON names for Python types, as the model knows them from the schema.
_JSON_TYPE: dict[type, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    dict: "object",
    type(None): "null",
}


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    description: str
    type: ParamType = "string"
    required: bool = True
    # Used when an optional parameter is left out (or sent as null).
    default: str | int | bool | None = None

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.type, "description": self.description}
        if not self.required and self.default is not None:
            schema["default"] = self.default
        return schema


class ArgumentError(ValueError):
    """The arguments do not fit the tool; the message says how to call it instead."""


def signature(tool: str, params: tuple[Param, ...]) -> str:
    inner = ", ".join(f"{p.name}: {p.type}" + ("" if p.required else " (optional)") for p in params)
    return f"{tool}{{{inner}}}"


def check_arguments(tool: str, params: tuple[Param, ...], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return the arguments keyed by canonical names, defaults filled in, or raise ArgumentError."""
    by_name = {p.name: p for p in params}
    alias_of = {alias: name for name in by_name for alias in ALIASES.get(name, ()) if alias not in by_name}
    problems: list[str] = []
    given: dict[str, tuple[str, Any]] = {}  # canonical name -> (name the model used, value)
    for key, value in raw.items():
        name = key if key in by_name else alias_of.get(key)
        if name is None and value in (None, "", [], {}):
            # Asks for nothing: the 1.5B sent `required: []`, a schema keyword, beside its path
            # and answered the refusal with BLOCKED (suite index-src).
            continue
        if name is None:
            problems.append(f"unknown argument '{key}'")
        elif name in given:
            problems.append(f"'{name}' given twice (as '{given[name][0]}' and '{key}')")
        else:
            given[name] = (key, value)
    out: dict[str, Any] = {}
    for p in params:
        used, value = given.get(p.name, (p.name, None))
        # A null optional argument is a model saying "the default", not a mistake.
        if value is None:
            if p.required:
                problems.append(f"missing '{p.name}'")
            else:
                out[p.name] = p.default
            continue
        if p.type == "boolean" and isinstance(value, str) and value.strip().lower() in ("true", "false"):
            value = value.strip().lower() == "true"
        if not _has_type(value, p.type):
            shown = _JSON_TYPE.get(type(value), type(value).__name__)
            who = f"'{p.name}'" if used == p.name else f"'{p.name}' (given as '{used}')"
            article = "an" if shown[0] in "aeiou" else "a"
            problems.append(f"{who} must be a {p.type}, not {article} {shown}")
            continue
        out[p.name] = value
    if problems:
        raise ArgumentError(
            f"bad arguments for {tool}: {'; '.join(problems)}. Call it as {signature(tool, params)}"
        )
    return out


def _has_type(value: Any, expected: ParamType) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, bool)
