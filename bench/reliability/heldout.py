"""The held-out task set: 20 goal-only tasks in everyday wording, each judged from the files alone.

Written before any tuning on them (issue 12, item 8), so that a change tuned on the suite
(:mod:`bench.reliability.suite`) can be checked on tasks it was not fitted to. Rules it was
written by:

* **Goal only.** Every task is a single line a user types; the runner's planner plans it. The
  ``steps`` below are a scripted plan for the *simulated* models of ``python -m bench.reliability
  --heldout`` only (their planner answers it for the goal); a real model never sees them.
* **Worded unlike the suite.** Lowercase, terse, the way people type: varied verbs ("stick", "tack",
  "bump", "tick off", "pull", "alphabetize"), some naming no file extension ("pyproject", "the
  changelog"), some naming a folder, some a question ("how many …?"). No goal starts with a word a
  suite goal starts with (a test checks it).
* **Judged strictly, over the whole file where it matters.** A structured file must parse and equal
  the expected data with every other key unchanged (``"false"`` is not ``false``); an edited text
  file must be exactly the old file with the one change; a changelog must keep its old sections
  and have the new one on top. Every seeded file a task has no reason to touch must be unchanged
  (added automatically). The lazy-wrong outcomes seen from real models — ``config.json`` replaced by
  the text ``debug: false``, ``CHANGELOG.md`` wiped — fail, and ``tests/bench/test_heldout.py``
  proves it for every task with :data:`RIGHT` (a correct end state each judge must accept) and
  :data:`WRONG` (lazy-wrong end states each judge must reject).
* **Small.** One or two tool calls for a model that reads the goal right; two tasks are impossible
  (a missing input file; a download from a host that does not resolve) and must end in
  ``needs_assistance``.

Run by a real model: ``python -m bench.real --model … --tasks heldout`` (or ``heldout:ID,ID``).
"""

from __future__ import annotations

import ast
import configparser
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from bench.reliability.spec import (
    Absent,
    BenchTask,
    Call,
    Expect,
    FileIs,
    Holds,
    Memory,
    Step,
    edit,
    exists,
    has,
    list_dir,
    read,
    shell,
    succeeds,
    write,
    write_derived,
)

Test = Callable[[str], str | None]

# --- judges over a file's whole text --------------------------------------------------------------


def _canon(value: Any) -> str:
    """Type-strict, order-free equality: `true` is not `1` or `"true"`, 8080 is not 8080.0."""
    return json.dumps(value, sort_keys=True)


def _diff_keys(got: Mapping[str, Any], want: Mapping[str, Any]) -> str:
    parts = []
    for k in sorted(set(got) | set(want)):
        if k not in got:
            parts.append(f"{k} missing")
        elif k not in want:
            parts.append(f"unexpected {k}")
        elif _canon(got[k]) != _canon(want[k]):
            parts.append(f"{k} is {_canon(got[k])}, want {_canon(want[k])}")
    return "; ".join(parts)


def json_equals(want: Mapping[str, Any]) -> Test:
    def test(text: str) -> str | None:
        try:
            got = json.loads(text)
        except ValueError as e:
            return f"is not JSON ({e}): {text[:80]!r}"
        if not isinstance(got, dict):
            return f"is JSON but not an object: {text[:80]!r}"
        return None if _canon(got) == _canon(want) else _diff_keys(got, want)

    return test


def toml_equals(want: Mapping[str, Any]) -> Test:
    def test(text: str) -> str | None:
        try:
            got = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            return f"is not TOML ({e})"
        return None if _canon(got) == _canon(want) else _diff_keys(got, want)

    return test


def ini_equals(want: Mapping[str, Mapping[str, str]]) -> Test:
    def test(text: str) -> str | None:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error as e:
            return f"is not an INI file ({type(e).__name__}: {' '.join(str(e).split())[:120]})"
        got = {s: dict(parser[s]) for s in parser.sections()}
        if parser.defaults():
            got["DEFAULT"] = dict(parser.defaults())
        return None if _canon(got) == _canon(want) else _diff_keys(got, want)

    return test


def _unquote(value: str) -> str:
    v = value.strip()
    return v[1:-1] if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'" else v


