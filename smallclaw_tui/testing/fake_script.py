"""What the fake model server's handlers see (:class:`ChatRequest`) and return (:class:`Reply`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Api = Literal["ollama", "openai"]


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat request as the server parsed it (either protocol)."""

    api: Api
    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    # Ollama: body["options"]. OpenAI: the body minus model/messages/tools/stream.
    options: dict[str, Any]
    stream: bool
    think: bool | None
    body: dict[str, Any]
    index: int  # 0 for the first chat request this server got (across restarts)

    @property
    def tool_names(self) -> list[str]:
        names: list[str] = []
        for tool in self.tools:
            fn = tool.get("function", tool)
            if isinstance(fn, dict) and isinstance(fn.get("name"), str):
                names.append(fn["name"])
        return names

    @property
    def last_message(self) -> dict[str, Any]:
        return self.messages[-1] if self.messages else {}

    def texts(self, role: str) -> list[str]:
        """Contents of the messages with `role` ("system", "user", "assistant", "tool")."""
        return [str(m.get("content") or "") for m in self.messages if m.get("role") == role]

    @property
    def last_user_text(self) -> str:
        users = self.texts("user")
        return users[-1] if users else ""

    @property
    def system_text(self) -> str:
        return "\n".join(self.texts("system"))

    @property
    def tool_results(self) -> list[str]:
        return self.texts("tool")


@dataclass(frozen=True, slots=True)
class FakeToolCall:
    """A native tool call in a reply. A str `arguments` is sent verbatim (broken JSON on purpose)."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """What the server sends back for one chat request, and how.

    Streaming order: thinking chunks, text chunks, tool calls, then the final done/usage line.
    Token counts default to a rough estimate (characters / 4).
    """

    text: str = ""
    thinking: str = ""
    tool_calls: Sequence[FakeToolCall] = ()
    # Put thinking inline as <think>…</think> in the content instead of the protocol's own field.
    think_tags: bool = False
    chunk_size: int = 8  # characters per streamed chunk
    chunk_count: int | None = None  # or: split text (and thinking) into this many chunks
    prompt_eval_count: int | None = None
    eval_count: int | None = None
    tokens_per_s: float = 50.0  # sets Ollama eval_duration and llama.cpp timings
    load_s: float = 0.0
    done_reason: str | None = None  # default: "stop" ("tool_calls" on OpenAI with tool calls)
    status: int = 200
    error: str | None = None  # error text sent with a status >= 400
    error_mid_stream: str | None = None  # after the content chunks, an error object; no done
    cut_after_chunks: int | None = None  # close the socket after this many chunks, no final done
    cut_with_reset: bool = False  # when cutting: send a TCP reset instead of a clean close
    delay_first_s: float = 0.0  # before anything is sent (a slow first token / loading model)
    delay_between_s: float = 0.0  # between streamed chunks
    raw_body: str | None = None  # sent verbatim with `status` (for "not the protocol" tests)
    # OpenAI streaming: repeat the call's id and name in every fragment, as llama-cpp-python's
    # server does, instead of only in the first one.
    repeat_tool_head: bool = False

    @classmethod
    def tool(
        cls, name: str, arguments: dict[str, Any] | str | None = None, *, text: str = "", **kw: Any
    ) -> Reply:
        """A reply with one native tool call."""
        return cls(text=text, tool_calls=(FakeToolCall(name, {} if arguments is None else arguments),), **kw)

    @classmethod
    def fail(cls, status: int, error: str = "fake server error") -> Reply:
        return cls(status=status, error=error)


ReplyLike = Reply | str
Handler = Callable[[ChatRequest], ReplyLike]
Step = ReplyLike | Callable[[ChatRequest], ReplyLike]


def as_reply(value: ReplyLike) -> Reply:
    return Reply(text=value) if isinstance(value, str) else value


class ScriptedHandler:
    """Plays replies in order; a step may be a Reply, a str (plain text) or a callable.

    Past the end of the script every request gets a clear error (`exhausted_status`, 400 by
    default, so clients fail at once instead of retrying) and :attr:`exhausted` turns True.
    """

    def __init__(self, steps: Iterable[Step] = (), *, exhausted_status: int = 400) -> None:
        self._steps: list[Step] = list(steps)
        self._lock = threading.Lock()
        self._next = 0
        self.exhausted_status = exhausted_status
        self.exhausted = False

    def extend(self, *steps: Step) -> None:
        with self._lock:
            self._steps.extend(steps)

    @property
    def calls(self) -> int:
        """Requests answered from the script so far."""
        return self._next

    @property
    def remaining(self) -> int:
        return len(self._steps) - self._next

    def __call__(self, request: ChatRequest) -> Reply:
        with self._lock:
            if self._next >= len(self._steps):
                self.exhausted = True
                return Reply.fail(
                    self.exhausted_status,
                    f"fake server: script exhausted after {len(self._steps)} replies "
                    f"(chat request #{request.index + 1})",
                )
            step = self._steps[self._next]
            self._next += 1
        return as_reply(step(request) if callable(step) else step)


def echo_handler(request: ChatRequest) -> Reply:
    """Default handler: answers "ok"."""
    return Reply(text="ok")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or the text when it is not JSON, or None when empty
