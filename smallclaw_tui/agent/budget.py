"""Context budget: estimate prompt size, keep a conversation inside ``num_ctx``, clip tool output.

Ollama truncates an over-long prompt silently *from the front*, which drops the system prompt
and the tool definitions first — the worst part to lose. So the chat loop trims the history
itself, before sending, in a way it controls: whole old turns go first, the system prompt and
the latest request stay, and a short note tells the model that something was left out.

Token counts are estimated without a tokenizer (none ships with the app, and the model could be
anything): about 3.5 characters per token fits English prose and code for Qwen/Llama-style BPE
vocabularies within ~20%. The server's real count (``prompt_eval_count``) corrects the estimate
over time through a learned ratio (:meth:`TokenEstimator.correct`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from smallclaw_tui.llm.base import ToolSpec
from smallclaw_tui.models import ChatMessage, Role

CHARS_PER_TOKEN = 3.5
# Role markers and separators the chat template wraps around each message (<|im_start|>role\n…).
MESSAGE_OVERHEAD_TOKENS = 4
# Room kept for the "[n earlier messages omitted]" note added after trimming.
_NOTE_RESERVE_TOKENS = 24
_RATIO_MIN, _RATIO_MAX = 0.5, 3.0
# Below this the fixed overheads dominate and a ratio learned from it would mislead.
_MIN_LEARN_TOKENS = 64
# Ollama counts only the prompt tokens it had to evaluate: with the prefix still in its KV cache
# (every round after the first), prompt_eval_count is just the new part. Such a sample says
# nothing about the tokenizer. No tokenizer packs more than ~6 characters per token, so a count
# below 0.6 of the chars/3.5 estimate is read as "cached", not as a ratio to learn.
_MIN_SAMPLE_SKEW = 0.6
_MAX_SAMPLE_SKEW = 2.5
_LEARN_RATE = 0.3


class TokenEstimator:
    """Cheap token counts, corrected by what the server reports."""

    def __init__(self, chars_per_token: float = CHARS_PER_TOKEN, ratio: float = 1.0) -> None:
        self.chars_per_token = chars_per_token
        self.ratio = ratio

    def text(self, text: str) -> int:
        if not text:
            return 0
        return math.ceil(len(text) / self.chars_per_token * self.ratio)

    def message(self, message: ChatMessage) -> int:
        # Thinking is not counted: the chat loop never sends it back.
        size = len(message.content)
        for call in message.tool_calls:
            size += len(call.name) + len(json.dumps(call.arguments, ensure_ascii=False)) + 16
        return math.ceil(size / self.chars_per_token * self.ratio) + MESSAGE_OVERHEAD_TOKENS

    def messages(self, messages: Sequence[ChatMessage]) -> int:
        return sum(self.message(m) for m in messages)

    def tools(self, tools: Sequence[ToolSpec] | None) -> int:
        # Templates render the tool list as JSON inside the system prompt.
        return self.text(json.dumps(list(tools), ensure_ascii=False)) if tools else 0

    def prompt(self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec] | None) -> int:
        return self.messages(messages) + self.tools(tools)

    @staticmethod
    def plausible(estimated: int, actual: int) -> bool:
        """Whether a server count can be the whole prompt (not just its uncached tail)."""
        if estimated <= 0 or actual <= 0:
            return False
        return _MIN_SAMPLE_SKEW <= actual / estimated <= _MAX_SAMPLE_SKEW

    def correct(self, estimated: int, actual: int) -> float:
        """Learn from the server's count for a prompt this estimator sized as ``estimated``.

        Returns the new ratio. Small or implausible samples are ignored.
        """
        if estimated < _MIN_LEARN_TOKENS or actual < _MIN_LEARN_TOKENS:
            return self.ratio
        if not self.plausible(estimated, actual):
            return self.ratio
        skew = actual / estimated
        target = self.ratio * skew
        learned = self.ratio + _LEARN_RATE * (target - self.ratio)
        self.ratio = min(_RATIO_MAX, max(_RATIO_MIN, learned))
        return self.ratio


def omitted_note(count: int) -> str:
    noun = "message" if count == 1 else "messages"
    return f"[{count} earlier {noun} omitted to fit the context window]"


def fit_messages(
    system: ChatMessage | str | None,
    messages: Sequence[ChatMessage],
    tools: Sequence[ToolSpec] | None,
    num_ctx: int,
    reply_budget: int,
    *,
    estimator: TokenEstimator | None = None,
) -> tuple[list[ChatMessage], int]:
    """The messages to send (system first) and how many history messages were left out.

    Oldest turns (a user message and everything up to the next one) are dropped whole. When
    the latest turn alone is too big, its opening request stays and its oldest tool rounds go.
    An assistant tool call and its results are never separated, and the newest round is always
    kept: a model that cannot see the result of its last call will simply make it again.
    """
    est = estimator or TokenEstimator()
    sys_msg = ChatMessage(role=Role.SYSTEM, content=system) if isinstance(system, str) else system
    fixed = est.tools(tools) + (est.message(sys_msg) if sys_msg is not None else 0)
    budget = num_ctx - reply_budget - fixed - _NOTE_RESERVE_TOKENS

    units = _units(messages)
    units = [u for u in units if u[0].role is not Role.TOOL]
    turns = _turns(units)

    def cost(group: list[list[ChatMessage]]) -> int:
        return sum(est.message(m) for unit in group for m in unit)

    kept: list[list[ChatMessage]] = []
    if turns:
        last = turns[-1]
        if cost(last) <= budget:
            kept = list(last)
            remaining = budget - cost(last)
            for turn in reversed(turns[:-1]):
                if cost(turn) > remaining:
                    break
                kept = turn + kept
                remaining -= cost(turn)
        else:
            head, rest = last[0], last[1:]
            tail: list[list[ChatMessage]] = [rest[-1]] if rest else []
            remaining = budget - cost([head]) - cost(tail)
            for unit in reversed(rest[:-1]):
                if cost([unit]) > remaining:
                    break
                tail.insert(0, unit)
                remaining -= cost([unit])
            kept = [head, *tail]

    out = [m for unit in kept for m in unit]
    dropped = len(messages) - len(out)
    if dropped:
        note = omitted_note(dropped)
        if sys_msg is not None:
            sys_msg = sys_msg.model_copy(update={"content": f"{sys_msg.content}\n\n{note}".strip()})
        else:
            sys_msg = ChatMessage(role=Role.SYSTEM, content=note)
    return ([sys_msg] if sys_msg is not None else []) + out, dropped


def _units(messages: Sequence[ChatMessage]) -> list[list[ChatMessage]]:
    """Group messages so that an assistant's tool calls and their results move as one."""
    units: list[list[ChatMessage]] = []
    for m in messages:
        if m.role is Role.TOOL and units and (units[-1][0].role is not Role.USER):
            units[-1].append(m)
        else:
            # A tool result opening a unit lost its call earlier; it is dropped, never sent alone.
            units.append([m])
    return units


