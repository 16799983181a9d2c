"""A file holds what the step meant, not the tools' own framing around it.

Suite index-src on Qwen2.5-Coder-1.5B: asked to write the file names of src/ into src/index.txt,
it wrote list_dir's result as it read it ("src/: 0 folders, 2 files", "a.py (11 bytes)"), and the
task completed with the file wrong. The listing's header and its "(N bytes)" entries are words the
tool made up, as are a result's "[tool]" prefix and the chat template's `<tool_response>` markup
(§16: the 1.5B wrote that tag as a file's whole text). None of it is anyone's content, so a line of
it that the file did not hold before fails the try. (list_dir now gives names alone; its old
"(N bytes)" entries stay recognised in journals written before that.)
"""

from __future__ import annotations

import re

from smallclaw_tui.models import JournalType
from smallclaw_tui.runner.rules.base import Finding, StepFacts

# list_dir's header, as it is ("Contents of src/:") and as it was ("src/: 0 folders, 2 files").
_LISTING_HEADER = re.compile(r"^Contents of .*:$|^.*: \d+ folders, \d+ files$")
_LISTED_FILE = re.compile(r"^\S.* \(\d+ bytes\)$")
_MARKUP = re.compile(r"</?tool_(?:call|response)>")


class ToolFramingNotContent:
    name = "framing"

    async def judge(self, facts: StepFacts) -> list[Finding]:
        framing = _framing_lines(facts)
        tools = {str(e.detail.get("name")) for e in facts.task.journal if e.type == JournalType.TOOL_CALL}
        out: list[Finding] = []
        for c in facts.changed():
            before = {ln.strip() for ln in (c.before or "").splitlines()}
            for line in (c.after or "").splitlines():
                text = line.strip()
                if not text or text in before:
                    continue
                if text in framing or _MARKUP.search(text) or _result_prefix(text, tools):
                    out.append(
                        Finding(
                            False,
                            f"{c.path} holds a tool's own output ({text[:60]!r}), not content; "
                            "write only what the step asks for",
                        )
                    )
                    break
        return out


def _framing_lines(facts: StepFacts) -> set[str]:
    """The lines list_dir made up in this task's results: its header and its file entries."""
    lines: set[str] = set()
    for e in facts.task.journal:
        if e.type != JournalType.TOOL_RESULT or not e.content.startswith("[list_dir] "):
            continue
        for line in e.content.removeprefix("[list_dir] ").splitlines():
            text = line.strip()
            if _LISTING_HEADER.match(text) or _LISTED_FILE.match(text):
                lines.add(text)
    return lines


def _result_prefix(text: str, tools: set[str]) -> bool:
    m = re.match(r"^\[([a-z_]+)\]", text)
    return m is not None and m.group(1) in tools
