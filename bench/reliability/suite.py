"""The task suite: 24 multi-step tasks over a small temp workspace, each with a checkable end state.

Three shapes: explicit steps with checks (the runner can verify deterministically), explicit steps
without checks (only the evidence-citing verifier stands between a claim and "complete"), and
goals left to the planner (the simulated planner writes the plan; some of its steps name checks).
Some tasks are traps on purpose: a later step edits a file an earlier step wrote (redoing the
earlier step undoes it), an edit whose old text survives in the new text (replaying it doubles
the change), and two impossible tasks that must end in needs_assistance.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bench.reliability.spec import (
    Absent,
    BenchTask,
    FileHas,
    FileIs,
    Memory,
    Prints,
    SameAsOutput,
    Step,
    after,
    edit,
    exists,
    has,
    list_dir,
    number_before,
    read,
    search,
    shell,
    succeeds,
    write,
    write_derived,
)
from smallclaw_tui.models import FileContainsCheck

# --- derived content: what an able model would compute from a result it saw -----------------------

Derive = Callable[[Memory], str | None]


def _count(suffix: str) -> Derive:
    def content(memory: Memory) -> str | None:
        n = number_before(memory, suffix)
        return None if n is None else f"{n}\n"

    return content


def _shell_output(must: str) -> Derive:
    """The exact output of the newest command result that printed `must`."""

    def content(memory: Memory) -> str | None:
        for r in reversed(memory):
            if r.startswith("exit 0\n") and must in r:
                return r.removeprefix("exit 0\n")
        return None

    return content


def _sorted_words(memory: Memory) -> str | None:
    rest = after(memory, "exit 0")
    if rest is None or "alice" not in rest:
        return None
    return "\n".join(rest.split()) + "\n"


def _file_text(path: str) -> Derive:
    head = re.compile(rf"^{re.escape(path)} \(\d+ bytes\):\n")

    def content(memory: Memory) -> str | None:
        for r in reversed(memory):
            if m := head.match(r):
                return r[m.end() :]
        return None

    return content


def _listed_files(memory: Memory) -> str | None:
    for r in reversed(memory):
        if r.startswith("Contents of src/:"):
            names = [ln for ln in r.splitlines()[1:] if ln and not ln.endswith(("/", ")"))]
            return "".join(f"{n}\n" for n in names)
    return None


def _todo_path(memory: Memory) -> str | None:
    for r in reversed(memory):
        if m := re.search(r"^(\S+):\d+: .*TODO", r, re.M):
            return m.group(1) + "\n"
    return None


# --- explicit steps, with checks ---------------------------------------------------------------------

EXPLICIT_CHECKED = (
    BenchTask(
        "todo-list",
        "Start a todo list in notes/todo.md with two items",
        (
            Step(
                "Create notes/todo.md with a '# Todo' heading and the item '- buy milk'",
                (write("notes/todo.md", "# Todo\n- buy milk\n"),),
                (has("notes/todo.md", "- buy milk"),),
            ),
            Step(
                "Add the item '- call bob' after '- buy milk' in notes/todo.md",
                (edit("notes/todo.md", "- buy milk\n", "- buy milk\n- call bob\n"),),
                (has("notes/todo.md", "- call bob"),),
            ),
        ),
        "explicit",
        (FileIs("notes/todo.md", "# Todo\n- buy milk\n- call bob\n"),),
    ),
    BenchTask(
        "port-change",
        "Move the server in config.ini to port 8080 and log the change",
        (
            Step("Read config.ini to find the server port", (read("config.ini"),)),
            Step(
                "Change the port in config.ini from 8000 to 8080",
                (edit("config.ini", "port = 8000", "port = 8080"),),
                (succeeds("grep -q 'port = 8080' config.ini"),),
            ),
            Step(
                "Write CHANGELOG.md with the line 'Port changed to 8080'",
                (write("CHANGELOG.md", "Port changed to 8080\n"),),
                (has("CHANGELOG.md", "Port changed to 8080"),),
            ),
        ),
        "explicit",
        (
            FileIs("config.ini", "[server]\nport = 8080\nhost = localhost\n"),
            FileIs("CHANGELOG.md", "Port changed to 8080\n"),
        ),
        {"config.ini": "[server]\nport = 8000\nhost = localhost\n"},
    ),
    BenchTask(
        "line-count",
        "Count the lines of data.csv into count.txt",
        (
            Step(
                "Check that data.csv is in the workspace with list_dir",
                (list_dir("."),),
                (exists("data.csv"),),
                evidence=("data.csv",),
            ),
            Step(
                "Count the lines of data.csv with wc -l and write the number to count.txt",
                (shell("wc -l data.csv", "data.csv"), write_derived("count.txt", _count("data.csv"))),
                # The number alone: `wc -l data.csv > count.txt` writes "6 data.csv".
                (FileContainsCheck(path="count.txt", text=r"\A\s*6\s*\Z", regex=True),),
            ),
        ),
        "explicit",
        (FileIs("count.txt", "6\n"),),
        {"data.csv": "id,name\n1,ann\n2,bo\n3,cy\n4,di\n5,ed\n"},
    ),
    BenchTask(
        "sort-names",
        "Sort names.txt into sorted.txt and add a total line",
        (
            Step(
                "Sort names.txt with the sort command and save the sorted names to sorted.txt",
                (shell("sort names.txt", "alice"), write_derived("sorted.txt", _sorted_words)),
                (succeeds("sort names.txt | diff - sorted.txt"),),
            ),
            Step(
                "Append the line 'total: 4' to sorted.txt",
                (edit("sorted.txt", "dave\n", "dave\ntotal: 4\n"),),
                (has("sorted.txt", "total: 4"),),
            ),
        ),
        "explicit",
        (FileIs("sorted.txt", "alice\nbob\ncarol\ndave\ntotal: 4\n"),),
        {"names.txt": "carol\nalice\ndave\nbob\n"},
    ),
    BenchTask(
        "copy-file",
        "Move the text of src/a.txt to dst/a.txt and leave a note behind",
        (
            Step(
                "Copy src/a.txt to dst/a.txt with the same content",
                (read("src/a.txt"), write_derived("dst/a.txt", _file_text("src/a.txt"))),
                (succeeds("diff -q src/a.txt dst/a.txt"),),
            ),
            Step(
                "Replace the content of src/a.txt with the line 'moved to dst/a.txt'",
                (write("src/a.txt", "moved to dst/a.txt\n"),),
                (has("src/a.txt", "moved to dst"),),
            ),
        ),
        "explicit",
        (FileIs("dst/a.txt", "alpha\nbeta\n"), FileIs("src/a.txt", "moved to dst/a.txt\n")),
        {"src/a.txt": "alpha\nbeta\n"},
    ),
    BenchTask(
        "docs-three",
        "Create three doc pages in docs/",
        tuple(
            Step(
                f"Create docs/{name}.md containing '# {title}'",
                (write(f"docs/{name}.md", f"# {title}\n"),),
                (has(f"docs/{name}.md", f"# {title}"),),
            )
            for name, title in (("intro", "Intro"), ("usage", "Usage"), ("faq", "FAQ"))
        ),
        "explicit",
        (
            FileIs("docs/intro.md", "# Intro\n"),
            FileIs("docs/usage.md", "# Usage\n"),
            FileIs("docs/faq.md", "# FAQ\n"),
        ),
    ),
    BenchTask(
        "app-settings",
        "Switch app.py to production settings and write the version",
        (
            Step(
                "Set DEBUG to False in app.py",
                (edit("app.py", "DEBUG = True", "DEBUG = False"),),
                (has("app.py", "DEBUG = False"),),
            ),
            Step(
                "Set NAME to 'prod' in app.py",
                (edit("app.py", "NAME = 'demo'", "NAME = 'prod'"),),
                (has("app.py", "NAME = 'prod'"),),
            ),
            Step("Write 1.0.1 into VERSION", (write("VERSION", "1.0.1\n"),), (has("VERSION", "1.0.1"),)),
        ),
        "explicit",
        (FileIs("app.py", "DEBUG = False\nNAME = 'prod'\n"), FileIs("VERSION", "1.0.1\n")),
        {"app.py": "DEBUG = True\nNAME = 'demo'\n"},
    ),
    BenchTask(
        "error-report",
        "Report the errors in logs/app.log",
        (
            Step(
                "Count the ERROR lines in logs/app.log with grep -c and write the count to errors.txt",
                (
                    shell("grep -c ERROR logs/app.log"),
                    write_derived("errors.txt", _shell_output("")),
                ),
                (has("errors.txt", "2"),),
            ),
            Step(
                "Save the ERROR lines of logs/app.log into error_lines.txt using grep",
                (
                    shell("grep ERROR logs/app.log", "ERROR disk full"),
                    write_derived("error_lines.txt", _shell_output("ERROR disk full")),
                ),
                (succeeds("grep ERROR logs/app.log | diff - error_lines.txt"),),
            ),
        ),
        "explicit",
        (
            FileIs("errors.txt", "2\n"),
            SameAsOutput("error_lines.txt", ("grep", "ERROR", "logs/app.log")),
        ),
        {"logs/app.log": "INFO start\nERROR disk full\nINFO retry\nERROR disk full again\nINFO done\n"},
    ),
    BenchTask(
        "status-flow",
        "Take status.txt from draft to final and flag it done",
        (
            Step(
                "Write 'draft' into status.txt",
                (write("status.txt", "draft\n"),),
                (has("status.txt", "draft"),),
            ),
            Step(
                "Change 'draft' to 'final' in status.txt",
                (edit("status.txt", "draft", "final"),),
                (has("status.txt", "final"),),
            ),
            Step(
                "Create done.flag containing 'ok'", (write("done.flag", "ok\n"),), (has("done.flag", "ok"),)
            ),
        ),
        "explicit",
        (FileIs("status.txt", "final\n"), FileIs("done.flag", "ok\n")),
    ),
    BenchTask(
        "missing-input",
        "Copy the text of missing.txt into copy.txt",
        (
            Step(
                "Read missing.txt to get the text to copy",
                (read("missing.txt"),),
                (exists("missing.txt"),),
                blocked="missing.txt does not exist, so there is nothing to copy",
            ),
            Step(
                "Write the text of missing.txt into copy.txt",
                (write("copy.txt", "?\n"),),
                (exists("copy.txt"),),
            ),
        ),
        "explicit",
        (Absent("copy.txt"),),
    ),
)

# --- explicit steps, no checks: the verifier's cited evidence is all there is ------------------------

EXPLICIT_UNCHECKED = (
    BenchTask(
        "readme",
        "Write a two-line README.md",
        (
            Step("Write README.md with the title line '# Demo'", (write("README.md", "# Demo\n"),)),
            Step(
                "Add the line 'Run it with make.' under the title of README.md",
                (edit("README.md", "# Demo\n", "# Demo\nRun it with make.\n"),),
            ),
        ),
        "explicit",
        (FileIs("README.md", "# Demo\nRun it with make.\n"),),
    ),
    BenchTask(
        "index-src",
        "Index the files of src/ in src/index.txt",
        (
            Step(
                "List the src folder and write the file names, one per line, into src/index.txt",
                (list_dir("src"), write_derived("src/index.txt", _listed_files)),
            ),
            Step(
                "Add the line 'count: 2' at the end of src/index.txt",
                (edit("src/index.txt", "b.py\n", "b.py\ncount: 2\n"),),
            ),
        ),
        "explicit",
        (FileIs("src/index.txt", "a.py\nb.py\ncount: 2\n"),),
        {"src/a.py": "print('a')\n", "src/b.py": "print('b')\n"},
    ),
    BenchTask(
        "plan-versions",
        "Take plan.txt from v1 to v2 and acknowledge it",
        (
            Step("Write 'v1' into plan.txt", (write("plan.txt", "v1\n"),)),
            Step("Change 'v1' to 'v2' in plan.txt", (edit("plan.txt", "v1", "v2"),)),
            Step("Create ack.txt containing 'seen'", (write("ack.txt", "seen\n"),)),
        ),
        "explicit",
        (FileIs("plan.txt", "v2\n"), FileIs("ack.txt", "seen\n")),
    ),
    BenchTask(
        "echo-save",
        "Save the output of an echo command and show it",
        (
            Step(
                "Run 'echo hello-bench' and save its output into echo.txt",
                (
                    shell("echo hello-bench", "hello-bench"),
                    write_derived("echo.txt", _shell_output("hello-bench")),
                ),
            ),
            Step("Show echo.txt with cat", (shell("cat echo.txt", "hello-bench"),)),
        ),
        "explicit",
        (FileIs("echo.txt", "hello-bench\n"),),
    ),
)

# --- left to the planner -------------------------------------------------------------------------------

PLANNED = (
    BenchTask(
        "greetings",
        "Create a greetings folder with hello.txt saying Hello and bye.txt saying Bye",
        (
            Step(
                "Create greetings/hello.txt containing 'Hello'",
                (write("greetings/hello.txt", "Hello\n"),),
                (has("greetings/hello.txt", "Hello"),),
            ),
            Step(
                "Create greetings/bye.txt containing 'Bye'",
                (write("greetings/bye.txt", "Bye\n"),),
                (has("greetings/bye.txt", "Bye"),),
            ),
        ),
        "planner",
        (FileIs("greetings/hello.txt", "Hello\n"), FileIs("greetings/bye.txt", "Bye\n")),
    ),
    BenchTask(
        "bump-version",
        "Set the version in pyproject.toml to 2.0.0 and note the change in CHANGES.md",
        (
            Step(
                'Change version = "1.4.2" to version = "2.0.0" in pyproject.toml',
                (edit("pyproject.toml", 'version = "1.4.2"', 'version = "2.0.0"'),),
                (has("pyproject.toml", 'version = "2.0.0"'),),
            ),
            Step(
                "Write CHANGES.md with the line '2.0.0: version bump'",
                (write("CHANGES.md", "2.0.0: version bump\n"),),
            ),
        ),
        "planner",
        (
            FileIs("pyproject.toml", '[project]\nname = "demo"\nversion = "2.0.0"\n'),
            # The goal says to note the change, not in which words: a planner task is judged on
            # what its goal gives (the line above is the explicit steps' own text).
            FileHas("CHANGES.md", "2.0.0"),
        ),
        {"pyproject.toml": '[project]\nname = "demo"\nversion = "1.4.2"\n'},
    ),
    BenchTask(
        "word-count",
        "Count the words in poem.txt and write the number to words.txt",
        (
            Step("Look at poem.txt with read_file", (read("poem.txt"),)),
            Step(
                "Count the words of poem.txt with wc -w and write the number to words.txt",
                (shell("wc -w poem.txt", "poem.txt"), write_derived("words.txt", _count("poem.txt"))),
                (exists("words.txt"),),
            ),
        ),
        "planner",
        (FileIs("words.txt", "6\n"),),
        {"poem.txt": "roses are red\nviolets are blue\n"},
    ),
    BenchTask(
        "backup-settings",
        "Back up settings.json as settings.json.bak, then set debug to false in settings.json",
        (
            Step(
                "Copy settings.json to settings.json.bak unchanged",
                (read("settings.json"), write_derived("settings.json.bak", _file_text("settings.json"))),
                (succeeds("diff -q settings.json settings.json.bak"),),
            ),
            Step(
                'Set "debug" to false in settings.json',
                (edit("settings.json", '"debug": true', '"debug": false'),),
                (has("settings.json", '"debug": false'),),
            ),
        ),
        "planner",
        (
            FileIs("settings.json.bak", '{\n  "debug": true,\n  "port": 80\n}\n'),
            FileIs("settings.json", '{\n  "debug": false,\n  "port": 80\n}\n'),
        ),
        {"settings.json": '{\n  "debug": true,\n  "port": 80\n}\n'},
    ),
    BenchTask(
        "find-todo",
        "Find which file in src mentions TODO and write its path to todo.txt",
        (
            Step("Search the src folder for TODO", (search("TODO", "src"),)),
            Step(
                "Write the path of the file that mentions TODO into todo.txt",
                (search("TODO", "src"), write_derived("todo.txt", _todo_path)),
            ),
        ),
        "planner",
        (FileIs("todo.txt", "src/util.py\n"),),
        {
            "src/main.py": "def main():\n    pass\n",
            "src/util.py": "# TODO: handle errors\ndef f():\n    return 1\n",
            "README.txt": "nothing here\n",
        },
    ),
    BenchTask(
        "shopping",
        "Write a shopping list with eggs, rice and tea to list.txt, then add soap as a fourth item",
        (
            Step(
                "Write list.txt with eggs, rice and tea, one per line",
                (write("list.txt", "eggs\nrice\ntea\n"),),
                (has("list.txt", "tea"),),
            ),
            Step(
                "Add soap as a fourth line of list.txt",
                (edit("list.txt", "tea\n", "tea\nsoap\n"),),
                (has("list.txt", "soap"),),
            ),
        ),
        "planner",
        (FileIs("list.txt", "eggs\nrice\ntea\nsoap\n"),),
    ),
    BenchTask(
        "summarize-pdf",
        "Summarize report.pdf into summary.txt",
        (
            Step(
                "Read report.pdf",
                (read("report.pdf"),),
                blocked="report.pdf is not in the workspace",
            ),
            Step("Write a summary of report.pdf into summary.txt", (write("summary.txt", "summary\n"),)),
        ),
        "planner",
        (Absent("summary.txt"),),
    ),
    BenchTask(
        "hello-script",
        "Create hello.sh that prints hi, then show it with cat",
        (
            Step(
                "Write hello.sh with the two lines '#!/bin/sh' and 'echo hi'",
                (write("hello.sh", "#!/bin/sh\necho hi\n"),),
                (has("hello.sh", "echo hi"),),
            ),
            Step("Show hello.sh with cat", (shell("cat hello.sh", "echo hi"),)),
        ),
        "planner",
        # The goal asks for a script that prints hi; a shebang is the plan's idea, not the goal's.
        (FileHas("hello.sh", "echo hi"), Prints(("sh", "hello.sh"), "hi\n")),
    ),
    BenchTask(
        "rename-key",
        "In app.cfg rename the key user to owner and raise timeout to 60, then list the keys in keys.txt",
        (
            Step(
                "Rename the key user to owner in app.cfg",
                (edit("app.cfg", "user=", "owner="),),
                (has("app.cfg", "owner=admin"),),
            ),
            Step(
                "Change timeout=30 to timeout=60 in app.cfg",
                (edit("app.cfg", "timeout=30", "timeout=60"),),
                (has("app.cfg", "timeout=60"),),
            ),
            Step(
                "Write keys.txt with the keys of app.cfg, one per line",
                (write("keys.txt", "owner\ntimeout\n"),),
            ),
        ),
        "planner",
        (FileIs("app.cfg", "owner=admin\ntimeout=60\n"), FileIs("keys.txt", "owner\ntimeout\n")),
        {"app.cfg": "user=admin\ntimeout=30\n"},
    ),
    BenchTask(
        "csv-header",
        "Add the header line name,age to people.csv and record the row count in rows.txt",
        (
            Step(
                "Insert the header line 'name,age' at the top of people.csv",
                (edit("people.csv", "ann,31\n", "name,age\nann,31\n"),),
                (succeeds("head -n 1 people.csv | grep -qx name,age"),),
            ),
            Step(
                "Count the lines of people.csv with wc -l and write the number to rows.txt",
                (shell("wc -l people.csv", "people.csv"), write_derived("rows.txt", _count("people.csv"))),
                (has("rows.txt", "3"),),
            ),
        ),
        "planner",
        (FileIs("people.csv", "name,age\nann,31\nbo,42\n"), FileIs("rows.txt", "3\n")),
        {"people.csv": "ann,31\nbo,42\n"},
    ),
)

SUITE: tuple[BenchTask, ...] = EXPLICIT_CHECKED + EXPLICIT_UNCHECKED + PLANNED

# A cross-section for --quick: every shape, every trap.
QUICK_IDS = (
    "todo-list",
    "line-count",
    "status-flow",
    "missing-input",
    "plan-versions",
    "index-src",
    "backup-settings",
    "summarize-pdf",
    "csv-header",
)


def _index() -> dict[str, Step]:
    steps: dict[str, Step] = {}
    for task in SUITE:
        for step in task.steps:
            if step.text in steps and steps[step.text] != step:
                raise ValueError(f"step text used twice with different work: {step.text!r}")
            steps[step.text] = step
    return steps


STEPS: dict[str, Step] = _index()
BY_GOAL: dict[str, BenchTask] = {t.goal: t for t in SUITE}
BY_ID: dict[str, BenchTask] = {t.id: t for t in SUITE}
