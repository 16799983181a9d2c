"""Running the `smallclaw` command in-process, as a user would type it."""

from __future__ import annotations

import pytest

from smallclaw_tui.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `smallclaw ARGV…`."""
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse usage errors
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