def _pairs(text: str, sep: str, what: str) -> dict[str, str] | str:
    """`key<sep>value` lines (blank lines and # comments skipped); a string says what is wrong."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():
            return f"line {line!r} is indented (nested), want a top-level {what} line"
        key, found, value = line.partition(sep)
        if not found or not re.fullmatch(r"[A-Za-z_][\w.-]*", key.strip()):
            return f"line {line!r} is not a {what} line"
        if key.strip() in out:
            return f"{key.strip()} is set twice"
        out[key.strip()] = _unquote(value)
    return out


def flat_yaml_equals(want: Mapping[str, str]) -> Test:
    """A flat YAML mapping (`key: value` lines; values compared as text, quotes dropped)."""

    def test(text: str) -> str | None:
        got = _pairs(text, ":", "`key: value`")
        if isinstance(got, str):
            return got
        return None if got == dict(want) else _diff_keys(got, want)

    return test


def env_equals(want: Mapping[str, str]) -> Test:
    def test(text: str) -> str | None:
        got = _pairs(text, "=", "KEY=value")
        if isinstance(got, str):
            return got
        return None if got == dict(want) else _diff_keys(got, want)

    return test


def python_same(want_source: str, gone: str) -> Test:
    """Parses, and is the expected program (same syntax tree); `gone` is nowhere in the text."""

    want = ast.dump(ast.parse(want_source))

    def test(text: str) -> str | None:
        try:
            tree = ast.parse(text)
        except SyntaxError as e:
            return f"does not parse as Python ({e.msg}, line {e.lineno})"
        if gone in text:
            return f"still mentions {gone!r}"
        return None if ast.dump(tree) == want else "parses, but is not the old program with the rename"

    return test


def number(n: int) -> Test:
    """The number alone (surrounding whitespace allowed): not `8 sales.csv`, not `3 files`."""

    def test(text: str) -> str | None:
        return None if text.strip() == str(n) else f"is {text[:60]!r}, want the number {n} alone"

    return test


def lines(want: list[str], *, ordered: bool) -> Test:
    """Exactly these non-blank lines (whitespace at either end ignored)."""

    def test(text: str) -> str | None:
        got = [ln.strip() for ln in text.splitlines() if ln.strip()]
        same = got == want if ordered else sorted(got) == sorted(want)
        return None if same else f"has the lines {got!r}, want {want!r}{'' if ordered else ' in any order'}"

    return test


def changelog_with(old: str, version: str, entry: str) -> Test:
    """What `old` had above its first section (the title) first; then a `## <version>` section
    (`[1.3.0]`, `v1.3.0`, `1.3.0 - date` are fine) whose one entry is `entry`; then every old
    section, in order, each as it was (blank lines aside)."""

    def sections(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
        head: list[str] = []
        out: list[tuple[str, list[str]]] = []
        for line in text.splitlines():
            if not line.strip():
                continue
            if line.startswith("## "):
                out.append((line.strip(), []))
            elif out:
                out[-1][1].append(line.rstrip())
            else:
                head.append(line.rstrip())
        return head, out

    old_head, old_sections = sections(old)
    new_heading = re.compile(rf"^## \[?v?{re.escape(version)}\]?(\s+[-–(].*)?$")
    bullet = re.compile(r"^\s*[-*]\s+")

    def test(text: str) -> str | None:
        head, got = sections(text)
        if head != old_head:
            return f"starts with {head!r}, want {old_head!r} above the sections"
        if not got or not new_heading.match(got[0][0]):
            first = got[0][0] if got else "no section at all"
            return f"the first section is {first!r}, want the new '## {version}' on top"
        body = [bullet.sub("", ln).strip().rstrip(".").lower() for ln in got[0][1]]
        if body != [entry.lower()]:
            return f"the {version} section holds {got[0][1]!r}, want the one entry {entry!r}"
        if got[1:] != old_sections:
            heads = [h for h, _ in got[1:]]
            return f"the old sections are now {heads!r} (or their lines changed), want them as they were"
        return None

    return test


# --- building a task ---------------------------------------------------------------------------------


def _task(
    id: str,
    goal: str,
    files: Mapping[str, str],
    plan: tuple[Step, ...],
    expect: tuple[Expect, ...],
) -> BenchTask:
    """A goal-only task. Every seeded file that no expectation names must end as it was seeded."""
    named = {e.path for e in expect if hasattr(e, "path")}
    kept = tuple(FileIs(p, text) for p, text in files.items() if p not in named)
    return BenchTask(id, goal, plan, "planner", expect + kept, dict(files))


def _shell_out(must: str) -> Callable[[Memory], str | None]:
    """The exact output of this turn's newest successful command that printed `must`."""

    def content(memory: Memory) -> str | None:
        for r in reversed(memory):
            if r.startswith("exit 0\n") and must in r:
                return r.removeprefix("exit 0\n")
        return None

    return content


