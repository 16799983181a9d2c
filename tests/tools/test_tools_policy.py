"""The allowlist policy: what may run without asking, and what always needs the user."""

from __future__ import annotations

from pathlib import Path

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
        # Output into a workspace file: no more than write_file may do without asking.
        "echo hi > a.txt",
        "echo hi >> a.txt",
        "wc -l data.csv > count.txt && cat count.txt",
        # Inside single quotes `$` is plain text to every shell.
        "grep -q '^6$' count.txt",
        "grep -c '^$' notes.txt",
        "echo '$HOME'",
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
        # Any expansion can print the environment, secrets included: it goes to the user.
        "echo $HOME",
        "echo ${SMALLCLAW_TELEGRAM__TOKEN}",
        'echo "$HOME"',  # double quotes expand
        "echo 'a'$HOME",  # outside the quotes
        "echo \\$HOME",  # an escaped $ is still refused: no guessing about backslashes
        "echo \\'$HOME\\'",  # an escaped quote opens nothing: $HOME expands
        "echo 'it''s' $(id)",
        "cat $F",
        "ls 2>&1",
        "echo hi > a.txt > b.txt",
        "echo hi > a.txt | cat",  # a redirect must end its simple command
        "echo hi > a.txt b.txt",
        "echo hi >",
        "echo hi > *.txt",
        "echo hi > -rf",
        "> a.txt",
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


# --- arguments: allowlisted programs stay inside the workspace -----------------------------------


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace with ordinary files, the app's data, and links that lead out of it."""
    root = tmp_path / "ws"
    (root / "notes").mkdir(parents=True)
    (root / "sub").mkdir()
    (root / "notes" / "a.txt").write_text("b\na\na\n")
    (root / ".localclaw").mkdir()
    (root / ".localclaw" / "config.toml").write_text('[telegram]\ntoken = "123:abc"\n')
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    (root / "secret_link").symlink_to(outside / "secret.txt")
    (root / "out_dir").symlink_to(outside, target_is_directory=True)
    (root / "dangling_out").symlink_to(outside / "not_yet.txt")
    (root / "self").symlink_to(root, target_is_directory=True)
    return root


DEFAULTS = ToolSettings().shell_allowlist


@pytest.mark.parametrize(
    "command",
    [
        "ls",
        "ls -la",
        "ls -la notes",
        "cat notes/a.txt",
        "cat ./notes/a.txt",
        "cat notes/*.txt",
        "head -n 5 notes/a.txt",
        "tail -n1 notes/a.txt",
        "wc -l notes/a.txt",
        "grep -c ERROR notes/a.txt",
        "grep -q 'port = 8080' config.ini",
        "grep -rn TODO notes",
        "grep -rn TODO notes sub",
        "grep -rn -e token notes",  # the pattern comes from -e, so `notes` is the folder searched
        "grep -ri --include=*.txt todo notes",
        "sort notes/a.txt",
        "sort -u -k2 -t, notes/a.txt",
        "sort notes/a.txt | uniq -c",
        "sort notes/a.txt | diff - notes/a.txt",
        "uniq notes/a.txt",
        "uniq -f 1 notes/a.txt",
        "diff notes/a.txt sub/a.txt",
        "diff -r notes sub",
        "date",
        "date +%Y-%m-%d",
        "date -u +%H:%M",
        "date -d yesterday +%F",
        "echo hello-bench",
        "echo https://example.com/a/b",
        "test -f notes/a.txt",
        "pwd",
    ],
)
def test_allowed_arguments(ws: Path, command: str) -> None:
    assert is_allowed(command, DEFAULTS, workspace=ws), command


