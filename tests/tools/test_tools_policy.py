"""The allowlist policy: what may run without asking, and what always needs the user."""

from __future__ import annotations

import pytest

from smallclaw_tui.config import ToolSettings
from smallclaw_tui.tools import is_allowed

ALLOW = ["ls", "cat", "echo", "grep", "wc", "git status", "python3"]


@pytest.mark.parametrize(
    "command",
    [
        "ls",
        "ls -la notes",
        "cat a.txt | grep foo | wc -l",
        "ls && echo done",
        "ls || echo failed",
        "ls; echo next",
        "echo 'a > b; rm -rf /'",  # operators inside quotes are text
        'echo "a | b"',
        "git status --short",
        "  ls  ",
        "echo $HOME",
    ],
)
def test_allowed(command: str) -> None:
    assert is_allowed(command, ALLOW)


@pytest.mark.parametrize(
    "command",
    [
        "",
        "   ",
        "rm -rf x",
        "ls; rm -rf x",
        "ls && rm x",
        "cat a | sh",
        "echo $(rm x)",
        'echo "$(rm x)"',  # substitution runs inside double quotes
        "echo `rm x`",
        "echo hi > a.txt",
        "echo hi >> a.txt",
        "ls 2>&1",
        "cat < a.txt",
        "ls &",
        "ls & rm x",
        "(rm x)",
        "ls\nrm x",
        "echo a#b; rm x",  # shell does not treat a#b as a comment
        "./ls",
        "/bin/ls",
        "FOO=1 ls",
        "git push",
        "echo 'unbalanced",
        "ls |",
        "| ls",
        "echo a |& cat",
    ],
)
def test_not_allowed(command: str) -> None:
    assert not is_allowed(command, ALLOW)


def test_default_allowlist_from_settings() -> None:
    allowlist = ToolSettings().shell_allowlist
    assert is_allowed("ls -la", allowlist)
    # Interpreters can do anything, so by default they wait for approval.
    assert not is_allowed("python3 -c 'import os'", allowlist)
    assert not is_allowed("rm -rf /", allowlist)
    assert not is_allowed("ls", [])
