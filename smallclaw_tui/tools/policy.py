"""Which shell command lines may run without asking the user.

The allowlist names programs. A line is auto-allowed only when every simple command in it starts
with an allowlisted program and nothing in it can smuggle in another command or write a file:
no expansion (``$VAR``, ``$(…)``, backticks), no input redirection, no subshells, no background
jobs, no second line; and when its arguments keep to the workspace
(:mod:`smallclaw_tui.tools.shell_args`). Output may be redirected (``> f``, ``>> f``) at the end of
a simple command, or piped into ``tee f``, into a workspace file outside ``.localclaw/``:
``write_file`` may write there without asking too, and small models reach for
``wc -l data.csv > count.txt`` and ``sort names.txt | tee sorted.txt`` first.
Anything we cannot parse with confidence is not allowed; the caller then asks for approval.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from smallclaw_tui.tools.shell_args import arguments_are_safe, redirect_target_is_safe, tee_files

# Operators that only join simple commands; each side is checked on its own.
_SEPARATORS = frozenset({"|", "||", "&&", ";"})
_OPERATOR_CHARS = frozenset("();<>|&")
_REDIRECTS = frozenset({">", ">>"})


def is_allowed(
    command: str, allowlist: list[str], workspace: Path | None = None, *, allow_redirects: bool = True
) -> bool:
    """True when `command` may run without approval under `allowlist`, run in `workspace`.

    Pass the workspace whenever it is known: without it, paths are checked by name only and a
    symlink that leads out of the workspace is not caught. `allow_redirects=False` for commands
    that must only look (checks): a check that writes a file could do the step's work itself.
    """
    if not command.strip():
        return False
    # Substitution runs a command we never see as a word; `$VAR` prints what the environment holds
    # (secrets, whatever we strip from it); a newline starts a command shlex would read as an
    # argument. All are refused, even inside double quotes; only inside single quotes is `$`
    # plain text to every shell (`grep -q '^6$' count.txt`, a check users write).
    if _expands(command) or "\n" in command or "\r" in command:
        return False
    words = _split(command)
    if words is None:
        return False
    allowed = [entry.split() for entry in allowlist if entry.strip()]
    current: list[str] = []
    commands: list[list[str]] = []
    redirected = False  # the current simple command already sent its output to a file
    i = 0
    while i < len(words):
        word = words[i]
        if word in _REDIRECTS:
            target = words[i + 1] if i + 1 < len(words) else ""
            if not allow_redirects or redirected or not current:
                return False
            if not redirect_target_is_safe(target, workspace):
                return False
            redirected = True
            i += 2
            continue
        if word and set(word) <= _OPERATOR_CHARS:
            # >, >>, <, &, (, ), |&, ;; and the like; a pipe after a redirect means the redirect
            # was not last, which the shell allows but we do not try to follow.
            if word not in _SEPARATORS or (redirected and word == "|"):
                return False
            commands.append(current)
            current = []
            redirected = False
        elif redirected:
            return False  # words after the target: `wc a > out b` — keep the rule simple
        else:
            current.append(word)
        i += 1
    commands.append(current)
    if not allow_redirects and any(_tee_targets(cmd) for cmd in commands):
        return False
    return all(_starts_with_allowed(cmd, allowed) and arguments_are_safe(cmd, workspace) for cmd in commands)


def _tee_targets(words: list[str]) -> list[str]:
    return tee_files(words[1:]) if words[:1] == ["tee"] else []


def _expands(command: str) -> bool:
    """Is there a `$` or a backtick outside single quotes (where the shell would expand it)?"""
    if "\\" in command and ("$" in command or "`" in command):
        return True  # `\'` is a quote the shell does not open: no guessing about backslashes
    quote = ""
    for ch in command:
        if quote == "'":
            if ch == "'":
                quote = ""
            continue
        if ch == "'" and not quote:
            quote = "'"
        elif ch == '"':
            quote = "" if quote == '"' else '"'
        elif ch in "$`":
            return True
    return False


def _split(command: str) -> list[str] | None:
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    # shlex would treat `#` inside a word as a comment and silently drop the rest of the line,
    # which the shell does not: `echo a#b; rm x` must still show us the `rm`.
    lexer.commenters = ""
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:  # unbalanced quotes
        return None


def _starts_with_allowed(words: list[str], allowed: list[list[str]]) -> bool:
    # An empty simple command (`ls ;; ls`, `| ls`) is a syntax error or a trick: refuse it.
    # Entries may be several words ("git status"); the program must match exactly, so a path
    # such as `./ls` or `/tmp/ls` is never mistaken for the allowlisted `ls`.
    return bool(words) and any(entry == words[: len(entry)] for entry in allowed)


def redirect_targets(command: str) -> list[str]:
    """The files a command line sends output to (`> f`, `>> f`, `| tee f`), as written: the runner
    watches them like the files `write_file` touches. Empty when the line does not parse."""
    words = _split(command)
    if words is None:
        return []
    out: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in _REDIRECTS and i + 1 < len(words):
            out.append(words[i + 1])
            i += 2
            continue
        if word in _SEPARATORS:
            out += _tee_targets(current)
            current = []
        else:
            current.append(word)
        i += 1
    return out + _tee_targets(current)
