"""Deterministic "done when" checks: the ground truth a step must pass before the model is asked."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from smallclaw_tui.models import Check, CommandSucceedsCheck, FileContainsCheck, FileExistsCheck
from smallclaw_tui.runner import safe_regex
from smallclaw_tui.runner.intent import names_path
from smallclaw_tui.tools.base import ToolContext
from smallclaw_tui.tools.policy import is_allowed
from smallclaw_tui.tools.sandbox import sandbox_status
from smallclaw_tui.tools.shell import run_command
from smallclaw_tui.tools.workspace import WorkspaceEscape, resolve_in_workspace


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    check: Check
    passed: bool
    detail: str
    # A command check whose command the policy would not run without approval.
    needs_approval: str | None = None
    # What a command check's command printed (the end of it, on one line): a fact later steps see.
    output: str = ""

    def printed(self) -> dict[str, str]:
        """For the journal: a command check's command and what it printed, when it printed."""
        if isinstance(self.check, CommandSucceedsCheck) and self.output:
            return {"command": self.check.command, "output": self.output}
        return {}


async def run_check(check: Check, ctx: ToolContext) -> CheckOutcome:
    if isinstance(check, CommandSucceedsCheck):
        cmd = check.command
        # A check only looks: one that writes (`> file`) could do the step's work itself.
        allowed = is_allowed(
            cmd, ctx.settings.shell_allowlist, workspace=ctx.workspace, allow_redirects=False
        )
        # The same rule as run_shell: the policy lets a command through only into a working sandbox.
        sandbox = await sandbox_status(ctx.settings)
        if not ((allowed and sandbox.ok) or cmd in ctx.approved_commands):
            return CheckOutcome(check, False, f"check command needs approval: {cmd}", needs_approval=cmd)
        code, output = await run_command(
            cmd, ctx.workspace, timeout_s=ctx.settings.shell_timeout_s, max_chars=600, sandbox=sandbox.sandbox
        )
        if code is None:
            return CheckOutcome(check, False, f"`{cmd}` timed out")
        tail = " ".join(output.split())[-200:]
        detail = f"`{cmd}` exited {code}" + (f": {tail}" if tail else "")
        return CheckOutcome(check, code == 0, detail, output=tail)
    try:
        path = resolve_in_workspace(ctx.workspace, check.path)
    except WorkspaceEscape as e:
        return CheckOutcome(check, False, str(e))
    if isinstance(check, FileExistsCheck):
        ok = path.exists()
        return CheckOutcome(check, ok, f"{check.path} {'exists' if ok else 'does not exist'}")
    assert isinstance(check, FileContainsCheck)
    if not path.is_file():
        return CheckOutcome(check, False, f"{check.path} does not exist")
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8", errors="replace")
    except OSError as e:
        return CheckOutcome(check, False, f"cannot read {check.path}: {e.strerror}")
    if check.regex:
        found = await safe_regex.search(check.text, text)  # a model's pattern may backtrack forever
        if found.error is not None:
            return CheckOutcome(check, False, found.error)
        ok = found.matched
    else:
        ok = check.text in text
    what, wanted = check.wording()
    if ok:
        return CheckOutcome(check, True, f"{check.path} {what}")
    # A short file is quoted: the retry sees what is there ("6 data.csv" where "6" was wanted).
    held = f" (it holds {text!r})" if len(text) <= SHOWN_WHEN_FAILED else ""
    return CheckOutcome(check, False, f"{check.path} {wanted}{held}")


# A file at most this long is quoted in a failed content check.
SHOWN_WHEN_FAILED = 80


async def run_checks(checks: list[Check], ctx: ToolContext) -> list[CheckOutcome]:
    return [await run_check(c, ctx) for c in checks]


# A step that says it creates or writes a file names what it must leave behind. Only paths that
# look like files (a dot-extension or a slash) right after such a verb are taken, so "read a.txt"
# or "write a summary" imply nothing.
_PRODUCES = re.compile(
    r"\b(?:create|write|save|generate|produce|record|store|put|list)s?\b[^.;:\n]{0,80}?"
    r"(?:\b(?:to|into|in|as|file|called|named)\s+)?`?"
    # A whole path-shaped word, not the tail of one ("lists/groceries.txt" is not "groceries.txt")
    # and not an address or a version ("10.0.0.12", "v1.2"): a file extension starts with a letter.
    r"(?<![\w./-])([\w][\w./-]*\.[A-Za-z][A-Za-z0-9]{0,7}|[\w.-]+/[\w./-]+)(?![\w/-])`?",
    re.I,
)


