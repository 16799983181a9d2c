"""The `smallclaw` command: tui (default), task, run, chat, doctor.

Exit codes: 0 ok, 2 usage error, 1 any other error (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from smallclaw_tui.cli.common import CLIError, UsageError


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
    p.add_argument("--status", help="only tasks with this status")

    p = tsub.add_parser("show", help="show one task, journal included")
    _add_workspace(p, top=False)
    p.add_argument("id", help="task id or a unique prefix")
    p.add_argument("--json", action="store_true", help="machine-readable output")

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

    p = sub.add_parser("run", help="run the task queue headless")
    _add_workspace(p, top=False)
    p.add_argument("--until-idle", action="store_true", help="exit once nothing is queued or running")

    p = sub.add_parser("chat", help="one chat turn, or a line-by-line chat with no message")
    _add_workspace(p, top=False)
    p.add_argument("message", nargs="?", help="the message (omit for a REPL)")
    p.add_argument("--session", default="chat_cli", help="session key (default: chat_cli)")

    p = sub.add_parser("doctor", help="check the model server, the model and tool calling")
    _add_workspace(p, top=False)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command or "tui"
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
    from smallclaw_tui.cli.tui_cmd import run_tui_command

    return run_tui_command(args)


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
    except KeyboardInterrupt:
        return 130