@pytest.mark.parametrize(
    "command",
    [
        # Out of the workspace by name.
        "cat /etc/passwd",
        # Output redirected out of the workspace, into the app's data, or through a link out.
        "echo hi > /tmp/x",
        "echo hi > ../x",
        "echo hi > .localclaw/config.toml",
        "echo hi > secret_link",
        "echo hi > out_dir/x",
        "echo hi > dangling_out",
        "echo hi > ~/x",
        "echo hi > .",
        "cat ../../x",
        "cat notes/../../x",
        "cat notes/../notes/a.txt",  # stays inside, but `..` is refused outright: one rule, no guessing
        "ls ..",
        "ls ~",
        "ls ~/x",
        "cat ~root/.bashrc",
        "head -n1 -- /etc/passwd",
        "grep -f/etc/passwd notes/a.txt",
        "grep --file=/etc/passwd notes/a.txt",
        "grep --file=../x notes/a.txt",
        "grep -e x -f ~/list notes/a.txt",
        "echo /etc/passwd",
        # Out of the workspace through a link or a glob.
        "cat secret_link",
        "cat out_dir/secret.txt",
        "ls out_dir",
        "cat dangling_out",
        "cat se*",
        "cat out_*/secret.txt",
        "cat .*/x",  # dash matches `.*` against `..`
        "cat {.,x}./x",  # bash (as /bin/sh) expands braces
        # Into the app's own data.
        "cat .localclaw/config.toml",
        "cat .LocalClaw/config.toml",
        "ls .localclaw",
        "cat .l*/config.toml",
        "cat .localclaw/*",
        "cat self/.localclaw/config.toml",
        "grep -rn token .",
        "grep -rn token self",
        "grep -r token",  # no folder: grep searches `.`
        "grep -r -e token",  # the same, no folder
        "grep -rA 3 token",  # `3` is -A's value, not a folder
        "grep -R token notes",  # follows links out of the tree
        "grep --recursive token .",
        "grep --recur token .",
        "grep -d recurse token .",
        "diff -r . sub",
        "diff --recursive sub .",
        # Writing files, running helpers, reading file names from a file, setting the clock.
        "sort -o out.txt notes/a.txt",
        "sort -oout.txt notes/a.txt",
        "sort -uo out.txt notes/a.txt",
        "sort notes/a.txt -o out.txt",
        "sort --output=out.txt notes/a.txt",
        "sort --out out.txt notes/a.txt",
        "sort --compress-program=sh -S 1K notes/a.txt",
        "sort -T tmp notes/a.txt",
        "sort --files0-from=list",
        "sort --no-such-option notes/a.txt",
        "uniq notes/a.txt out.txt",
        "uniq -c notes/a.txt out.txt",
        "uniq notes/a.txt -c",  # with POSIXLY_CORRECT, `-c` is the output file
        "wc --files0-from=list",
        "wc --files0 list",
        "date -s 2020-01-01",
        "date -us 2020-01-01",
        "date --set=2020-01-01",
        "date --set 2020-01-01",
        "date --se 2020-01-01",
        "date 010100002020",
        "date +%F 0101",
        # Odd input is an answer, not an exception (the runner's checks call this directly).
        "cat 'a\x00b'",
        "cat -" + "n" * 100 + "/etc/passwd",
    ],
)
def test_not_allowed_arguments(ws: Path, command: str) -> None:
    assert not is_allowed(command, DEFAULTS, workspace=ws), command


def test_without_a_workspace_names_are_still_checked() -> None:
    # Callers that cannot name the workspace still get every check that needs no file system.
    assert is_allowed("cat notes/a.txt", DEFAULTS)
    for command in ("cat /etc/passwd", "cat ../x", "ls ~", "cat .localclaw/config.toml", "sort -o x y"):
        assert not is_allowed(command, DEFAULTS), command


def test_redirect_targets_are_the_files_a_line_writes() -> None:
    from smallclaw_tui.tools.policy import redirect_targets

    assert redirect_targets("wc -l data.csv > count.txt && cat count.txt") == ["count.txt"]
    assert redirect_targets("echo a >> log.txt; echo b > 'my file.txt'") == ["log.txt", "my file.txt"]
    assert redirect_targets("echo 'a > b'") == []
    assert redirect_targets("echo 'unbalanced") == []


# --- what the checker found: globs the shell reads differently from us ---------------------------------
# (The sandbox is the boundary, tests/tools/test_sandbox.py; these keep such lines from running unasked.)


def test_a_glob_that_matches_a_name_like_an_option_is_not_allowed(ws: Path) -> None:
    for name in ("-r", "--files0-from=list", "--compress-program=sh"):
        (ws / name).write_text("x")
    attacks = ("grep token ?r", "sort ?-files0-from=list", "sort -S 16K ?-compress-program=sh a", "ls *")
    for command in attacks:
        assert not is_allowed(command, DEFAULTS, workspace=ws), command
    # A glob with a folder first cannot start with `-`.
    assert is_allowed("cat notes/*.txt", DEFAULTS, workspace=ws)


@pytest.mark.parametrize(
    "command",
    [
        "cat [[:alpha:]]ut_dir/secret.txt",
        "cat [^x]ut_dir/secret.txt",
        "cat [[=o=]]ut_dir/*",
        "cat [!x]ut_dir/s*",
    ],
)
def test_bracket_expressions_are_globs_the_way_the_shell_reads_them(ws: Path, command: str) -> None:
    assert not is_allowed(command, DEFAULTS, workspace=ws), command


