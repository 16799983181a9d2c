"""The runner knows every file-writing tool as a write: what it records, and which file it names."""

from __future__ import annotations

import pytest

from smallclaw_tui.runner.writes import WRITERS, targets, write_record
from smallclaw_tui.tools import default_registry


def test_every_tool_that_writes_a_file_is_a_writer() -> None:
    assert {"write_file", "edit_file", "append_file", "replace_text", "insert_after"} <= WRITERS
    assert set(default_registry().names()) >= WRITERS


@pytest.mark.parametrize(
    ("name", "args", "record"),
    [
        (
            "write_file",
            {"path": "a.md", "content": "# A\n", "overwrite": True},
            {"wrote": "a.md", "wrote_text": "# A\n"},
        ),
        ("append_file", {"path": "a.md", "text": "- eggs\n"}, {"wrote": "a.md", "wrote_text": "- eggs\n"}),
        # The aliases the tools accept count too (`file` for path, `content` for text).
        ("append_file", {"file": "a.md", "content": "- tea"}, {"wrote": "a.md", "wrote_text": "- tea"}),
        (
            "replace_text",
            {"path": "app.py", "old": "port = 8000", "new": "port = 8080", "all": True},
            {"wrote": "app.py", "wrote_text": "port = 8080", "replaced": "port = 8000"},
        ),
        (
            "replace_text",
            {"file_path": "app.py", "old_str": "a", "new_str": "b"},
            {"wrote": "app.py", "wrote_text": "b", "replaced": "a"},
        ),
        (
            "edit_file",
            {"path": "app.py", "old": "a", "new": "b"},
            {"wrote": "app.py", "wrote_text": "b", "replaced": "a"},
        ),
        (
            "insert_after",
            {"path": "todo.md", "anchor": "- milk", "text": "- eggs"},
            {"wrote": "todo.md", "wrote_text": "- eggs"},
        ),
    ],
)
def test_write_record_and_targets(name: str, args: dict[str, object], record: dict[str, object]) -> None:
    assert write_record(name, args, True) == record
    assert write_record(name, args, False) == {}
    assert targets(name, args) == [record["wrote"]]