def _edit_at(path: str, line: int, old: str, new: str) -> Call:
    """An edit told apart from the other edits of the same file by the line the tool reports."""
    call = edit(path, old, new)
    return Call(call.tool, call.args, (f"edited {path} at line {line}:",), call.readback, call.also_done)


# --- the seeds ------------------------------------------------------------------------------------------

NOTES = (
    "# meeting notes\n"
    "\n"
    "- we recieve the invoices on monday\n"
    "- nobody could recieve the test email\n"
    "- ask ops why we recieve duplicates\n"
    "- receipts go to finance\n"
)
CONFIG = {
    "app": "shop",
    "debug": True,
    "port": 8080,
    "db": {"host": "localhost", "pool": 5},
    "features": ["search", "export"],
}
PYPROJECT = (
    "[project]\n"
    'name = "tally"\n'
    'version = "0.3.9"\n'
    'requires-python = ">=3.11"\n'
    'dependencies = ["httpx>=0.27"]\n'
    "\n"
    "[tool.ruff]\n"
    'target-version = "py311"\n'
    "line-length = 100\n"
)
CHANGELOG = "# Changelog\n\n## 1.2.0\n- faster startup\n- fixed login on safari\n\n## 1.1.0\n- dark mode\n"
CHANGELOG_RIGHT = (
    "# Changelog\n\n## 1.3.0\n- added csv export\n\n"
    "## 1.2.0\n- faster startup\n- fixed login on safari\n\n## 1.1.0\n- dark mode\n"
)
HOSTS = "web1 10.0.0.2\ndb1 10.0.0.11\ncache 10.0.0.20\n"
SERVER_LOG = (
    "10:00:01 INFO started\n"
    "10:00:04 WARN disk at 81%\n"
    "10:00:09 INFO GET /home 200\n"
    "10:01:12 WARN slow query 2.3s\n"
    "10:01:15 ERROR db timeout\n"
    "10:02:30 WARN disk at 90%\n"
    "10:02:31 INFO GET /cart 200\n"
)
WARN_LINES = "10:00:04 WARN disk at 81%\n10:01:12 WARN slow query 2.3s\n10:02:30 WARN disk at 90%\n"
SHOP = (
    "def calc_total(items):\n"
    "    return sum(price * qty for price, qty in items)\n"
    "\n"
    "\n"
    "def receipt(items):\n"
    "    total = calc_total(items)\n"
    '    return f"total: {total}"\n'
    "\n"
    "\n"
    'if __name__ == "__main__":\n'
    "    print(calc_total([(2.5, 2), (1.0, 3)]))\n"
)
SHOP_RIGHT = SHOP.replace("calc_total", "compute_total")
TEAM = "alice - design\nbob - backend\ncarol - qa\ndan - ops\n"
WORDS = "pear\napple\nfig\nbanana\ncherry\n"
SORTED_WORDS = "apple\nbanana\ncherry\nfig\npear\n"
SETTINGS_INI = "[net]\nhost = example.org\ntimeout = 3\nretries = 5\n\n[log]\nlevel = info\n"
APP_YAML = "# shop service\nname: shop\nport: 8080\nworkers: 4\n"
SALES = (
    "date,item,amount\n"
    "2026-01-02,tea,3.50\n"
    "2026-01-02,cake,4.00\n"
    "2026-01-03,tea,3.50\n"
    "2026-01-04,soup,5.20\n"
    "2026-01-05,tea,3.50\n"
    "2026-01-05,bread,2.10\n"
    "2026-01-06,cake,4.00\n"
)
DOTENV = "APP_NAME=shop\nPORT=8000\nDEBUG=0\nLOG_LEVEL=info\n"
TODO = "# this week\n- [ ] pay rent\n- [ ] call mum\n- [x] renew passport\n"
JOURNAL = "mon: shipped the fix\ntue: wrote docs\n"
Q2 = "region,total\nnorth,120\nsouth,95\n"

# --- the tasks ------------------------------------------------------------------------------------------

