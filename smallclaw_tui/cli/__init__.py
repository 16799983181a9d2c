"""The `smallclaw` command: tui (default), task, run, chat, doctor.

Exit codes: 0 ok, 2 usage error, 1 any other error (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from smallclaw_tui.cli.common import CLIError, UsageError
from smallclaw_tui.config_files import ConfigError
from smallclaw_tui.store.lock import WorkspaceLocked
from smallclaw_tui.textsafe import printable


def _add_workspace(p: argparse.ArgumentParser, *, top: bool) -> None:
    # Accepted before and after the subcommand; the subcommand's copy must not reset the top one.
    p.add_argument(
        "--workspace",
        "-w",
        type=Path,
        default=None if top else argparse.SUPPRESS,
        help="workspace folder (default: $SMALLCLAW_WORKSPACE or the current directory)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smallclaw",
        description="SmallClaw TUI: small local models doing verified multi-step work.",
    )
    _add_workspace(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("tui", help="open the full-screen app (the default)")
    _add_workspace(p, top=False)

    task = sub.add_parser("task", help="add, list, show and control tasks")
    _add_workspace(task, top=False)
    tsub = task.add_subparsers(dest="task_command", metavar="ACTION", required=True)

    p = tsub.add_parser("add", help="add a task; prints its id")
    _add_workspace(p, top=False)
    p.add_argument("text", nargs="?", help="the goal, in words")
    p.add_argument("--title", help="short title (default: the goal's first line)")
    p.add_argument("--step", action="append", default=[], metavar="DESC", help="a plan step (repeatable)")
    p.add_argument("--spec", type=Path, metavar="FILE.toml", help="TOML with title, prompt and [[steps]]")

    p = tsub.add_parser("list", help="list tasks")
    _add_workspace(p, top=False)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--status", help="only tasks with this status (also the board's words: done, needs-you)")
    p.add_argument("--archived", action="store_true", help="the archived tasks instead")

    p = tsub.add_parser("show", help="show one task, journal included")
    _add_workspace(p, top=False)
    p.add_argument("id", help="task id or a unique prefix")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--diff", action="store_true", help="only the unified diff of every file the task changed")

    for name, what in (
        ("pause", "pause at the next round boundary"),
        ("resume", "resume (the note goes into the next prompt)"),
        ("cancel", "cancel for good"),
        ("approve", "approve the command the task is waiting on"),
        ("deny", "refuse the command the task is waiting on"),
    ):
        p = tsub.add_parser(name, help=what)
        _add_workspace(p, top=False)
        p.add_argument("id", help="task id or a unique prefix")
        p.add_argument("--note", help="a note for the task's journal and next prompt")

    p = tsub.add_parser("edit", help="change the goal, title or steps of a task that is not running")
    _add_workspace(p, top=False)
    p.add_argument("id", help="task id or a unique prefix")
    p.add_argument("--goal", help="the new goal")
    p.add_argument("--title", help="the new title")
    p.add_argument("--step", action="append", default=[], metavar="DESC", help="a new plan step (repeatable)")
    p.add_argument("--no-steps", action="store_true", help="drop the plan: the planner writes a new one")
    p.add_argument("--spec", type=Path, metavar="FILE.toml", help="a spec as for task add")

    p = tsub.add_parser("archive", help="move finished tasks off the board (and out of `task list`)")
    _add_workspace(p, top=False)
    p.add_argument("ids", nargs="*", metavar="ID", help="task ids or unique prefixes")
    p.add_argument("--done", action="store_true", help="every done and cancelled task")

    p = tsub.add_parser("unarchive", help="bring an archived task back to the board")
    _add_workspace(p, top=False)
    p.add_argument("id", help="task id or a unique prefix")

    p = tsub.add_parser("undo", help="restore every file the task changed, as before the task")
    _add_workspace(p, top=False)
    p.add_argument("id", help="task id or a unique prefix")

    p = sub.add_parser("run", help="run the task queue headless")
    _add_workspace(p, top=False)
    p.add_argument("--until-idle", action="store_true", help="exit once nothing is queued or running")
    p.add_argument(
        "--fail-on-needs-you",
        action="store_true",
        help="exit 3 when a task waits for you at the end (for cron)",
    )

    p = sub.add_parser("chat", help="one chat turn, or a line-by-line chat with no message")
    _add_workspace(p, top=False)
    p.add_argument("message", nargs="?", help="the message (omit for a REPL)")
    p.add_argument("--session", default="chat_cli", help="session key (default: chat_cli)")

    p = sub.add_parser("doctor", help="check the model server, the model and tool calling")
    _add_workspace(p, top=False)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command or "tui"
    if command == "task" and args.task_command == "undo":
        from smallclaw_tui.cli.undo_cmd import run_undo_command

        return run_undo_command(args)
    if command == "task" and args.task_command == "edit":
        from smallclaw_tui.cli.edit_cmd import run_edit_command

        return run_edit_command(args)
    if command == "task" and args.task_command in ("archive", "unarchive"):
        from smallclaw_tui.cli.archive_cmd import run_archive_command

        return run_archive_command(args)
    if command == "task" and args.task_command == "show" and args.diff:
        from smallclaw_tui.cli.diff_cmd import run_diff_command

        return run_diff_command(args)
    if command == "task":
        from smallclaw_tui.cli.task_cmds import run_task_command

        return run_task_command(args)
    if command == "run":
        from smallclaw_tui.cli.run_cmd import run_runner_command

        return run_runner_command(args)
    if command == "chat":
        from smallclaw_tui.cli.chat_cmd import run_chat_command

        return run_chat_command(args)
    if command == "doctor":
        from smallclaw_tui.cli.chat_cmd import run_doctor_command

        return run_doctor_command(args)
    # No cycle collection until the app has loaded (tui_cmd turns it back on): the start-up's
    # objects live as long as the app, and walking them (three dozen passes, one of the whole heap)
    # came to a tenth of the time to the first frame.
    gc.disable()
    try:
        from smallclaw_tui.cli.tui_cmd import run_tui_command

        return run_tui_command(args)
    finally:
        gc.enable()  # where the app never loaded (refused, closed early): on again all the same


def describe_os_error(e: OSError) -> str:
    """`PATH: Not a directory` rather than `[Errno 20] Not a directory: 'PATH'`."""
    what = e.strerror or str(e) or type(e).__name__
    if e.filename is None:
        return printable(what)
    where = str(e.filename) + (f" -> {e.filename2}" if e.filename2 is not None else "")
    return printable(f"{where}: {what}")


def _quiet_stdout() -> None:
    # The reader went away (`smallclaw task list | head -1`): stop writing there, and keep the
    # interpreter's final flush from printing its own traceback about it.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _user_errors() -> tuple[type[Exception], ...]:
    """Errors whose messages are already phrased for the user. Imported only when one is being
    matched: the store's models load pydantic, which the app's first frame does without."""
    from smallclaw_tui.store.tasks import AmbiguousTaskId, TaskNotFound

    return (ConfigError, WorkspaceLocked, TaskNotFound, AmbiguousTaskId)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except UsageError as e:
        print(f"smallclaw: {e}", file=sys.stderr)
        return 2
    except CLIError as e:
        print(f"smallclaw: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        _quiet_stdout()
        return 1
    except OSError as e:
        # A workspace the store cannot use (a file where a folder belongs, permissions, a full
        # disk) is the user's to fix, not a bug: one line, like every other error.
        print(f"smallclaw: {describe_os_error(e)}", file=sys.stderr)
        return 1
    except _user_errors() as e:
        # Raised past a command that did not expect them; their messages are already phrased
        # for the user.
        print(f"smallclaw: {printable(str(e.args[0]) if e.args else str(e))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
