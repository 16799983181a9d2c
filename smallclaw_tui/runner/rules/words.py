"""The rules that still read the step's words, each kept because a measured run needed it
(bench/real/TUNING.md). They are the exception: prefer a fact the runner can see.

- The add-only rule, for a step whose kind was not declared (typed by hand): "add", "append",
  "insert" keep every line the file held (TUNING step 3: the 1.5B "added" a CSV header by
  overwriting the rows). A step with a declared kind is held to its kind instead (:mod:`.kind`).
- A counting step writes numbers some tool found (TUNING step 7: the 1.5B wrote "1 2 3 4 5"
  without running anything).
- A step that writes nothing and quotes a text has a tool result that shows it.
"""

from __future__ import annotations

import re

from smallclaw_tui.models import JournalType
from smallclaw_tui.runner.checks import quoted_texts
from smallclaw_tui.runner.intent import Intent, intent
from smallclaw_tui.runner.rules.base import Finding, StepFacts
from smallclaw_tui.runner.writes import kept, writes

_COUNTING = re.compile(r"\b(?:count|counts|number of|how many|total|sum)\b", re.I)
_NUMBER = re.compile(r"(?<![\w.])\d+(?![\w.])")
# Results whose numbers prove nothing: a write's byte count is not a count of anything.
_WRITE_RESULTS = (
    "[write_file]",
    "[edit_file]",
    "[append_file]",
    "[replace_text]",
    "[insert_after]",
    "[copy_file]",
)


class AddOnlyUndeclared:
    name = "add-only"

    async def judge(self, facts: StepFacts) -> list[Finding]:
        if facts.step.kind is not None or intent(facts.step.description) is not Intent.ADD:
            return []
        out: list[Finding] = []
        for c in facts.changed():
            if c.before is None:
                continue
            now = c.after or ""
            if kept(c.before, now):
                out.append(Finding(True, f"{c.path} still holds all it held before this step"))
                continue
            lost = [ln for ln in c.before.splitlines() if ln.strip() and ln.strip() not in now]
            what = repr(lost[0].strip()) if lost else "the order of its lines"
            out.append(Finding(False, f"{c.path} lost {what}; this step should only add to it"))
        return out


class NumbersFromResults:
    name = "numbers"

    async def judge(self, facts: StepFacts) -> list[Finding]:
        if not _COUNTING.search(facts.step.description):
            return []
        task = facts.task
        seen = " ".join(
            e.content
            for e in task.journal
            if e.type == JournalType.TOOL_RESULT
            and e.detail.get("ok") is True
            and not e.content.startswith(_WRITE_RESULTS)
        )
        known = set(_NUMBER.findall(seen)) | set(_NUMBER.findall(task.prompt + " " + facts.step.description))
        # What a passed command check printed (`wc -w poem.txt` in an earlier step's checks).
        for e in task.journal:
            output, command = e.detail.get("output"), e.detail.get("command")
            if e.type == JournalType.VERIFY and e.detail.get("passed") is True and isinstance(output, str):
                known |= set(_NUMBER.findall(output)) - set(_NUMBER.findall(str(command or "")))
        # What a program wrote through a redirect, in any try (`wc -l a > b` then a retry that
        # writes the count alone): its numbers, less those typed into the command.
        for e in task.journal:
            typed = e.detail.get("command") if e.type == JournalType.TOOL_RESULT else None
            if isinstance(typed, str) and e.detail.get("ok") is True:
                for _path, text in writes(e):
                    known |= set(_NUMBER.findall(text)) - set(_NUMBER.findall(typed))
        out: list[Finding] = []
        for e in facts.this_try:
            if e.type != JournalType.TOOL_RESULT:
                continue
            typed = e.detail.get("command")  # run_shell: only numbers typed into the command
            for path, text in writes(e):
                invented = [n for n in _NUMBER.findall(text) if n not in known]
                if isinstance(typed, str):
                    # `wc -l a > b` wrote what wc counted; `echo 68 > b` wrote what the model typed.
                    invented = [n for n in invented if n in _NUMBER.findall(typed)]
                if invented:
                    why = f"the number {invented[0]} in {path} comes from no tool result"
                    out.append(Finding(False, why + "; run a tool that counts"))
        return out


class QuotedTextShown:
    name = "quoted"

    async def judge(self, facts: StepFacts) -> list[Finding]:
        written = {p for e in facts.entries if e.type == JournalType.TOOL_RESULT for p, _t in writes(e)}
        if written:
            return []
        # A search that found nothing echoes the pattern ("no matches for 'TODO'"): no proof.
        shown = " ".join(
            e.content.casefold()
            for e in facts.entries
            if e.type == JournalType.TOOL_RESULT
            and e.detail.get("ok") is True
            and not e.content.startswith("[search_files] no matches for")
        )
        out: list[Finding] = []
        for text in quoted_texts(facts.step.description):
            found = text.casefold() in shown
            out.append(Finding(found, f"{'a' if found else 'no'} tool result of this step shows {text!r}"))
        return out