def test_bracket_patterns_that_reach_nothing_outside_stay_allowed(ws: Path) -> None:
    for command in ("grep -c '[0-9]' notes/a.txt", "grep '[[:digit:]]x' notes/a.txt", "cat note[s]/a.txt"):
        assert is_allowed(command, DEFAULTS, workspace=ws), command


def test_recursive_diff_of_a_tree_with_a_link_out_is_not_allowed(ws: Path, tmp_path: Path) -> None:
    (ws / "sub" / "s").symlink_to(tmp_path / "outside" / "secret.txt")
    assert not is_allowed("diff -r notes sub", DEFAULTS, workspace=ws)
    assert is_allowed("diff notes/a.txt sub/a.txt", DEFAULTS, workspace=ws)  # not recursive: names only
    (ws / "sub" / "s").unlink()
    (ws / "sub" / "inner").symlink_to(ws / "notes", target_is_directory=True)
    assert is_allowed("diff -r notes sub", DEFAULTS, workspace=ws)  # a link that stays inside is fine


def test_a_redirect_into_a_git_folder_at_any_depth_asks_first(tmp_path: Path) -> None:
    (tmp_path / "sub/.git").mkdir(parents=True)
    allow = ["echo"]
    for target in (".git/config", "sub/.git/config", "sub/.GIT/hooks/pre-commit"):
        assert not is_allowed(f"echo x > {target}", allow, workspace=tmp_path), target
    assert is_allowed("echo x > notes.txt", allow, workspace=tmp_path)


# --- tee and awk: what a small model pipes into (the 1.5B: `sort names.txt | tee sorted.txt`,
# `wc -l data.csv | awk '{print $1}' > count.txt`) -------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "sort names.txt | tee sorted.txt",
        "sort names.txt | tee -a sorted.txt out/copy.txt",
        "wc -l data.csv | awk '{print $1}' > count.txt",
        "awk '/WARN/' server.log",
        "awk -F, '{print $2}' people.csv",
        "awk -F , -v OFS=';' '{print $1, $2}' people.csv",
        "awk 'END {print NR}' data.csv",
    ],
)
def test_tee_into_the_workspace_and_awk_as_a_filter_run_unasked(ws: Path, command: str) -> None:
    for name in ("names.txt", "data.csv", "server.log", "people.csv", "sales.csv"):
        (ws / name).write_text("x\n")
    assert is_allowed(command, DEFAULTS, ws), command


@pytest.mark.parametrize(
    "command",
    [
        # tee writes only where write_file may.
        "echo x | tee /etc/passwd",
        "echo x | tee ../out.txt",
        "echo x | tee .localclaw/config.toml",
        "echo x | tee .git/hooks/pre-commit",
        "echo x | tee --bogus out.txt",
        # awk only filters: no commands, no writes, no reading past its operands.
        "awk 'BEGIN {system(\"rm -rf .\")}'",
        "awk '{print > \"out.txt\"}' a.txt",
        "awk '{print | \"sh\"}' a.txt",
        "awk 'BEGIN {while ((\"ls\" | getline l) > 0) print l}'",
        "awk 'BEGIN {getline l < \"/etc/passwd\"; print l}'",
        "awk 'BEGIN {ARGV[1] = \"/etc/passwd\"; ARGC = 2} {print}'",
        "awk 'BEGIN {print ENVIRON[\"HOME\"]}'",
        "awk '@load \"filefuncs\"; BEGIN {}'",
        "awk -f prog.awk a.txt",
        "awk -l filefuncs 'BEGIN {}'",
        "awk --exec prog.awk",
        "awk '{print}' /etc/passwd",
        "awk '{print}' ../secret.txt",
        "awk '{print}' .localclaw/config.toml",
        # A comparison reads like a redirect to this rule: asked, not run.
        "awk -F, 'NR > 1 {n++} END {print n}' sales.csv",
        # Brace expansion, where /bin/sh is bash, would make paths out of the program.
        "awk {1,/etc/passwd}",
        "awk",
    ],
)
def test_tee_and_awk_that_could_reach_further_ask_first(ws: Path, command: str) -> None:
    (ws / "a.txt").write_text("x\n")
    assert not is_allowed(command, DEFAULTS, ws), command


def test_a_check_may_not_tee_and_tee_targets_are_writes() -> None:
    from smallclaw_tui.tools.policy import redirect_targets

    assert not is_allowed("sort a.txt | tee b.txt", DEFAULTS, allow_redirects=False)
    assert is_allowed("sort a.txt | tee", DEFAULTS, allow_redirects=False)
    assert redirect_targets("sort names.txt | tee -a sorted.txt b.txt && cat b.txt") == [
        "sorted.txt",
        "b.txt",
    ]
    assert redirect_targets("cat tee") == []
