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


_WHOLE = (
    r"replace the (?:content|contents|text|whole)|rewrite|overwrite|regenerate|recreate|empty|clear"
    r"|truncate|delete|remove|move|reformat|write|create|save|copy|sort"
)
_PART = (
    r"change|replace|set|update|edit|modify|fix|convert|bump|raise|lower|swap|turn|switch|correct"
    r"|rename|substitute|translate"
)
_ADD = r"add|append|insert|prepend"
_VERB = re.compile(rf"\b(?:(?P<whole>{_WHOLE})|(?P<part>{_PART})|(?P<add>{_ADD}))\b", re.I)
_NEGATION = frozenset({"not", "don't", "dont", "never", "without", "no", "nor"})


def intent(description: str, path: str | None = None) -> Intent:
    """How much of the file at `path` a step may change, read from its first verb that is not
    negated ("Add the item to todo.md and save it" adds; "do not remove anything, append x"
    adds). No known verb counts as REPLACE: a wrong guess that way can only excuse a check, and
    the other checks and the verifier still stand. A change whose object is the file itself
    ("change status.txt to final") replaces it."""
    for m in _VERB.finditer(description):
        before = [w.strip(",;:.").casefold() for w in description[: m.start()].split()[-3:]]
        if _NEGATION & set(before):
            continue
        if m.group("add"):
            return Intent.ADD
        if m.group("part"):
            if path and _object_is(description[m.end() :], path):
                return Intent.REPLACE
            return Intent.CHANGE
        return Intent.REPLACE
    return Intent.REPLACE


def _object_is(rest: str, path: str) -> bool:
    words = rest.strip().strip("`'\"").casefold()
    for lead in ("the file ", "file ", "the "):
        words = words.removeprefix(lead)
    name = path.casefold()
    return words.startswith((name, name.rsplit("/", 1)[-1]))


_PATH_WORD = re.compile(
    r"(?<![\w./-])([\w][\w.-]*(?:/[\w.-]+)*\.[A-Za-z][A-Za-z0-9]{0,7}|[\w.-]+/[\w./-]*)(?![\w/-])"
)


def paths_in(text: str) -> list[str]:
    """The paths a text names (`notes/todo.md`, `config.ini`, folders as `src/`), in order, once."""
    out: list[str] = []
    for m in _PATH_WORD.finditer(text):
        path = m.group(1).rstrip(".")
        if path and not path.startswith(("http", "www.")) and path not in out:
            out.append(path)
    return out


def names_path(description: str, path: str, *, in_any_folder: bool = False) -> bool:
    """Does the step's text name the file, by its path or its file name, as a whole word?
    ("data.txt" does not name "a.txt", nor does "src/a.txt" name "dst/a.txt".) `in_any_folder`:
    "greetings/hello.txt" names "hello.txt" too (a goal that did not say where)."""
    before = r"(?<![\w.-])" if in_any_folder else r"(?<![\w./-])"
    for name in {path, path.rsplit("/", 1)[-1]}:
        if name and re.search(rf"{before}{re.escape(name)}(?![\w/-])", description, re.I):
            return True
    return False


def mentions(description: str, text: str) -> bool:
    """Does the step's text name `text` (case and surrounding quotes ignored)?"""
    needle = " ".join(text.strip().strip("'\"`").split()).casefold()
    return bool(needle) and needle in " ".join(description.split()).casefold()