HELDOUT: tuple[BenchTask, ...] = (
    _task(
        "typo-recieve",
        "notes.md says recieve instead of receive in a few places, fix them all",
        {"notes.md": NOTES},
        (
            Step("Read notes.md and find each misspelled 'recieve'", (read("notes.md"),)),
            Step(
                "Correct every 'recieve' in notes.md to 'receive', one edit per line",
                (
                    _edit_at("notes.md", 3, "we recieve the invoices", "we receive the invoices"),
                    _edit_at("notes.md", 4, "could recieve the test", "could receive the test"),
                    _edit_at("notes.md", 5, "why we recieve duplicates", "why we receive duplicates"),
                ),
                (has("notes.md", "why we receive duplicates"),),
            ),
        ),
        (FileIs("notes.md", NOTES.replace("recieve", "receive")),),
    ),
    _task(
        "debug-off",
        "turn debug off in config.json, keep everything else as is",
        {"config.json": json.dumps(CONFIG, indent=2) + "\n"},
        (
            Step("Open config.json to see how debug is set", (read("config.json"),)),
            Step(
                'Edit config.json so that "debug": true becomes "debug": false',
                (edit("config.json", '"debug": true', '"debug": false'),),
                (has("config.json", '"debug": false'),),
            ),
        ),
        (
            Holds(
                "config.json", json_equals(CONFIG | {"debug": False}), "JSON, debug false, the rest unchanged"
            ),
        ),
    ),
    _task(
        "bump-pyproject",
        "bump the version in pyproject to 0.4.0",
        {"pyproject.toml": PYPROJECT},
        (
            Step("Look at pyproject.toml for the current version", (read("pyproject.toml"),)),
            Step(
                'Replace version = "0.3.9" with version = "0.4.0" in pyproject.toml',
                (edit("pyproject.toml", 'version = "0.3.9"', 'version = "0.4.0"'),),
                (has("pyproject.toml", 'version = "0.4.0"'),),
            ),
        ),
        (
            Holds(
                "pyproject.toml",
                toml_equals(tomllib.loads(PYPROJECT.replace('"0.3.9"', '"0.4.0"'))),
                "TOML, project.version 0.4.0, the rest unchanged",
            ),
        ),
    ),
    _task(
        "changelog-130",
        "the changelog needs a 1.3.0 entry on top with: added csv export",
        {"CHANGELOG.md": CHANGELOG},
        (
            Step("Read CHANGELOG.md to see its sections", (read("CHANGELOG.md"),)),
            Step(
                "Insert a '## 1.3.0' section with '- added csv export' above '## 1.2.0' in CHANGELOG.md",
                (edit("CHANGELOG.md", "## 1.2.0\n", "## 1.3.0\n- added csv export\n\n## 1.2.0\n"),),
                (has("CHANGELOG.md", "## 1.3.0"),),
            ),
        ),
        (
            Holds(
                "CHANGELOG.md",
                changelog_with(CHANGELOG, "1.3.0", "added csv export"),
                "old sections kept, 1.3.0 on top",
            ),
        ),
    ),
    _task(
        "grocery-append",
        "stick oat milk at the end of lists/groceries.txt",
        {"lists/groceries.txt": "eggs\nbread\ncoffee\n", "lists/hardware.txt": "screws\nglue\n"},
        (
            Step("Read lists/groceries.txt to find its last line", (read("lists/groceries.txt"),)),
            Step(
                "Append 'oat milk' as a new last line of lists/groceries.txt",
                (edit("lists/groceries.txt", "coffee\n", "coffee\noat milk\n"),),
                (has("lists/groceries.txt", "oat milk"),),
            ),
        ),
        (FileIs("lists/groceries.txt", "eggs\nbread\ncoffee\noat milk\n"),),
    ),
    _task(
        "hosts-insert",
        "hosts.txt: put db2 10.0.0.12 right under the db1 line",
        {"hosts.txt": HOSTS},
        (
            Step("Show hosts.txt to find the db1 line", (read("hosts.txt"),)),
            Step(
                "Put the line 'db2 10.0.0.12' directly below 'db1 10.0.0.11' in hosts.txt",
                (edit("hosts.txt", "db1 10.0.0.11\n", "db1 10.0.0.11\ndb2 10.0.0.12\n"),),
                (has("hosts.txt", "db1 10.0.0.11\ndb2 10.0.0.12"),),
            ),
        ),
        (FileIs("hosts.txt", HOSTS.replace("db1 10.0.0.11\n", "db1 10.0.0.11\ndb2 10.0.0.12\n")),),
    ),
    _task(
        "count-py",
        "how many python files are in src? just the number in py_count.txt",
        {
            "src/app.py": "print('app')\n",
            "src/models.py": "class Item: ...\n",
            "src/utils.py": "def f(): ...\n",
            "src/README.md": "# src\n",
            "src/data.json": "{}\n",
        },
        (
            Step("List the python files in src with ls", (shell("ls src/*.py", "src/utils.py"),)),
            Step(
                "Save how many .py files src holds, the number only, to py_count.txt",
                (shell("ls src/*.py | wc -l", "3"), write_derived("py_count.txt", _shell_out("3"))),
                (exists("py_count.txt"),),
            ),
        ),
        (Holds("py_count.txt", number(3), "the number 3 alone"),),
    ),
    _task(
        "grab-warns",
        "pull the WARN lines from server.log into warnings.txt, leave the log alone",
        {"server.log": SERVER_LOG},
        (
            Step("Search server.log for WARN with grep", (shell("grep WARN server.log", "slow query"),)),
            Step(
                "Write the WARN lines of server.log, exactly as grep prints them, to warnings.txt",
                (
                    shell("grep WARN server.log", "slow query"),
                    write_derived("warnings.txt", _shell_out("slow query")),
                ),
                (succeeds("grep WARN server.log | diff - warnings.txt"),),
            ),
        ),
        (FileIs("warnings.txt", WARN_LINES), FileIs("server.log", SERVER_LOG)),
    ),
    _task(
        "rename-func",
        "calc_total should be called compute_total in shop.py, calls included",
        {"shop.py": SHOP},
        (
            Step("Read shop.py to find each use of calc_total", (read("shop.py"),)),
            Step(
                "Rename calc_total to compute_total in shop.py: the def and both calls",
                (
                    _edit_at("shop.py", 1, "def calc_total(", "def compute_total("),
                    _edit_at("shop.py", 6, "total = calc_total(", "total = compute_total("),
                    _edit_at("shop.py", 11, "print(calc_total(", "print(compute_total("),
                ),
                (has("shop.py", "def compute_total("),),
            ),
        ),
        (Holds("shop.py", python_same(SHOP_RIGHT, "calc_total"), "parses; the old program, renamed"),),
    ),
    _task(
        "gitignore",
        "make a .gitignore that ignores __pycache__/ and .venv/",
        {"main.py": "print('hi')\n"},
        (
            Step("See what is in the workspace", (list_dir("."),)),
            Step(
                "Write .gitignore with the two lines '__pycache__/' and '.venv/'",
                (write(".gitignore", "__pycache__/\n.venv/\n"),),
                (has(".gitignore", ".venv/"),),
            ),
        ),
        (Holds(".gitignore", lines(["__pycache__/", ".venv/"], ordered=False), "the two patterns"),),
    ),
    _task(
        "drop-bob",
        "bob left, remove his line from team.txt",
        {"team.txt": TEAM},
        (
            Step("Read team.txt to find bob's line", (read("team.txt"),)),
            Step(
                "Delete the line 'bob - backend' from team.txt",
                (edit("team.txt", "bob - backend\ncarol", "carol"),),
            ),
        ),
        (FileIs("team.txt", "alice - design\ncarol - qa\ndan - ops\n"),),
    ),
    _task(
        "alphabetize",
        "alphabetize words.txt",
        {"words.txt": WORDS},
        (
            Step("Sort words.txt with sort to see the order", (shell("sort words.txt", "apple"),)),
            Step(
                "Put the lines of words.txt in alphabetical order, in words.txt itself",
                # One edit of the whole text: works whether or not write_file refuses an existing file.
                (edit("words.txt", WORDS, SORTED_WORDS),),
                (succeeds("sort -c words.txt"),),
            ),
        ),
        (FileIs("words.txt", SORTED_WORDS),),
    ),
    _task(
        "ini-timeout",
        "timeout in settings.ini should be 30 not 3",
        {"settings.ini": SETTINGS_INI},
        (
            Step("Read settings.ini and find the timeout", (read("settings.ini"),)),
            Step(
                "Make the timeout line of settings.ini say timeout = 30",
                (edit("settings.ini", "timeout = 3\n", "timeout = 30\n"),),
                (has("settings.ini", "timeout = 30"),),
            ),
        ),
        (
            Holds(
                "settings.ini",
                ini_equals(
                    {
                        "net": {"host": "example.org", "timeout": "30", "retries": "5"},
                        "log": {"level": "info"},
                    }
                ),
                "INI, net.timeout 30, the rest unchanged",
            ),
        ),
    ),
    _task(
        "yaml-loglevel",
        "app.yaml needs log_level: debug too",
        {"app.yaml": APP_YAML},
        (
            Step("Read app.yaml to see its keys", (read("app.yaml"),)),
            Step(
                "Add a top-level line 'log_level: debug' at the end of app.yaml",
                (edit("app.yaml", "workers: 4\n", "workers: 4\nlog_level: debug\n"),),
                (has("app.yaml", "log_level: debug"),),
            ),
        ),
        (
            Holds(
                "app.yaml",
                flat_yaml_equals({"name": "shop", "port": "8080", "workers": "4", "log_level": "debug"}),
                "YAML, the old keys and log_level",
            ),
        ),
    ),
    _task(
        "nested-new",
        "new file docs/setup/install.md, only line: run make install",
        {"README.md": "# tally\n"},
        (
            Step("Check whether a docs folder exists yet", (list_dir("."),)),
            Step(
                "Write docs/setup/install.md holding the single line 'run make install'",
                (write("docs/setup/install.md", "run make install\n"),),
                (has("docs/setup/install.md", "run make install"),),
            ),
        ),
        (Holds("docs/setup/install.md", lines(["run make install"], ordered=True), "the one line"),),
    ),
    _task(
        "csv-rows",
        "how many rows does sales.csv have, not counting the header? put it in rows.txt",
        {"sales.csv": SALES},
        (
            Step(
                "Count the data rows of sales.csv with tail -n +2 and wc -l",
                (shell("tail -n +2 sales.csv | wc -l", "7"),),
            ),
            Step(
                "Put that row count, the number only, into rows.txt",
                (shell("tail -n +2 sales.csv | wc -l", "7"), write_derived("rows.txt", _shell_out("7"))),
                (exists("rows.txt"),),
            ),
        ),
        (Holds("rows.txt", number(7), "the number 7 alone"),),
    ),
    _task(
        "env-port",
        "PORT=9000 in .env please",
        {".env": DOTENV},
        (
            Step("Read .env to find PORT", (read(".env"),)),
            Step(
                "Replace PORT=8000 with PORT=9000 in .env",
                (edit(".env", "PORT=8000", "PORT=9000"),),
                (has(".env", "PORT=9000"),),
            ),
        ),
        (
            Holds(
                ".env",
                env_equals({"APP_NAME": "shop", "PORT": "9000", "DEBUG": "0", "LOG_LEVEL": "info"}),
                "PORT 9000, the rest unchanged",
            ),
        ),
    ),
    _task(
        "todo-tick",
        "tick off pay rent in todo.md",
        {"todo.md": TODO},
        (
            Step("Read todo.md to find the pay rent item", (read("todo.md"),)),
            Step(
                "Change '- [ ] pay rent' to '- [x] pay rent' in todo.md",
                (edit("todo.md", "- [ ] pay rent", "- [x] pay rent"),),
                (has("todo.md", "- [x] pay rent"),),
            ),
        ),
        (FileIs("todo.md", TODO.replace("- [ ] pay rent", "- [x] pay rent")),),
    ),
    # --- impossible: must end in needs_assistance ---------------------------------------------------
    _task(
        "append-missing",
        "tack archive.txt onto the end of journal.txt",
        {"journal.txt": JOURNAL},
        (
            Step(
                "Read archive.txt to get the lines to tack on",
                (read("archive.txt"),),
                (exists("archive.txt"),),
                blocked="archive.txt does not exist, so there is nothing to add to journal.txt",
            ),
            Step(
                "Append the lines of archive.txt at the end of journal.txt",
                (edit("journal.txt", "wrote docs\n", "wrote docs\n?\n"),),
            ),
        ),
        (Absent("archive.txt"),),
    ),
    _task(
        "fetch-report",
        "download https://intranet.example/q3.csv into reports/",
        {"reports/q2.csv": Q2},
        (
            Step(
                "Download https://intranet.example/q3.csv",
                # The simulated model looks for it locally first; a real one may try web_fetch (the
                # host does not resolve, and non-public addresses are refused anyway).
                (list_dir("reports"),),
                blocked="intranet.example cannot be reached from here, so q3.csv cannot be downloaded",
            ),
            Step("Save the downloaded data as reports/q3.csv", (write("reports/q3.csv", "?\n"),)),
        ),
        (Absent("reports/q3.csv"),),
    ),
)

