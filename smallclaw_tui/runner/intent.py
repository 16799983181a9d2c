"""What a step's text says it will do to a file: add to it, change part of it, or replace it.

The final re-check needs this. A check describes the state right after its step; a later step
that was *meant* to change the same file makes that check history ("write draft" → "change
draft to final"), but a later step that only adds to the file leaves everything the earlier
step put there in place ("add '- call bob' after '- buy milk'"). Measured on Qwen2.5-Coder-1.5B:
asked to add an item after another, it replaced the other — a false completion as long as any
later write to a named file excused the earlier check.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Intent(StrEnum):
    ADD = "add"  # only adds: everything the file held stays
    CHANGE = "change"  # changes the parts it names
    REPLACE = "replace"  # may change anything in the file


_WHOLE = re.compile(
    r"\b(?:rewrite|overwrite|regenerate|recreate|empty|clear|truncate|delete|remove|move|reformat"
    r"|replace the (?:content|contents|text|whole)|write|create|save|copy|sort)\b",
    re.I,
)
_PART = re.compile(
    r"\b(?:change|replace|set|update|edit|modify|fix|convert|bump|raise|lower|swap|turn|switch|correct|rename"
    r"|substitute|translate)\b",
    re.I,
)
_ADD = re.compile(r"\b(?:add|append|insert|prepend)\b", re.I)


def intent(description: str, path: str | None = None) -> Intent:
    """How much of the file at `path` a step may change. Unknown verbs count as REPLACE: a wrong
    guess that way can only excuse a check, and the other checks and the verifier still stand.
    A change whose object is the file itself ("change status.txt to final") replaces it."""
    if _ADD.search(description) and not (_PART.search(description) or _WHOLE.search(description)):
        return Intent.ADD
    part = _PART.search(description)
    if part and not _WHOLE.search(description):
        if path and _object_is(description[part.end() :], path):
            return Intent.REPLACE
        return Intent.CHANGE
    return Intent.REPLACE


def _object_is(rest: str, path: str) -> bool:
    words = rest.strip().strip("`'\"").casefold()
    for lead in ("the file ", "file ", "the "):
        words = words.removeprefix(lead)
    name = path.casefold()
    return words.startswith((name, name.rsplit("/", 1)[-1]))


def mentions(description: str, text: str) -> bool:
    """Does the step's text name `text` (case and surrounding quotes ignored)?"""
    needle = " ".join(text.strip().strip("'\"`").split()).casefold()
    return bool(needle) and needle in " ".join(description.split()).casefold()
