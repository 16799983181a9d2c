"""Files that parsed before the step still parse after it: JSON, TOML, INI, Python (and YAML when
PyYAML is installed). A small model "setting a key" wrote `'debug: false'` over a JSON config."""

from __future__ import annotations

import ast
import configparser
import importlib
import json
import tomllib
from collections.abc import Callable

from smallclaw_tui.runner.rules.base import Finding, StepFacts


def _ini(text: str) -> object:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def _yaml(text: str) -> object:
    yaml = importlib.import_module("yaml")  # optional: only when the user has it
    return yaml.safe_load(text)


_PARSERS: dict[str, tuple[str, Callable[[str], object]]] = {
    ".json": ("JSON", json.loads),
    ".toml": ("TOML", tomllib.loads),
    ".ini": ("INI", _ini),
    ".cfg": ("INI", _ini),
    ".py": ("Python", ast.parse),
    ".yaml": ("YAML", _yaml),
    ".yml": ("YAML", _yaml),
}


def parse_error(path: str, text: str) -> str | None:
    """Why `text` does not parse as the format `path`'s suffix names; None when it parses, or
    when the format is unknown or its parser is not installed."""
    suffix = "." + path.rsplit(".", 1)[-1].casefold() if "." in path else ""
    found = _PARSERS.get(suffix)
    if found is None:
        return None
    name, parse = found
    try:
        parse(text)
    except ImportError:
        return None
    except Exception as e:  # each parser has its own error type; any of them means "broken"
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        return f"{name}: {first[:160]}"
    return None


class StillParses:
    name = "parses"

    async def judge(self, facts: StepFacts) -> list[Finding]:
        out: list[Finding] = []
        for c in facts.changed():
            if c.after is None:
                continue
            broken = parse_error(c.path, c.after)
            if broken is None:
                continue
            if c.before is None:
                out.append(
                    Finding(False, f"{c.path} does not parse ({broken}); it was written new in this step")
                )
            elif parse_error(c.path, c.before) is None:
                out.append(Finding(False, f"{c.path} no longer parses ({broken}); it did before this step"))
        return out