def _turns(units: list[list[ChatMessage]]) -> list[list[list[ChatMessage]]]:
    turns: list[list[list[ChatMessage]]] = []
    for unit in units:
        if unit[0].role is Role.USER or not turns:
            turns.append([unit])
        else:
            turns[-1].append(unit)
    return turns


def clip_tool_result(text: str, max_chars: int) -> str:
    """Keep the head and the tail of a long tool result, with a note saying how much was cut.

    Both ends matter: the head says what the output is, the tail usually holds the error or the
    summary line. Cuts snap to line breaks when one is near, so lines are not half shown.
    """
    if len(text) <= max_chars:
        return text
    note_room = 48
    avail = max(0, max_chars - note_room)
    head_len = int(avail * 0.6)
    tail_len = avail - head_len
    head = text[:head_len]
    nl = head.rfind("\n")
    if nl >= head_len * 0.75:
        head = head[: nl + 1]
    tail = text[len(text) - tail_len :] if tail_len else ""
    nl = tail.find("\n")
    if 0 <= nl <= tail_len * 0.25:
        tail = tail[nl + 1 :]
    cut = len(text) - len(head) - len(tail)
    sep = "" if head.endswith("\n") or not head else "\n"
    return f"{head}{sep}[... {cut} of {len(text)} characters cut ...]\n{tail}"
