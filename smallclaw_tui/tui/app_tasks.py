"""Task actions: pause, resume, cancel, approve, undo and create, for the selected task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from smallclaw_tui.status import EDITABLE, ChannelKind, TaskOpError, TaskStatus
from smallclaw_tui.tui.app_view import ViewActions
from smallclaw_tui.tui.forms import NewTaskForm, plan_texts
from smallclaw_tui.tui.text import flat

if TYPE_CHECKING:
    from smallclaw_tui.models import Origin, PlanStep, Task
    from smallclaw_tui.tui.screens.approve import Answer


class TaskActions(ViewActions):
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in self.TASK_ACTIONS:
            return True
        task = self.selected_task()
        if task is None:
            return False  # hidden from the footer: 80 columns have no room for what cannot run
        status = task.status
        allowed = {
            "pause_task": status in (TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.NEEDS_ASSISTANCE),
            "resume_task": status in (TaskStatus.PAUSED, TaskStatus.NEEDS_ASSISTANCE, TaskStatus.FAILED),
            "cancel_task": not status.is_final,
            "approve_task": task.pending_approval is not None,
            "undo_task": status not in (TaskStatus.QUEUED, TaskStatus.RUNNING),
            "archive_task": status.is_final,
            "edit_task": status in EDITABLE,
        }[action]
        return allowed

    async def _intent(self, what: str, task_id: str, note: str | None = None) -> bool:
        method = {
            "pause": self.runner.pause,
            "resume": self.runner.resume,
            "cancel": self.runner.cancel,
            "approve": self.runner.approve,
            "deny": self.runner.deny,
        }[what]
        try:
            await method(task_id, note)
        except (TaskOpError, LookupError) as e:
            self.notify(flat(str(e)), severity="error", markup=False)
            return False
        self._bindings_changed()
        return True

    async def action_pause_task(self) -> None:
        task = self.selected_task()
        if task is None:
            return
        running = task.status == TaskStatus.RUNNING
        if await self._intent("pause", task.id) and running:
            self.notify("pausing after the current round", markup=False)

    def action_resume_task(self) -> None:
        from smallclaw_tui.tui.screens.prompts import NoteScreen

        task = self.selected_task()
        if task is None:
            return
        task_id = task.id

        async def resume(note: str | None) -> None:
            if note is not None:
                await self._intent("resume", task_id, note or None)

        self.push_screen(
            NoteScreen(
                Content.assemble("Resume ", (flat(task.title), "bold")),
                "A note for the model (optional): what to do differently. Enter alone resumes as is.",
                placeholder="e.g. the file is under docs/, not notes/",
            ),
            resume,
        )

    def action_cancel_task(self) -> None:
        from smallclaw_tui.tui.screens.prompts import ConfirmScreen

        task = self.selected_task()
        if task is None:
            return
        task_id = task.id

        async def cancel(yes: bool | None) -> None:
            task = self.runner.tasks.get(task_id)
            # A running task is asked (applied at its next safe point): say so, as pause does.
            if yes and await self._intent("cancel", task_id) and task and task.status == TaskStatus.RUNNING:
                self.notify("cancelling after the current round", markup=False)

        self.push_screen(
            ConfirmScreen(
                Content("Cancel this task?"),
                Content.assemble(
                    (flat(task.title), "bold"), f" ({flat(task_id)}) stops for good; files it wrote stay."
                ),
            ),
            cancel,
        )

    def action_undo_task(self) -> None:
        from smallclaw_tui.tui.screens.prompts import ConfirmScreen

        task = self.selected_task()
        if task is None:
            return
        task_id = task.id

        async def undo(yes: bool | None) -> None:
            if not yes:
                return
            try:
                outcome = await self.runner.undo(task_id)
            except (TaskOpError, LookupError) as e:
                self.notify(flat(str(e)), severity="error", markup=False)
                return
            text = flat("; ".join(outcome.lines))
            if outcome.done:
                self.notify(f"undone: {text}", markup=False)
            else:
                self.notify(f"undo refused, nothing changed: {text}", severity="warning", markup=False)

        self.push_screen(
            ConfirmScreen(
                Content("Undo this task's changes?"),
                Content.assemble(
                    "Every file ",
                    (flat(task.title), "bold"),
                    f" ({flat(task_id)}) changed goes back to how it was before it ran. "
                    "A file changed since is left alone, and then nothing is undone.",
                ),
            ),
            undo,
        )

    def action_edit_task(self) -> None:
        from smallclaw_tui.tui.screens.new_task import EditTaskScreen

        task = self.selected_task()
        if task is None:
            return
        task_id = task.id
        steps, checks = plan_texts(task.plan)

        async def save(form: NewTaskForm | None) -> None:
            if form is None:
                return
            from smallclaw_tui.task_edit import TaskEdit

            edit = TaskEdit(goal=form.goal, title=form.title or task.title, steps=form.steps)
            try:
                await self.runner.edit(task_id, edit)
            except (TaskOpError, LookupError, OSError) as e:
                self.notify(flat(str(e)), severity="error", markup=False)
                return
            self._bindings_changed()

        self.push_screen(
            EditTaskScreen(task_id, task.prompt, title=task.title, steps=steps, checks=checks), save
        )

    async def action_archive_task(self) -> None:
        task = self.selected_task()
        if task is None:
            return
        try:
            await self.runner.archive(task.id)
        except (TaskOpError, LookupError, OSError) as e:
            self.notify(flat(str(e)), severity="error", markup=False)
            return
        # Its card is gone: say where it went and how it comes back.
        self.notify(
            f"archived: {flat(task.title)} (smallclaw task unarchive {flat(task.id)} brings it back)",
            markup=False,
        )

    def action_archive_done(self) -> None:
        from smallclaw_tui.tui.screens.prompts import ConfirmScreen

        done = [
            t.id
            for t in self.runner.tasks.values()
            if t.status in (TaskStatus.COMPLETE, TaskStatus.CANCELLED)
        ]
        if not done:
            self.notify("no done or cancelled tasks to archive", markup=False)
            return

        async def archive(yes: bool | None) -> None:
            if not yes:
                return
            moved = 0
            for task_id in done:
                try:
                    await self.runner.archive(task_id)
                    moved += 1
                except (TaskOpError, LookupError, OSError):
                    continue  # resumed or gone meanwhile: it stays where it is
            self.notify(f"archived {moved} task{'s' if moved != 1 else ''}", markup=False)

        self.push_screen(
            ConfirmScreen(
                Content(f"Archive {len(done)} done and cancelled task{'s' if len(done) != 1 else ''}?"),
                Content(
                    "They leave the board and `task list`; `smallclaw task list --archived` shows them "
                    "and `smallclaw task unarchive ID` brings one back."
                ),
            ),
            archive,
        )

    def action_approve_task(self) -> None:
        from smallclaw_tui.tui.screens.approve import ApproveScreen

        task = self.selected_task()
        if task is None or task.pending_approval is None:
            self.notify("this task is not waiting for a command approval", markup=False)
            return
        task_id = task.id

        async def decide(answer: Answer | None) -> None:
            if answer is not None:
                await self._intent(answer, task_id)

        self.push_screen(
            ApproveScreen(
                Content.assemble("Task ", (flat(task.title), "bold"), f" ({flat(task_id)}) wants to run:"),
                task.pending_approval.command,
            ),
            decide,
        )

    def action_new_task(self) -> None:
        from smallclaw_tui.tui.screens.new_task import NewTaskScreen

        self.push_screen(NewTaskScreen(), self._create_from_form)

    async def _create_from_form(self, form: NewTaskForm | None, origin: Origin | None = None) -> None:
        if form is None:
            return
        await self._create_task(form.goal, title=form.title, steps=form.steps, origin=origin)

    async def _create_task(
        self,
        goal: str,
        *,
        title: str | None = None,
        steps: list[PlanStep] | None = None,
        origin: Origin | None = None,
    ) -> Task | None:
        from smallclaw_tui.models import Origin

        try:
            task = await self.runner.create_task(
                goal, title=title, steps=steps or None, origin=origin or Origin(channel=ChannelKind.TUI)
            )
        except (TaskOpError, OSError) as e:
            self.notify(f"could not create the task: {flat(str(e))}", severity="error", markup=False)
            return None
        board = self.board
        if self.runner_ready:
            board.update_tasks({task.id})
            board.select(task.id)
        if not (self.runner_ready and board.display and board.region.area):
            # Only where the new card cannot be seen (the chat alone on a narrow screen).
            self.notify(f"queued: {flat(task.title)}", markup=False)
        return task