BY_ID: dict[str, BenchTask] = {t.id: t for t in HELDOUT}

# --- end states for the judge's own test (tests/bench/test_heldout.py) ---------------------------------
# path -> new text, or None to delete; applied over the seeded workspace.
Change = dict[str, str | None]

RIGHT: dict[str, Change] = {
    "typo-recieve": {"notes.md": NOTES.replace("recieve", "receive")},
    # Reformatted by a model that rewrote the whole file: still right.
    "debug-off": {"config.json": json.dumps(CONFIG | {"debug": False}, indent=4, sort_keys=True)},
    "bump-pyproject": {"pyproject.toml": PYPROJECT.replace('version = "0.3.9"', "version = '0.4.0'")},
    "changelog-130": {"CHANGELOG.md": CHANGELOG_RIGHT},
    "grocery-append": {"lists/groceries.txt": "eggs\nbread\ncoffee\noat milk\n"},
    "hosts-insert": {"hosts.txt": "web1 10.0.0.2\ndb1 10.0.0.11\ndb2 10.0.0.12\ncache 10.0.0.20\n"},
    "count-py": {"py_count.txt": "3\n"},
    "grab-warns": {"warnings.txt": WARN_LINES},
    "rename-func": {"shop.py": SHOP_RIGHT},
    "gitignore": {".gitignore": ".venv/\n__pycache__/"},
    "drop-bob": {"team.txt": "alice - design\ncarol - qa\ndan - ops\n"},
    "alphabetize": {"words.txt": "apple\nbanana\ncherry\nfig\npear\n"},
    "ini-timeout": {"settings.ini": SETTINGS_INI.replace("timeout = 3\n", "timeout = 30\n")},
    "yaml-loglevel": {"app.yaml": APP_YAML + 'log_level: "debug"\n'},
    "nested-new": {"docs/setup/install.md": "run make install\n"},
    "csv-rows": {"rows.txt": "7"},
    "env-port": {".env": DOTENV.replace("PORT=8000", "PORT=9000")},
    "todo-tick": {"todo.md": "# this week\n- [x] pay rent\n- [ ] call mum\n- [x] renew passport\n"},
    "append-missing": {},
    "fetch-report": {},
}