def implied_checks(description: str) -> list[FileExistsCheck]:
    """`file_exists` checks for the files a step's (or a goal's) words say it produces."""
    seen: list[str] = []
    for m in _PRODUCES.finditer(description):
        path = m.group(1).rstrip(".,)")
        if path and not path.startswith(("http", "/")) and ".." not in path and path not in seen:
            seen.append(path)
    return [FileExistsCheck(path=p) for p in seen]


# Quoted text in a step ('…', "…", `…`), not an apostrophe inside a word.
_QUOTED = re.compile(r"""(?<![\w'"`])(['"`])([^\n]{1,200}?)\1(?![\w])""")
_PATHLIKE = re.compile(r"^[\w./-]+\.[A-Za-z][A-Za-z0-9]{0,7}$|^[\w.-]+/[\w./-]*$")


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_PLACEHOLDER = re.compile(r"<[^<>]*>|\.\.\.|…|(?<![\w'])[B-HJ-Z](?![\w'])")
# Words just before a quote (or just after it) that say it is text to be in a file or a result.
_CUE_BEFORE = _wordset(
    "line lines text item items heading title word words entry value header says saying reads read "
    "containing contains contain write writes put add append insert prepend to after before under "
    "below above into set"
)
_CUE_AFTER = _wordset("heading line title item entry header text label row value")
# ... and words that say it is something else: a command, a topic, a name, a column.
_NOT_CONTENT_BEFORE = _wordset(
    "use using run runs running execute command output result about translate called named like"
)
_NOT_CONTENT_AFTER = _wordset("command program tool function directory folder column file")
_TOOL_BEFORE = _wordset("with using via by")
_PROGRAMS = _wordset(
    "wc echo ls cat grep sort head tail find date python python3 sh bash git make diff uniq sed awk "
    "test pwd touch mkdir rm cp mv chmod curl npm pip"
)


def _words(text: str) -> list[str]:
    return [w.strip(".,;:!?()[]{}\"'`").casefold() for w in text.split()]


def _is_content(description: str, m: re.Match[str]) -> bool:
    mark, text = m.group(1), m.group(2)
    if mark == "`" or mark in text or not text.strip():
        return False  # backticks quote code, not text; a quote inside means a mismatched pair
    if _PATHLIKE.match(text) or _PLACEHOLDER.search(text):
        return False
    before = _words(description[: m.start()])[-4:]
    after = _words(description[m.end() :])[:1]
    if _NOT_CONTENT_BEFORE & set(before) or _NOT_CONTENT_AFTER & set(after):
        return False
    first = _words(text)[:1]
    if before[-1:] and before[-1] in _TOOL_BEFORE and first and first[0] in _PROGRAMS:
        return False  # "count them with 'wc -l'"
    return bool(_CUE_BEFORE & set(before) or _CUE_AFTER & set(after))


def quoted_texts(description: str) -> list[str]:
    """The literal texts a step quotes as content — "with the line 'x'", "add 'x'", "the word
    'TODO'" — and not commands ("run 'echo hi'", "with 'wc -l'"), paths, placeholders
    ('Total: N'), topics ("a haiku about 'autumn'") or names ("the 'docs' folder"). A text that
    is not read as content implies nothing: a missed check costs less than a needless one."""
    out: list[str] = []
    for m in _QUOTED.finditer(description):
        if _is_content(description, m) and m.group(2) not in out:
            out.append(m.group(2))
    return out


def implied_text_checks(description: str, written: set[str], *, last_only: bool) -> list[FileContainsCheck]:
    """`file_contains` checks for the texts a step quotes, in the one file it named and wrote.

    "Add the item '- call bob' after '- buy milk' in notes/todo.md" leaves both items in
    notes/todo.md; a step that changes text ("change 'draft' to 'final'") leaves only the last.
    A step that wrote several of the files it names is ambiguous and implies nothing.
    """
    targets = [p for p in sorted(written) if names_path(description, p)]
    texts = quoted_texts(description)
    if len(targets) != 1 or not texts:
        return []
    return [FileContainsCheck(path=targets[0], text=t) for t in (texts[-1:] if last_only else texts)]
