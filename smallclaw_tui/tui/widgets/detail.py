"""The detail pane: one task's header, plan, summary, pause reason, pending approval and journal.

The journal is loaded from the store in a worker when a task is opened (the runner keeps list
views without journals); entries that arrive live while it loads are kept and merged after it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import tzinfo
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.events import DescendantFocus
from textual.widgets import Static
from textual.worker import Worker

from smallclaw_tui.status import JournalType, StepStatus, TaskStatus
from smallclaw_tui.textsafe import shown_command
from smallclaw_tui.tui.board_model import STATUS_WORD, step_text
from smallclaw_tui.tui.messages import JournalLoaded
from smallclaw_tui.tui.text import clean, flat, stamp
from smallclaw_tui.tui.widgets.blocklog import Block
from smallclaw_tui.tui.widgets.diff_toggle import ToggleDiff
from smallclaw_tui.tui.widgets.journal import JournalView, entry_key

if TYPE_CHECKING:
    from smallclaw_tui.models import JournalEntry, Task
    from smallclaw_tui.tui.widgets.diffview import DiffLoader, DiffView

JournalLoader = Callable[[str], Awaitable[list["JournalEntry"]]]
_NOTHING = "Pick a task on the board (arrows or h/j/k/l, Enter), or press n for a new one."

STATUS_STYLE = {
    TaskStatus.QUEUED: "$text-muted",
    TaskStatus.RUNNING: "bold $accent",
    TaskStatus.PAUSED: "bold $warning",
    TaskStatus.NEEDS_ASSISTANCE: "bold $warning",
    TaskStatus.COMPLETE: "bold $success",
    TaskStatus.FAILED: "bold $error",
    TaskStatus.CANCELLED: "$text-muted",
}
_STEP_MARK = {
    StepStatus.DONE: ("✓", "$success"),
    StepStatus.SKIPPED: ("-", "$text-muted"),
    StepStatus.ACTIVE: ("▶", "bold $accent"),
    StepStatus.PENDING: ("·", "$text-muted"),
}


def header_content(task: Task) -> Content:
    return Content.assemble(
        (flat(task.title), "bold"),
        ("  ", ""),
        (flat(task.id), "$text-muted"),
        ("  ", ""),
        (STATUS_WORD[task.status], STATUS_STYLE[task.status]),
        ("  ", ""),
        (step_text(task), ""),
        (f"  round {task.rounds}" if task.rounds else "", "$text-muted"),
    )


def _says_approval(task: Task) -> bool:
    """The pause reason only repeats the "Waiting for approval" line above it."""
    pending = task.pending_approval
    reason = task.pause_reason or ""
    return pending is not None and (
        reason.startswith("waiting for approval") or (bool(pending.command) and pending.command in reason)
    )


def body_content(
    task: Task, tz: tzinfo | None, activity: str | None = None, progress: str | None = None
) -> Content:
    parts: list[str | tuple[str, str]] = []
    origin = task.origin
    where = f"from {origin.channel.value}" + (f" ({flat(origin.session_id)})" if origin.session_id else "")
    parts.append((f"{where} · created {stamp(task.created_at, tz)}\n", "$text-muted"))
    if task.status == TaskStatus.RUNNING and (activity or progress):
        parts.append(("Now: ", "bold $accent"))
        if progress:
            parts.append((progress + ("  " if activity else ""), "$accent"))
        parts.append(((flat(activity) if activity else "") + "\n", "italic"))
    if task.pending_approval is not None:
        parts += [
            ("Waiting for approval: ", "bold $warning"),
            (shown_command(task.pending_approval.command).expandtabs(4), "bold"),
            ("  (press a to review it)\n", "$text-muted"),
        ]
    if task.pause_reason and task.status != TaskStatus.COMPLETE and not _says_approval(task):
        # Paused by the user waits on their choice, not on their help: it says paused.
        label = {TaskStatus.PAUSED: "Paused: ", TaskStatus.NEEDS_ASSISTANCE: "Needs you: "}.get(
            task.status, "Reason: "
        )
        parts += [(label, "bold $warning"), (clean(task.pause_reason) + "\n", "")]
    if task.final_summary:
        parts += [("Summary: ", "bold $success"), (clean(task.final_summary) + "\n", "")]
    parts.append(("Goal: ", "bold"))
    parts.append((clean(task.prompt) + "\n", ""))
    if task.plan:
        parts.append(("Plan\n", "bold"))
        for step in task.plan:
            mark, style = _STEP_MARK[step.status]
            parts.append((f" {mark} ", style))
            parts.append((f"{step.index + 1}. " + clean(flat(step.description)), ""))
            if step.attempts:
                parts.append(
                    (f"  ({step.attempts} failed attempt{'s' if step.attempts != 1 else ''})", "$warning")
                )
            parts.append(("\n", ""))
            for check in step.checks:
                parts.append(("     check: " + clean(flat(check.describe())) + "\n", "$text-muted"))
    else:
        parts.append(("No plan yet: the planner writes one when the task starts.\n", "$text-muted"))
    return Content.assemble(*parts).rstrip()


class DetailInfo(VerticalScroll, can_focus=True):
    """The header's body (plan, summary, reason): scrolls with the arrow and page keys when focused."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.focus_pane('board')", "Back to the board", id="detail.leave", show=False),
    ]