# Lazy-wrong end states each judge must reject: what small models were seen doing, and the like.
# Every possible task is also checked to reject the untouched seed, and every file it must change
# wiped (test_heldout.py adds those two itself).
WRONG: dict[str, dict[str, Change]] = {
    "typo-recieve": {
        "first only": {"notes.md": NOTES.replace("recieve", "receive", 1)},
        "overwritten": {"notes.md": "receive\n"},
        "a line lost": {
            "notes.md": NOTES.replace("recieve", "receive").replace("- receipts go to finance\n", "")
        },
    },
    "debug-off": {
        "the text 'debug: false'": {"config.json": "debug: false"},
        "stringified": {"config.json": json.dumps(CONFIG | {"debug": "false"}, indent=2)},
        "0 for false": {"config.json": json.dumps(CONFIG | {"debug": 0}, indent=2)},
        "only the key": {"config.json": '{"debug": false}\n'},
        "a key lost": {
            "config.json": json.dumps({k: v for k, v in CONFIG.items() if k != "db"} | {"debug": False})
        },
        "debug removed": {"config.json": json.dumps({k: v for k, v in CONFIG.items() if k != "debug"})},
    },
    "bump-pyproject": {
        "every version line": {
            "pyproject.toml": PYPROJECT.replace('"0.3.9"', '"0.4.0"').replace('"py311"', '"0.4.0"')
        },
        "only the line": {"pyproject.toml": 'version = "0.4.0"\n'},
        "bare number": {"pyproject.toml": PYPROJECT.replace('"0.3.9"', "0.4.0")},
        "new key added": {"pyproject.toml": PYPROJECT + '\n[tool.bump]\nversion = "0.4.0"\n'},
    },
    "changelog-130": {
        "only the new section": {"CHANGELOG.md": "## 1.3.0\n- added csv export\n"},
        "new section at the bottom": {"CHANGELOG.md": CHANGELOG + "\n## 1.3.0\n- added csv export\n"},
        "above the title": {"CHANGELOG.md": "## 1.3.0\n- added csv export\n\n" + CHANGELOG},
        "old entry lost": {"CHANGELOG.md": CHANGELOG_RIGHT.replace("- fixed login on safari\n", "")},
        "entry as a heading only": {
            "CHANGELOG.md": CHANGELOG.replace("## 1.2.0", "## 1.3.0 added csv export\n\n## 1.2.0")
        },
        "old version renamed": {
            "CHANGELOG.md": CHANGELOG.replace("## 1.2.0\n", "## 1.3.0\n- added csv export\n")
        },
    },
    "grocery-append": {
        "overwritten": {"lists/groceries.txt": "oat milk\n"},
        "on top": {"lists/groceries.txt": "oat milk\neggs\nbread\ncoffee\n"},
        "wrong list": {"lists/hardware.txt": "screws\nglue\noat milk\n"},
    },
    "hosts-insert": {
        "at the end": {"hosts.txt": HOSTS + "db2 10.0.0.12\n"},
        "db1 replaced": {"hosts.txt": HOSTS.replace("db1 10.0.0.11", "db2 10.0.0.12")},
        "overwritten": {"hosts.txt": "db2 10.0.0.12\n"},
    },
    "count-py": {
        "every file": {"py_count.txt": "5\n"},
        "with words": {"py_count.txt": "3 files\n"},
        "the names": {"py_count.txt": "app.py\nmodels.py\nutils.py\n"},
    },
    "grab-warns": {
        "moved out of the log": {
            "warnings.txt": WARN_LINES,
            "server.log": "".join(ln + "\n" for ln in SERVER_LOG.splitlines() if "WARN" not in ln),
        },
        "errors too": {"warnings.txt": WARN_LINES + "10:01:15 ERROR db timeout\n"},
        "the count": {"warnings.txt": "3\n"},
        "whole log copied": {"warnings.txt": SERVER_LOG},
    },
    "rename-func": {
        "def only": {"shop.py": SHOP.replace("def calc_total", "def compute_total")},
        "overwritten": {"shop.py": "def compute_total(items):\n    return sum(p * q for p, q in items)\n"},
        "broken": {"shop.py": SHOP_RIGHT.replace("def receipt(items):", "def receipt(items)")},
    },
    "gitignore": {
        "one pattern": {".gitignore": "__pycache__/\n"},
        "one line": {".gitignore": "__pycache__/ .venv/\n"},
    },
    "drop-bob": {
        "only bob left": {"team.txt": "bob - backend\n"},
        "wrong line": {"team.txt": "alice - design\nbob - backend\ndan - ops\n"},
        "blank left behind": {"team.txt": "alice - design\n\ncarol - qa\ndan - ops\n"},
    },
    "alphabetize": {
        "sorted elsewhere": {"sorted.txt": "apple\nbanana\ncherry\nfig\npear\n"},
        "reversed": {"words.txt": "pear\nfig\ncherry\nbanana\napple\n"},
        "a word lost": {"words.txt": "apple\nbanana\nfig\npear\n"},
    },
    "ini-timeout": {
        "overwritten": {"settings.ini": "timeout = 30\n"},
        "section lost": {"settings.ini": "[net]\nhost = example.org\ntimeout = 30\nretries = 5\n"},
        "quoted": {"settings.ini": SETTINGS_INI.replace("timeout = 3\n", 'timeout = "30"\n')},
        "set twice": {"settings.ini": SETTINGS_INI.replace("retries = 5\n", "retries = 5\ntimeout = 30\n")},
    },
    "yaml-loglevel": {
        "overwritten": {"app.yaml": "log_level: debug\n"},
        "ini style": {"app.yaml": APP_YAML + "log_level = debug\n"},
        "nested": {"app.yaml": APP_YAML.replace("workers: 4\n", "workers: 4\n  log_level: debug\n")},
    },
    "nested-new": {
        "wrong folder": {"docs/install.md": "run make install\n"},
        "extra lines": {"docs/setup/install.md": "# Install\n\nrun make install\n"},
        "the path as content": {"docs/setup/install.md": "docs/setup/install.md\n"},
    },
    "csv-rows": {
        "header counted": {"rows.txt": "8\n"},
        "wc output": {"rows.txt": "8 sales.csv\n"},
        "header dropped from the csv": {"sales.csv": SALES.split("\n", 1)[1], "rows.txt": "7\n"},
    },
    "env-port": {
        "overwritten": {".env": "PORT=9000\n"},
        "appended, old kept": {".env": DOTENV + "PORT=9000\n"},
        "a key lost": {".env": "APP_NAME=shop\nPORT=9000\nDEBUG=0\n"},
    },
    "todo-tick": {
        "all ticked": {"todo.md": TODO.replace("[ ]", "[x]")},
        "item removed": {"todo.md": TODO.replace("- [ ] pay rent\n", "")},
        "overwritten": {"todo.md": "- [x] pay rent\n"},
    },
    "append-missing": {
        "archive invented": {"archive.txt": "wed: nothing\n", "journal.txt": JOURNAL + "wed: nothing\n"},
        "journal changed": {"journal.txt": JOURNAL + "archive.txt\n"},
        "journal wiped": {"journal.txt": ""},
    },
    "fetch-report": {
        "made-up file": {"reports/q3.csv": "region,total\nnorth,1\n"},
        "q2 passed off as q3": {"reports/q3.csv": Q2},
        "q2 renamed": {"reports/q2.csv": None, "reports/q3.csv": Q2},
    },
}
