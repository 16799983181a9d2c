"""How diff lines are told apart for colouring: by the hunk's line counts, not by how a line looks."""

from __future__ import annotations

from smallclaw_tui.runner.checkpoints import unified
from smallclaw_tui.taskdiff import shown_lines


def test_a_removed_line_that_looks_like_a_file_header_is_still_a_removed_line() -> None:
    diff = unified("notes.md", "keep\n-- old rule\n++ old plus\n", "keep\n-- new rule\n++ new plus")
    kinds = shown_lines(diff)
    assert kinds[:3] == [("file", "--- a/notes.md"), ("file", "+++ b/notes.md"), ("hunk", "@@ -1,3 +1,3 @@")]
    assert ("remove", "--- old rule") in kinds and ("remove", "-++ old plus") in kinds
    assert ("add", "+-- new rule") in kinds and ("add", "+++ new plus") in kinds
    assert kinds[-1] == ("note", "\\ No newline at end of file")


def test_lines_are_made_safe_to_show() -> None:
    diff = unified("a.txt", None, "x\x1b[2Jy\u202ez\n")
    assert ("add", "+x\\x1b[2Jy\\u202ez") in shown_lines(diff)


def test_a_diff_cut_short_ends_in_a_note() -> None:
    diff = (
        unified("a.txt", None, "".join(f"{i}\n" for i in range(10)))[:60] + "\n... [diff cut: 9 more chars]\n"
    )
    assert shown_lines(diff)[-1] == ("note", "... [diff cut: 9 more chars]")
