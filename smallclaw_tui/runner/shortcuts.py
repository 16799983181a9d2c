"""The runner's short ways through a step, each measured against the general one (planner, tool
rounds) on Qwen2.5-Coder-1.5B (bench/real/TUNING.md §10):

* a goal about one file is one step in its own words, without a planner call (:mod:`.one_file_plan`);
* a step that edits or creates one small file is answered as the file's whole text
  (:mod:`.whole_file`);
* the files a goal names that are missing at the start are noted, so that the end can tell an
  input that never existed from an output.
"""

from __future__ import annotations

import asyncio

from smallclaw_tui.agent.events import ToolFinished, ToolStarted
from smallclaw_tui.agent.toolparse import parse_reply
from smallclaw_tui.models import ChatMessage, JournalType, PlanStep, Role, ToolCall
from smallclaw_tui.runner import one_file_plan, owed, verifier, whole_file
from smallclaw_tui.runner.findings import earlier_outputs
from smallclaw_tui.runner.intent import paths_in
from smallclaw_tui.runner.judging import Judging
from smallclaw_tui.runner.listing import workspace_files
from smallclaw_tui.runner.one_file_plan import the_one_file
from smallclaw_tui.runner.peek import named_texts, peek
from smallclaw_tui.runner.recheck import MISSING_AT_START
from smallclaw_tui.runner.turn_journal import TurnJournal
from smallclaw_tui.runner.writes import norm_path

# Enough of the workspace to find the file a goal names by its name alone.
ONE_FILE_LISTING = 400