class DetailPane(Vertical):
    DEFAULT_CSS = """
    DetailPane {
        #detail-head { height: 1; padding: 0 1; background: $panel; }
        #detail-info { height: auto; max-height: 45%; padding: 0 1; scrollbar-size-vertical: 1; }
        /* Focused (d twice, or shift+tab from the journal), the plan gets most of the pane. */
        #detail-info:focus { max-height: 80%; background: $boost; }
        #detail-journal, #detail-diff { height: 1fr; min-height: 3; border-top: solid $panel; }
        #detail-diff { display: none; }
        &.-diff #detail-diff { display: block; }
        &.-diff #detail-journal { display: none; }
    }
    """

    def __init__(
        self,
        load_journal: JournalLoader,
        *,
        tz: tzinfo | None = None,
        activity: dict[str, str] | None = None,
        progress_of: Callable[[str], str | None] | None = None,
        load_diff: DiffLoader | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.load_journal = load_journal
        self.load_diff = load_diff  # None: read from the app's own workspace
        self.tz = tz
        self.activity = activity if activity is not None else {}  # live lines, shared with the board
        self.progress_of = progress_of or (lambda _task_id: None)  # "⠹ step 2/3 try 1 · 14s"
        self.task_id: str | None = None
        self._shown: Task | None = None
        self._loading = False
        self._live: list[JournalEntry] = []  # entries that arrived while the journal was loading

    def compose(self) -> ComposeResult:
        yield Static(Content("No task selected"), id="detail-head")
        with DetailInfo(id="detail-info"):
            yield Static(Content(_NOTHING), id="detail-body")
        yield JournalView(tz=self.tz, id="detail-journal")
        # The diff view is made when first asked for (see `diff`): hidden until then, it need
        # not be styled and laid out before the first frame.

    @property
    def journal_loading(self) -> bool:
        return self._loading

    @property
    def journal(self) -> JournalView:
        return self.query_one(JournalView)

    @property
    def diff(self) -> DiffView:
        # Imported here: the diff view (and Textual's RichLog under it) is not needed for the first
        # frame, nor at all until a diff is asked for.
        from smallclaw_tui.tui.widgets.diffview import DiffView

        made = self.query(DiffView)
        if made:
            return made.first()
        view = DiffView(self.load_diff, id="detail-diff")
        self.mount(view)
        return view

    @property
    def diff_shown(self) -> bool:
        return self.has_class("-diff")

    def on_toggle_diff(self, message: ToggleDiff) -> None:
        message.stop()
        if self._shown is None:
            return
        show = not self.diff_shown
        self.set_class(show, "-diff")
        if show:
            self.diff.load(self._shown)
            self.diff.focus()
        else:
            self.journal.focus()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        # The app sends focus to the journal (d, Enter on a card); while the diff stands in its
        # place, that focus belongs to the diff.
        if self.diff_shown and event.widget is self.journal:
            self.diff.focus()

    def show(self, task: Task | None) -> None:
        """Show `task` (None: nothing). Reopening the shown task only refreshes the header."""
        if task is None:
            self.task_id = None
            self._shown = None
            self.query_one("#detail-head", Static).update(Content("No task selected"))
            self.query_one("#detail-body", Static).update(Content(_NOTHING))
            self.journal.clear()
            self._back_to_journal()
            return
        if task.id == self.task_id:
            self.refresh_task(task)
            return
        self.task_id = task.id
        self._back_to_journal()
        self.refresh_task(task)
        self.journal.clear()
        self.journal.expanded_all = False
        self._loading = True
        self._live = []
        self.journal.set_blocks([Block("note", "", "loading the journal…")])
        # On the app, whose one Worker.StateChanged handler reports a failure.
        load = partial(self._load, task.id)
        _: Worker[None] = self.app.run_worker(
            load, group="detail-journal", exclusive=True, exit_on_error=False
        )

    def refresh_task(self, task: Task) -> None:
        if task.id != self.task_id:
            return
        self._shown = task
        head = self.query_one("#detail-head", Static)
        content = header_content(task)
        if not (isinstance(head.content, Content) and content.is_same(head.content)):
            head.update(content, layout=False)
        body = self.query_one("#detail-body", Static)
        content = body_content(task, self.tz, self.activity.get(task.id), self.progress_of(task.id))
        if not (isinstance(body.content, Content) and content.is_same(body.content)):
            body.update(content)
        if self.diff_shown:
            self.diff.load(task)

    def _back_to_journal(self) -> None:
        """Another task opens on its journal: the diff is read only when asked for."""
        if self.diff_shown:
            refocus = self.diff.has_focus
            self.remove_class("-diff")
            if refocus:
                self.journal.focus()
        if self.query("#detail-diff"):  # made (so imported) only once asked for
            self.diff.forget()

    def activity_changed(self, task_ids: set[str]) -> None:
        if self._shown is not None and self._shown.id in task_ids:
            self.refresh_task(self._shown)

    def add_live_entries(self, task_id: str, entries: list[JournalEntry]) -> None:
        if task_id != self.task_id:
            return
        if self._loading:
            self._live.extend(entries)
        else:
            self.journal.add_entries(entries)

    async def _load(self, task_id: str) -> None:
        try:
            entries = await self.load_journal(task_id)
        except Exception as e:  # a vanished or quarantined file: say so, keep the pane usable
            self.post_message(JournalLoaded(task_id, [], error=str(e)))
            return
        self.post_message(JournalLoaded(task_id, entries))

    def on_journal_loaded(self, message: JournalLoaded) -> None:
        message.stop()
        if not self.app.is_running:
            return
        self._loaded(message.task_id, message.entries, message.error)

    def journal_failed(self, error: str) -> None:
        """The loading worker itself failed: the pane says so instead of "loading…" forever."""
        if self._loading and self.task_id is not None:
            self._loaded(self.task_id, [], error)

    def _loaded(self, task_id: str, loaded: list[JournalEntry], error: str | None) -> None:
        if task_id != self.task_id:
            return
        self._loading = False
        entries = list(loaded)
        seen = {entry_key(e) for e in entries[-len(self._live) :]} if self._live else set()
        entries += [e for e in self._live if entry_key(e) not in seen]
        self._live = []
        self.journal.show_entries(entries)
        if error:
            from smallclaw_tui.models import JournalEntry

            self.journal.add_entries([JournalEntry(type=JournalType.ERROR, content=error)])
