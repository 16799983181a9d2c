"""A regex check whose pattern is only a literal is put in words: a small model cannot read
`/\\A\\s*6\\s*\\Z/` (suite line-count: told that, the 1.5B wrote "6 data.csv" twice)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smallclaw_tui.config import ToolSettings
from smallclaw_tui.models import FileContainsCheck, PlanStep, StepStatus, Task
from smallclaw_tui.runner.checks import run_check
from smallclaw_tui.runner.prompts import step_prompt
from smallclaw_tui.tools.base import ToolContext


def _regex(text: str) -> FileContainsCheck:
    return FileContainsCheck(path="count.txt", text=text, regex=True)


@pytest.mark.parametrize("pattern", [r"\A\s*6\s*\Z", r"\A6\n?\Z", r"\A\s*6\s*\z"])
def test_a_pattern_that_wants_the_file_to_be_one_literal_says_so(pattern: str) -> None:
    assert _regex(pattern).describe() == "file count.txt holds only '6'"


@pytest.mark.parametrize("pattern", [r"^6$", r"^\s*6\s*$"])
def test_a_pattern_anchored_at_a_line_says_a_line(pattern: str) -> None:
    """Checks match with `re.MULTILINE` (runner/safe_regex.py): `^` and `$` hold at every line, so
    `^6$` passes a file with other lines too, and "holds only '6'" would be false."""
    assert _regex(pattern).describe() == "file count.txt has a line that is only '6'"


async def test_the_line_wording_holds_for_what_the_check_passes(tmp_path: Path) -> None:
    (tmp_path / "count.txt").write_text("total\n6\n")
    ctx = ToolContext(workspace=tmp_path, settings=ToolSettings())
    passed = await run_check(_regex(r"^6$"), ctx)
    assert passed.passed and passed.detail == "count.txt has a line that is only '6'"
    (tmp_path / "count.txt").write_text("6 data.csv\n")
    failed = await run_check(_regex(r"^6$"), ctx)
    assert not failed.passed
    assert failed.detail == "count.txt has no line that is only '6' (it holds '6 data.csv\\n')"


def test_a_pattern_that_is_a_literal_anywhere_says_contains() -> None:
    assert _regex(r"version 1\.2").describe() == "file count.txt contains 'version 1.2'"


@pytest.mark.parametrize(
    "pattern", [r"\A\d+\Z", r"^6", r"6$", r"\A6$", r"^6\Z", r"a|b", r"v(1|2)", r"x{2}", "[0-9]"]
)
def test_a_real_pattern_is_shown_as_a_pattern(pattern: str) -> None:
    assert _regex(pattern).describe() == f"file count.txt matches /{pattern}/"


async def test_a_failed_whole_file_check_says_what_was_wanted_in_words(tmp_path: Path) -> None:
    (tmp_path / "count.txt").write_text("6 data.csv\n")
    ctx = ToolContext(workspace=tmp_path, settings=ToolSettings())
    failed = await run_check(_regex(r"\A\s*6\s*\Z"), ctx)
    assert not failed.passed
    assert failed.detail == "count.txt does not hold only '6' (it holds '6 data.csv\\n')"
    (tmp_path / "count.txt").write_text("6\n")
    passed = await run_check(_regex(r"\A\s*6\s*\Z"), ctx)
    assert passed.passed and passed.detail == "count.txt holds only '6'"


def test_the_step_prompt_shows_the_check_in_words() -> None:
    task = Task(title="count", prompt="Count the lines of data.csv into count.txt")
    task.plan = [
        PlanStep(
            index=0,
            description="Count the lines of data.csv and write the number to count.txt",
            status=StepStatus.ACTIVE,
            checks=[_regex(r"\A\s*6\s*\Z")],
        )
    ]
    prompt = step_prompt(task)
    assert "file count.txt holds only '6'" in prompt
    assert "\\A" not in prompt