class Shortcuts(TurnJournal, Judging):
    async def _note_missing_goal_files(self) -> None:
        """Journal, once, the files the goal names that are not in the workspace at the start: at
        the end, one that is still missing and that no step made was an input that never existed
        (the 1.5B appended the words "archive.txt" for "tack archive.txt onto journal.txt")."""
        if any(MISSING_AT_START in e.detail for e in self.task.journal):
            return
        missing = []
        for p in paths_in(self.task.prompt):
            if not p.endswith("/") and await peek(self.s.workspace, p, limit=1) is None:
                missing.append(norm_path(p))
        if missing:
            await self.journal(
                JournalType.NOTE,
                f"not in the workspace yet: {', '.join(missing)}",
                **{MISSING_AT_START: missing},
            )

    async def _one_file_plan(self) -> bool:
        """One step for a goal that names one file (:mod:`.one_file_plan`); False: plan it."""
        goal = self.task.prompt
        files, _more = await asyncio.to_thread(workspace_files, self.s.workspace, ONE_FILE_LISTING)
        path = the_one_file(goal, files)
        # A file to make is left to the planner: its imperative step ("Write .gitignore with the
        # lines …") got the 1.5B to call write_file, the goal's own words ("make a .gitignore that
        # ignores …") got a narrated DONE (TUNING §10, tuning 4).
        if path is None or path not in files:
            return False
        reply = await self._ask_model(
            lambda: self.client.chat(
                [
                    ChatMessage(role=Role.SYSTEM, content=one_file_plan.ASK_SYSTEM),
                    ChatMessage(role=Role.USER, content=one_file_plan.ask_change(goal, path)),
                ],
                None,
                model=self.s.llm.planner_model,
                num_predict=8,
                think=False,
            ),
            "model error while planning",
        )
        await self.journal(JournalType.MODEL, reply.text[:200], role="planner")
        if not one_file_plan.answered_change(reply.text):
            self.looked_at = path
            return False
        await self._one_file_step(path)
        return True

    async def _one_file_step(self, path: str, why: str = "") -> None:
        self.task.plan = [one_file_plan.one_file_step(self.task.prompt, path)]
        self.task.current_step = 0
        await self.journal(JournalType.NOTE, f"plan: the goal is about {path} alone{why}: one edit step")
        await self.save()

    async def _sources(self, step: PlanStep, path: str) -> list[tuple[str, str]]:
        """The files the goal and the step name that exist, other than `path`, with their text
        (at most two, each shown whole): what a file to create may be made from."""
        limit = self.s.runner.prompt_file_chars
        named = paths_in(f"{self.task.prompt}\n{step.description}")
        found = await named_texts(self.s.workspace, named, limit=limit, skip={path})
        return [(src, text) for src, text in found if len(text) <= limit][:2]

    async def _whole_file_round(
        self,
        step: PlanStep,
        path: str,
        text: str | None,
        sampling: tuple[float | None, int | None],
        sources: list[tuple[str, str]],
    ) -> None:
        """The step answered as the file's whole new text (:mod:`.whole_file`), written through
        `write_file` so that the write is checkpointed, journaled and judged like a call. A file
        to create is shown with its `sources` (:meth:`_sources`)."""
        asked = whole_file.prompt(
            self.task.prompt,
            step,
            path,
            text,
            self.task.resume_context.verifier_feedback or "",
            sources,
            found=earlier_outputs(self.task),
        )
        await self.journal(JournalType.PROMPT, asked)
        await self.save()
        temperature, seed = sampling
        room = whole_file.max_tokens([text or "", *(t for _p, t in sources)], self.s.llm.num_predict)
        exchange = [
            ChatMessage(role=Role.SYSTEM, content=whole_file.SYSTEM),
            ChatMessage(role=Role.USER, content=asked),
        ]
        reply = await self._ask_model(
            lambda: self.client.chat(
                exchange, None, num_predict=room, think=False, temperature=temperature, seed=seed
            ),
            "model error",
        )
        exchange.append(ChatMessage(role=Role.ASSISTANT, content=reply.text))
        self.verify_asker = verifier.conversation_asker(self.client, exchange)
        await self.journal(JournalType.MODEL, reply.text[:4000])
        # A call written out ("```json {"name": "write_file", …}```") is not the file's text.
        calls = parse_reply(reply.text, self.deps.tools.names()).calls
        new = (
            owed.text_from_calls(calls)
            if calls
            else whole_file.new_text(reply.text, text or "", [t for _p, t in sources])
        )
        if new is not None and owed.echoes(new, asked, text or "", *(t for _p, t in sources)):
            await self._reject(step, f"the answer repeats the question instead of giving the text of {path}")
            return
        if new is None:
            await self._reject(step, f"the answer held no ``` block with the new text of {path}")
            return
        failed = await self._write_whole(path, text, new)
        if failed is not None:
            await self._reject(step, failed)
            return
        await self._verify(step, f"DONE: wrote the new text of {path}")

    async def _ask_in_session(self, text: str) -> str:
        """One more question at the end of this round's conversation with the worker."""
        reply, _calls = await self.session.follow_up(text, num_predict=verifier.ANSWER_TOKENS)
        return reply

    def _asker_apart(self) -> verifier.Asker:
        """Questions in a conversation of their own that opens with this round's system text and
        tools (kept, so that a re-ask follows the first answer)."""
        messages: list[ChatMessage] = []

        async def send(text: str) -> str:
            messages.append(ChatMessage(role=Role.USER, content=text))
            reply = await self.session.ask_apart(messages, num_predict=verifier.ANSWER_TOKENS)
            messages.append(ChatMessage(role=Role.ASSISTANT, content=reply))
            return reply

        return send

    async def _write_whole(self, path: str, old: str | None, new: str) -> str | None:
        """Write a file's whole new text through `write_file`, journaled and checkpointed like the
        model's own call. None when it was written, else why not."""
        call = ToolCall(name="write_file", arguments={"path": path, "content": new, "overwrite": True})
        key = self.task.session_key
        await self._on_turn_event(ToolStarted(key, call, 1))
        result = await self.deps.tools.execute(call, self.tool_ctx)
        if result.ok:
            # The verifier and the user see what the write changed, not only its byte count: the
            # verifier cites it, and "wrote 88 bytes" proves nothing (it said NO to a right edit).
            result.output += "\n" + whole_file.changed_lines(path, old or "", new)
        await self._on_turn_event(ToolFinished(key, call, result, 1, result.output))
        if not result.ok:
            return f"writing {path} failed: {' '.join(result.output.split())[:160]}"
        return None
