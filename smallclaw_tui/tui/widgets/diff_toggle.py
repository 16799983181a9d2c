"""What the journal and the diff view share to switch places: the key, its id and the message.

Apart from :mod:`.diffview` so that the journal (drawn in the first frame) does not import the
diff view and Textual's RichLog, which are needed only when a diff is first shown.
"""

from __future__ import annotations

from textual.message import Message

TOGGLE_KEY = "v"
TOGGLE_ID = "detail.diff"


class ToggleDiff(Message):
    """Show the diff in place of the journal, or the journal again (posted by either view)."""
