"""A file made from other files keeps their lines whole: a new line built only of words from the
source files, that no one source line holds together, was stitched from several lines.

Held-out grab-warns on Qwen2.5-Coder-1.5B: shown server.log and asked for warnings.txt ("pull the
WARN lines from server.log"), it wrote "WARN db timeout" for the log's "ERROR db timeout", and
the task completed with the file wrong; the verifier and the goal review both said YES. Every word
of that line is in the log, but no line of the log has "WARN" and "timeout" together. A line with
words of its own (a summary, a count with a label) says nothing here, nor does a line of one word
(a key, a name); only a line whose every word comes from the sources is held to one source line.
"""

from __future__ import annotations

from smallclaw_tui.runner.intent import paths_in
from smallclaw_tui.runner.peek import peek
from smallclaw_tui.runner.rules.base import Finding, StepFacts
from smallclaw_tui.runner.rules.goal_diff import tokens
from smallclaw_tui.runner.writes import norm_path

# A line needs this many words before it can be stitched: one word is a key or a name.
MIN_WORDS = 2


def stitched_lines(text: str, sources: list[str]) -> list[tuple[int, str]]:
    """(line number, line) of each line of `text` whose words all occur in `sources` and never all
    on one source line."""
    source_lines = [set(tokens(line)) for source in sources for line in source.splitlines()]
    vocabulary = set().union(*source_lines) if source_lines else set()
    out: list[tuple[int, str]] = []
    for n, line in enumerate(text.splitlines(), 1):
        words = set(tokens(line))
        if len(words) < MIN_WORDS or not words <= vocabulary:
            continue
        if not any(words <= held for held in source_lines):
            out.append((n, line))
    return out


class CopiedLinesWhole:
    name = "stitched"

    async def judge(self, facts: StepFacts) -> list[Finding]:
        made = [c for c in facts.changed() if c.before is None and c.after]
        if not made:
            return []
        written = {c.path for c in facts.changes}
        named = paths_in(facts.task.prompt) + paths_in(facts.step.description) + list(facts.step.files)
        sources: dict[str, str] = {}
        for path in dict.fromkeys(map(norm_path, named)):
            if path and path not in written and (text := await peek(facts.workspace, path)) is not None:
                sources[path] = text
        if not sources:
            return []
        out: list[Finding] = []
        for c in made:
            bad = stitched_lines(c.after or "", list(sources.values()))
            if bad:
                n, line = bad[0]
                out.append(
                    Finding(
                        False,
                        f"{c.path} line {n} ({line.strip()[:60]!r}) is in no line of "
                        f"{', '.join(sorted(sources))}; copy the lines you take as they are",
                    )
                )
        return out
