"""A file made from another file keeps its lines whole: a new line that is nearly one line of the
source, with a word from elsewhere in it, was stitched together.

Held-out grab-warns on Qwen2.5-Coder-1.5B: shown server.log and asked for warnings.txt ("pull the
WARN lines from server.log"), it wrote "WARN db timeout" for the log's "10:01:15 ERROR db
timeout", and the task completed with the file wrong; the verifier and the goal review both said
YES. Every word of that line is in the log; most of them are on one line of it, and the rest come
from other lines.

Only a file made from one source file, and only a line of three words or more that uses no word
of its own, is held to this: a line with words the source lacks (a summary, a label), a short
line (a key, a name, "host:port"), and a file joined from several sources say nothing here.
"""

from __future__ import annotations

import asyncio
import re

from smallclaw_tui.runner.intent import paths_in
from smallclaw_tui.runner.peek import named_texts
from smallclaw_tui.runner.rules.base import Finding, StepFacts

_WORD = re.compile(r"[\w][\w.-]*[\w]|\w")
MIN_WORDS = 3
# Most of the line's words on one source line: at least this share.
MOST = 2 / 3
# Larger files are not compared (the scan is lines × lines): whole-file answers show small ones.
MAX_CHARS = 20_000


def _words(line: str) -> set[str]:
    return {w for w in _WORD.findall(line) if len(w) >= 2}


def stitched_lines(text: str, source: str) -> list[tuple[int, str]]:
    """(line number, line) of each line of `text` whose words all occur in `source`, most of them
    on one source line that does not hold them all."""
    source_lines = [_words(line) for line in source.splitlines()]
    vocabulary = set().union(*source_lines) if source_lines else set()
    out: list[tuple[int, str]] = []
    for n, line in enumerate(text.splitlines(), 1):
        words = _words(line)
        if len(words) < MIN_WORDS or not words <= vocabulary:
            continue
        best = max(len(words & held) for held in source_lines)
        if MOST * len(words) <= best < len(words):
            out.append((n, line))
    return out


class CopiedLinesWhole:
    name = "stitched"

    async def judge(self, facts: StepFacts) -> list[Finding]:
        made = [c for c in facts.changed() if c.before is None and c.after and len(c.after) <= MAX_CHARS]
        if not made:
            return []
        written = {c.path for c in facts.changes}
        named = paths_in(facts.task.prompt) + paths_in(facts.step.description) + list(facts.step.files)
        sources = await named_texts(facts.workspace, named, limit=MAX_CHARS, skip=written)
        if len(sources) != 1:
            return []
        ((name, source),) = sources
        if len(source) > MAX_CHARS:
            return []
        out: list[Finding] = []
        for c in made:
            bad = await asyncio.to_thread(stitched_lines, c.after or "", source)
            if bad:
                n, line = bad[0]
                out.append(
                    Finding(
                        False,
                        f"{c.path} line {n} ({line.strip()[:60]!r}) is in no line of {name}; "
                        "copy the lines you take as they are",
                    )
                )
        return out
