"""Doom-loop detection for tool calls, with escalation.

Small models repeat themselves: the same call over and over, two calls in alternation, or one
failing call retried with cosmetic changes. Peers found that a warning alone is ignored, so the
guard escalates on one counter per pattern, each counting *attempts* (the call being checked
included):

* ``warn_at``  — the call runs, and guidance for the model is attached to its result;
* ``block_at`` — the call is refused (not run); the refusal says why and what to try instead;
* ``stuck_at`` — the caller should stop the turn and report the one-line reason.

Patterns, all within the last ``loop_window`` attempts:

* repeat    — the same tool with the same normalized arguments;
* ping-pong — A, B, A, B … ; each full A/B pair is strong evidence, so the count is
  ``pairs + 1`` (the fourth call of A B A B already warns);
* error     — failures (or empty results) with the same error text, whatever the arguments,
  since the last successful call. Only calls to the tools that produced that error are
  escalated: the other tools are the alternatives the model should turn to.

A refused attempt still counts: a model that ignores the refusal walks on to ``stuck``.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import deque
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Literal

from smallclaw_tui.config import AgentSettings
from smallclaw_tui.models import ToolCall

Outcome = Literal["pending", "ok", "error", "empty", "refused"]
Pattern = Literal["", "repeat", "pingpong", "error"]

_STATE_VERSION = 1
_PATH_KEYS = frozenset(
    {"path", "file", "filename", "file_path", "filepath", "dir", "directory", "folder", "cwd"}
)
_EMPTY_RESULT = re.compile(
    r"^\s*(\(?\s*(empty|no output|nothing)\s*\)?|no (matches|results|files|entries)( found)?|\S+ is empty)\b",
    re.IGNORECASE,
)
# Longer output is content, even when it happens to start with "No results".
_EMPTY_MAX_CHARS = 120
# What to try instead, per tool; small models need the alternative spelled out to take it.
_ALTERNATIVES: dict[str, str] = {
    "read_file": "use list_dir or search_files to find the right path, or use the content you already read",
    "edit_file": "use read_file to see the current text, or write_file to replace the whole file",
    "replace_text": "use read_file to see the current text and copy 'old' from it exactly",
    "insert_after": "use read_file to see the current text and copy the anchor line from it exactly",
    "append_file": "use read_file to check what the file already holds",
    "write_file": (
        "to change part of an existing file use append_file, replace_text or insert_after; to "
        "replace it whole, send overwrite: true; read_file shows what is already there"
    ),
    "list_dir": "use search_files, or read a file you already saw listed",
    "search_files": "use list_dir, or search for a simpler pattern",
    "run_shell": "read the error above and fix its cause (a missing file, a typo) before running again",
    "web_fetch": "try a different URL, or answer from what you already have",
}
_DEFAULT_ALTERNATIVE = "try a different tool or different arguments, or answer with what you already have"


class Action(StrEnum):
    OK = "ok"
    WARN = "warn"
    BLOCK = "block"
    STUCK = "stuck"


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    # WARN: guidance to attach to the tool result. BLOCK: the refusal to send as the tool result.
    # STUCK: a one-line reason for the caller, e.g. "stuck: read_file{path: a.txt} repeated 6 times".
    message: str = ""
    pattern: Pattern = ""
    count: int = 0

    @property
    def runs(self) -> bool:
        """Whether the call should be executed."""
        return self.action in (Action.OK, Action.WARN)


OK = Verdict(Action.OK)


@dataclass(slots=True)
class _Attempt:
    call_id: str
    name: str
    sig: str
    label: str
    outcome: Outcome = "pending"
    # Normalized error text for error/empty outcomes; for a refusal, the error it was refused for.
    fingerprint: str = ""
    # The error's first line as the tool said it, for messages: the fingerprint masks numbers
    # and arguments, which would show the user a path that does not exist.
    error: str = ""


def normalize_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """Arguments as the guard compares them: whitespace collapsed, paths normalized, keys sorted.

    Path case is kept: on most file systems ``A.txt`` and ``a.txt`` are different files.
    """
    return {k: _normalize_value(k, arguments[k]) for k in sorted(arguments)}


def _normalize_value(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return normalize_arguments(value)
    if isinstance(value, list):
        return [_normalize_value(key, v) for v in value]
    if not isinstance(value, str):
        return value
    text = " ".join(value.split())
    if key.lower() in _PATH_KEYS:
        text = posixpath.normpath(text) if text else "."
        text = text.removeprefix("./")
    return text


def signature(call: ToolCall) -> str:
    args = json.dumps(normalize_arguments(call.arguments), sort_keys=True, ensure_ascii=False)
    return f"{call.name}:{args}"


def describe_call(call: ToolCall, max_value: int = 40) -> str:
    """A short, stable rendering such as ``read_file{path: a.txt}`` for messages and reasons."""
    parts = []
    for key, value in normalize_arguments(call.arguments).items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if len(shown) > max_value:
            shown = shown[: max_value - 1] + "…"
        parts.append(f"{key}: {shown}")
    return f"{call.name}{{{', '.join(parts)}}}"


def is_empty_result(output: str) -> bool:
    text = output.strip()
    return not text or (len(text) <= _EMPTY_MAX_CHARS and bool(_EMPTY_RESULT.match(text)))


def _error_fingerprint(call: ToolCall, output: str) -> str:
    """The error text with the call's own argument values and numbers masked, so that the same
    failure with different arguments ("no such file: a.txt" / "… b.txt") looks the same."""
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    text = lines[0][:300] if lines else ""
    values = sorted(
        {v for v in _string_values(call.arguments) if len(v) >= 2}
        | {v for v in _string_values(normalize_arguments(call.arguments)) if len(v) >= 2},
        key=len,
        reverse=True,
    )
    for value in values:
        text = text.replace(value, "<arg>")
    text = re.sub(r"\d+", "#", text.lower())
    return " ".join(text.split())


def _first_line(output: str) -> str:
    lines = [ln.strip() for ln in output.strip().splitlines() if ln.strip()]
    return lines[0][:200] if lines else ""


def _string_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _string_values(v)]
    if isinstance(value, list):
        return [s for v in value for s in _string_values(v)]
    return []


class LoopGuard:
    """Check each tool call before it runs (:meth:`check`), record how it went after (:meth:`record`).

    :meth:`check` registers the attempt, so call it exactly once per call the model made.
    """

    def __init__(self, settings: AgentSettings) -> None:
        self.settings = settings
        self._attempts: deque[_Attempt] = deque(maxlen=settings.loop_window)

    @property
    def enabled(self) -> bool:
        return self.settings.loop_guard

    def reset(self) -> None:
        self._attempts.clear()

    def check(self, call: ToolCall) -> Verdict:
        if not self.enabled:
            return OK
        sig = signature(call)
        label = describe_call(call)
        verdicts = [
            self._repeat_verdict(sig, label, call.name),
            self._pingpong_verdict(sig, label, call.name),
            self._error_verdict(call.name),
        ]
        verdict = max(verdicts, key=lambda v: (_SEVERITY[v.action], v.count))
        # A call refused for a failure streak carries that failure, so the streak keeps growing
        # while the model insists; refused for repetition, it only counts as a repeat.
        streak = self._streak()
        refused = not verdict.runs and verdict.pattern == "error"
        self._attempts.append(
            _Attempt(
                call_id=call.id,
                name=call.name,
                sig=sig,
                label=label,
                outcome="pending" if verdict.runs else "refused",
                fingerprint=streak[0] if refused else "",
                error=streak[3] if refused else "",
            )
        )
        return verdict

    def record(self, call: ToolCall, ok: bool, output: str) -> None:
        if not self.enabled:
            return
        attempt = self._find_pending(call)
        if attempt is None:
            label = describe_call(call)
            attempt = _Attempt(call_id=call.id, name=call.name, sig=signature(call), label=label)
            self._attempts.append(attempt)
        if not ok:
            attempt.outcome = "error"
            attempt.fingerprint = _error_fingerprint(call, output)
            attempt.error = _first_line(output)
        elif is_empty_result(output):
            attempt.outcome = "empty"
            attempt.fingerprint = "(empty result)"
        else:
            attempt.outcome = "ok"
            attempt.fingerprint = ""

    # --- state ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {"version": _STATE_VERSION, "attempts": [asdict(a) for a in self._attempts]}

    @classmethod
    def from_dict(cls, settings: AgentSettings, data: dict[str, Any] | None) -> LoopGuard:
        """Rebuild a guard; state written by an unknown version is dropped rather than misread."""
        guard = cls(settings)
        if not data or data.get("version") != _STATE_VERSION:
            return guard
        for raw in data.get("attempts", []):
            try:
                guard._attempts.append(_Attempt(**raw))
            except TypeError:
                continue
        return guard

    # --- patterns ------------------------------------------------------------------------------

    def _level(self, n: int) -> Action:
        s = self.settings
        if n >= s.loop_stuck_at:
            return Action.STUCK
        if n >= s.loop_block_at:
            return Action.BLOCK
        if n >= s.loop_warn_at:
            return Action.WARN
        return Action.OK

    def _repeat_verdict(self, sig: str, label: str, name: str) -> Verdict:
        n = 1 + sum(1 for a in self._attempts if a.sig == sig)
        action = self._level(n)
        if action is Action.OK:
            return OK
        alt = _ALTERNATIVES.get(name, _DEFAULT_ALTERNATIVE)
        before = n - 1
        times = "once" if before == 1 else f"{before} times"
        if action is Action.STUCK:
            msg = f"stuck: {label} repeated {n} times"
        elif action is Action.BLOCK:
            msg = (
                f"Refused: {label} was already called {times} with the same arguments, so it was not "
                f"run again. Repeating it cannot give a new answer. Instead, {alt}."
            )
        else:
            msg = (
                f"Loop warning: you have now called {label} {n} times with the same arguments. "
                f"Do not call it again; {alt}. If the work is finished, say so."
            )
        return Verdict(action, msg, "repeat", n)

    def _pingpong_verdict(self, sig: str, label: str, name: str) -> Verdict:
        seq = [a.sig for a in self._attempts] + [sig]
        matches = 0
        for k in range(len(seq) - 1, 1, -1):
            if seq[k] != seq[k - 2] or seq[k] == seq[k - 1]:
                break
            matches += 1
        if matches < 2:
            return OK
        length = matches + 2  # the first two calls of the run start it without matching anything
        n = length // 2 + 1
        action = self._level(n)
        if action is Action.OK:
            return OK
        other = next(a.label for a in reversed(self._attempts) if a.sig != sig)
        alt = _ALTERNATIVES.get(name, _DEFAULT_ALTERNATIVE)
        if action is Action.STUCK:
            msg = f"stuck: alternating {label} and {other} {length} times"
        elif action is Action.BLOCK:
            msg = (
                f"Refused: you keep alternating between {label} and {other} ({length - 1} calls so far) "
                f"without progress, so {label} was not run. Instead, {alt}."
            )
        else:
            msg = (
                f"Loop warning: you are alternating between {label} and {other} without progress. "
                f"Break the cycle: {alt}."
            )
        return Verdict(action, msg, "pingpong", n)

    def _streak(self) -> tuple[str, int, set[str], str]:
        """(error fingerprint, failures with it since the last success, tools that produced it,
        the latest of those errors as the tool wrote it)."""
        fingerprint = ""
        error = ""
        count = 0
        tools: set[str] = set()
        for a in reversed(self._attempts):
            if a.outcome == "ok":
                break
            if a.outcome not in ("error", "empty", "refused") or not a.fingerprint:
                continue
            if not fingerprint:
                fingerprint = a.fingerprint
                error = a.error
            if a.fingerprint == fingerprint:
                count += 1
                tools.add(a.name)
        return fingerprint, count, tools, error or fingerprint

    def _error_verdict(self, name: str) -> Verdict:
        fingerprint, failures, tools, error = self._streak()
        if not failures or name not in tools:
            return OK
        n = failures + 1
        action = self._level(n)
        if action is Action.OK:
            return OK
        alt = _ALTERNATIVES.get(name, _DEFAULT_ALTERNATIVE)
        what = "returned nothing" if fingerprint == "(empty result)" else f"failed with: {error}"
        if action is Action.STUCK:
            msg = f"stuck: {name} {what} ({failures} times)"
        elif action is Action.BLOCK:
            msg = (
                f"Refused: the last {failures} {name} calls {what}. Changing the arguments a little will "
                f"not fix it, so this call was not run. Instead, {alt}."
            )
        else:
            msg = f"Loop warning: {failures} {name} calls in a row {what}. Do not retry the same way; {alt}."
        return Verdict(action, msg, "error", n)

    def _find_pending(self, call: ToolCall) -> _Attempt | None:
        for a in reversed(self._attempts):
            if a.call_id == call.id and a.outcome == "pending":
                return a
        sig = signature(call)
        for a in reversed(self._attempts):
            if a.sig == sig and a.outcome == "pending":
                return a
        return None


_SEVERITY = {Action.OK: 0, Action.WARN: 1, Action.BLOCK: 2, Action.STUCK: 3}
