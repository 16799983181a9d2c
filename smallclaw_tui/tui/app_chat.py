"""The chat pane's side of the app, and the model server's state it depends on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.content import Content

from smallclaw_tui.status import ChannelKind
from smallclaw_tui.tui.app_tasks import TaskActions
from smallclaw_tui.tui.forms import NewTaskForm
from smallclaw_tui.tui.messages import (
    ApprovalRequested,
    ChatStream,
    ChatTurnDone,
    ChatTurnEvent,
    ChatTurnFailed,
    ServerProbed,
)
from smallclaw_tui.tui.text import flat
from smallclaw_tui.tui.widgets.chat_pane import ChatPane, Transcript

if TYPE_CHECKING:
    from smallclaw_tui.models import Origin
    from smallclaw_tui.tui.screens.approve import Answer

SERVER_FIX = (
    "Start Ollama (`ollama serve`) or set SMALLCLAW_LLM__BASE_URL to where your model server runs; "
    "`smallclaw doctor` checks the setup. The board and tasks still work."
)
# Server states the app keeps probing from, until the server answers.
_RETRY_STATES = frozenset({"connecting", "unreachable", "missing model"})


class ChatActions(TaskActions):
    def _chat_origin(self) -> Origin:
        from smallclaw_tui.models import Origin

        return Origin(session_id=self.options.chat_key, channel=ChannelKind.TUI)

    @on(ChatPane.TaskRequested)
    async def _chat_task(self, message: ChatPane.TaskRequested) -> None:
        task = await self._create_task(message.goal, origin=self._chat_origin())
        if task is not None:
            self.chat.show_system(
                f"task {task.id} “{flat(task.title)}” queued; its result will come back here"
            )

    @on(Transcript.ToTask)
    def _message_to_task(self, message: Transcript.ToTask) -> None:
        from smallclaw_tui.tui.screens.new_task import NewTaskScreen

        origin = self._chat_origin()

        async def create(form: NewTaskForm | None) -> None:
            await self._create_from_form(form, origin)

        self.push_screen(
            NewTaskScreen(
                message.text, origin_note="From a chat message; the result comes back to this chat."
            ),
            create,
        )

    def on_approval_requested(self, message: ApprovalRequested) -> None:
        from smallclaw_tui.tools.base import ApprovalDecision  # the tools package: not before the frame
        from smallclaw_tui.tui.screens.approve import ApproveScreen

        answer = message.answer

        def decide(choice: Answer | None) -> None:
            if not answer.done():
                approved = choice == "approve"
                answer.set_result(ApprovalDecision.APPROVED if approved else ApprovalDecision.DENIED)

        self.push_screen(
            ApproveScreen(Content("The chat wants to run:"), message.command, leave_means="deny"), decide
        )

    @on(ChatPane.Sent)
    def _chat_sent(self) -> None:
        self._model_answered()
        self._loading_timer = self.set_timer(self.options.loading_after_s, self._model_slow)

    def _model_slow(self) -> None:
        self._loading_timer = None
        if self.is_running and self.status.info.server == "ready":
            self.status.set(server="loading")

    def _model_answered(self) -> None:
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        if self.status.info.server == "loading":
            self.status.set(server="ready")

    def on_chat_stream(self, message: ChatStream) -> None:
        self._model_answered()

    def on_chat_turn_done(self, message: ChatTurnDone) -> None:
        self._model_answered()

    def on_chat_turn_event(self, message: ChatTurnEvent) -> None:
        from smallclaw_tui.agent.events import ContextInfo, UsageInfo

        event = message.event
        status = self.status
        if isinstance(event, ContextInfo) and event.num_ctx:
            status.set(context_pct=round(100 * event.prompt_tokens / event.num_ctx))
        elif isinstance(event, UsageInfo):
            if event.tokens_per_s is not None:
                status.set(tokens_per_s=event.tokens_per_s)
            self._server_state("ready", "")

    def on_chat_turn_failed(self, message: ChatTurnFailed) -> None:
        if message.unreachable:
            self._server_state("unreachable", message.error)

    # --- server state ---------------------------------------------------------------------------

    def _start_probe(self) -> None:
        """Ask the server, unless it is known to be up or a question is still out."""
        if self._probing or not self.is_running or self.status.info.server not in _RETRY_STATES:
            return
        self._probing = True
        self._probe_server()

    @work(group="probe", exit_on_error=False)
    async def _probe_server(self) -> None:
        from smallclaw_tui.doctor import model_present
        from smallclaw_tui.llm.base import LLMError

        llm = self.settings.llm
        try:
            try:
                names = await self.deps.client.list_models()
            except LLMError as e:
                self.post_message(ServerProbed("unreachable", str(e)))
                return
            if llm.api == "ollama" and not model_present(llm.model, names):
                model = flat(llm.model)
                self.post_message(
                    ServerProbed("missing model", f"{model} is not on the server; run `ollama pull {model}`")
                )
                return
            self.post_message(ServerProbed("ready", ""))
        finally:
            self._probing = False

    def on_server_probed(self, message: ServerProbed) -> None:
        if self.is_running:
            self._server_state(message.state, message.detail)

    def _server_state(self, state: str, detail: str) -> None:
        status = self.status
        was = status.info.server
        status.set(server=state)
        if state == was:
            return
        chat = self.chat
        if state == "unreachable":
            chat.show_system(f"Model server unreachable: {detail}\n{SERVER_FIX}", error=True)
            self.notify(
                "Model server unreachable. Start Ollama or set SMALLCLAW_LLM__BASE_URL; "
                "run `smallclaw doctor`.",
                title="No model server",
                severity="warning",
                markup=False,
                timeout=10,
            )
        elif state == "missing model":
            chat.show_system(detail, error=True)
            self.notify(flat(detail), severity="warning", markup=False, timeout=10)
        elif state == "ready" and was in ("unreachable", "missing model"):
            chat.show_system("Model server is back.")
