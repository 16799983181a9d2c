"""Regular expressions from a model (or a spec file), run so that no pattern can stall the runner.

A pattern like `(a+)+$` makes Python's backtracking `re` take exponential time, and `re` holds the
GIL while it matches: run in a thread it still freezes the event loop, and a thread cannot be
stopped. So patterns run on RE2, which matches in linear time. What RE2 does not support
(backreferences, lookaround, `\\Z`, …) runs on Python's `re` in a child process that is killed at a
time limit, so those patterns keep working and a bad one costs seconds, not the runner.

Matching is `re.search(pattern, text, re.MULTILINE)`: `^` and `$` hold at every line.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import json
import re
import sys
from dataclasses import dataclass
from typing import Any

TIME_LIMIT_S = 2.0

# RE2's \w, \d, \s and \b are ASCII only; Python's are Unicode. On non-ASCII text a pattern with
# one of them goes to Python's engine, so it means what the person who wrote it meant.
_ASCII_ONLY_IN_RE2 = re.compile(r"\\[wWdDsSbB]")

_CHILD = r"""
import json, re, sys
job = json.loads(sys.stdin.buffer.read())
try:
    found = re.search(job["pattern"], job["text"], re.MULTILINE) is not None
except re.error as e:
    print(json.dumps({"error": str(e)}))
except RecursionError:
    print(json.dumps({"error": "nested too deeply"}))
else:
    print(json.dumps({"matched": found}))
"""


@dataclass(frozen=True, slots=True)
class RegexResult:
    matched: bool
    error: str | None = None  # why there is no answer: a bad pattern, or one cut off at the limit


@functools.cache
def _re2() -> Any:
    try:
        module = importlib.import_module("re2")
    except ImportError:  # no wheel for this platform: every pattern takes the guarded path
        return None
    options = module.Options()
    options.log_errors = False  # a refused pattern is normal here, not worth a line on stderr
    return module, options


@functools.lru_cache(maxsize=128)
def _compile_linear(pattern: str) -> Any:
    """The RE2 program for `pattern`, or None where RE2 cannot run it."""
    loaded = _re2()
    if loaded is None:
        return None
    module, options = loaded
    try:
        return module.compile("(?m)" + pattern, options)
    except Exception:  # re2.error, or a pattern that is not valid UTF-8 (a lone surrogate)
        return None


async def search(pattern: str, text: str, *, time_limit_s: float = TIME_LIMIT_S) -> RegexResult:
    """Whether `pattern` matches anywhere in `text`, without ever blocking the event loop."""
    compiled = None
    if text.isascii() or not _ASCII_ONLY_IN_RE2.search(pattern):
        compiled = _compile_linear(pattern)
    if compiled is not None:
        found = await asyncio.to_thread(compiled.search, text)
        return RegexResult(found is not None)
    return await _search_in_child(pattern, text, time_limit_s)


async def _search_in_child(pattern: str, text: str, time_limit_s: float) -> RegexResult:
    payload = json.dumps({"pattern": pattern, "text": text}).encode()
    # -I -S: no user site, no environment, no site-packages; only the standard library is needed.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-I",
        "-S",
        "-c",
        _CHILD,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(payload), time_limit_s)
    except TimeoutError:
        return RegexResult(
            False,
            f"regex /{pattern}/ took longer than {time_limit_s:g}s on {len(text)} characters and was "
            "stopped (it backtracks without end; a simpler pattern will do)",
        )
    finally:
        if proc.returncode is None:  # cut off, or this check was cancelled: the child goes too
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    try:
        answer = json.loads(out)
    except ValueError:
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        return RegexResult(False, f"regex /{pattern}/ could not be run: {tail[0]}")
    if "error" in answer:
        return RegexResult(False, f"bad regex /{pattern}/: {answer['error']}")
    return RegexResult(bool(answer["matched"]))
