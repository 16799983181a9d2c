from __future__ import annotations

import pytest

from smallclaw_tui.runner.intent import Intent, intent, mentions


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Add the item '- call bob' after '- buy milk' in notes/todo.md", Intent.ADD),
        ("Append the line 'total: 4' to sorted.txt", Intent.ADD),
        ("Insert the header line 'name,age' at the top of people.csv", Intent.ADD),
        ("Change 'draft' to 'final' in status.txt", Intent.CHANGE),
        ("Set NAME to 'prod' in app.py", Intent.CHANGE),
        ("Rename the key 'user' to 'owner' in app.cfg", Intent.CHANGE),
        ("Replace the content of src/a.txt with the line 'moved to dst/a.txt'", Intent.REPLACE),
        ("Rewrite README.md from scratch", Intent.REPLACE),
        ("Delete old.txt", Intent.REPLACE),
        ("Tidy up notes.md", Intent.REPLACE),  # unknown verb: the lenient reading
        # The first verb that is not negated decides (found in review: "save" and "remove" later in
        # the sentence used to turn an addition into a replacement, excusing everything).
        ("Add the item '- call bob' to todo.md and save it", Intent.ADD),
        ("Append '- call bob' to todo.md; do not remove anything", Intent.ADD),
        ("Don't change anything else; add 'x' to a.txt", Intent.ADD),
        ("Add a function that sorts the list to util.py", Intent.ADD),
        ("Write README.md, then add a second line", Intent.REPLACE),
    ],
)
def test_a_step_says_whether_it_adds_changes_or_replaces(description: str, expected: Intent) -> None:
    assert intent(description) is expected


def test_a_change_whose_object_is_the_file_replaces_it() -> None:
    assert intent("change status.txt to final", "status.txt") is Intent.REPLACE
    assert intent("Update the file notes/a.md to say hi", "notes/a.md") is Intent.REPLACE
    assert intent("Change 'draft' to 'final' in status.txt", "status.txt") is Intent.CHANGE


def test_mentions_ignores_quotes_case_and_spacing() -> None:
    assert mentions("Change 'Draft' to 'final' in status.txt", "'draft'")
    assert not mentions("Change timeout=30 to timeout=60 in app.cfg", "owner=admin")


def test_a_step_names_a_file_only_as_a_whole_word() -> None:
    from smallclaw_tui.runner.intent import names_path

    assert not names_path("Write the total to data.txt", "a.txt")
    assert names_path("Add a line to a.txt.", "a.txt")
    assert names_path("Copy src/a.txt to dst/a.txt", "dst/a.txt")
    assert names_path("Write hello.txt in the greetings folder", "greetings/hello.txt")
