"""Turn wire failures into the three :class:`LLMError` kinds callers act on.

The rule callers rely on: :class:`TransportError` means "the server may come back, retry with
backoff"; :class:`ModelError` means "the server answered and said no, retrying the same request
will not help"; :class:`ResponseParseError` means "that was not the protocol". Every message is one
line that names the URL, so it can go straight into a status bar, a journal or a Telegram message.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import httpx

from smallclaw_tui.llm.base import LLMError, ModelError, ResponseParseError, TransportError
from smallclaw_tui.textsafe import redact_url

Api = Literal["ollama", "openai"]

_MAX_DETAIL = 240


def one_line(text: str, limit: int = _MAX_DETAIL) -> str:
    """Collapse whitespace and clip, so a server's error page cannot flood a status line.

    URLs in it lose their password: httpx and servers quote the URL they were given.
    """
    flat = " ".join(redact_url(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def server_error_text(body: str) -> str:
    """The human part of an error body: Ollama's {"error": str}, OpenAI's {"error": {"message"}}."""
    try:
        data = json.loads(body)
    except ValueError:
        return one_line(body)
    if isinstance(data, dict):
        err = data.get("error", data.get("detail", data.get("message")))
        if isinstance(err, dict):
            err = err.get("message", err)
        if err is not None:
            return one_line(err if isinstance(err, str) else json.dumps(err))
    return one_line(body)


def _is_refused(exc: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ConnectionRefusedError):
            return True
        if isinstance(cur, OSError) and cur.errno == errno.ECONNREFUSED:
            return True
        if "connection refused" in str(cur).lower() or "errno 111" in str(cur).lower():
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def _secs(value: float | None) -> str:
    return "the timeout" if value is None else f"{value:g} s"


def transport_error(
    exc: httpx.HTTPError, url: str, *, connect_s: float | None = None, read_s: float | None = None
) -> LLMError:
    """Classify an httpx exception raised while talking to `url`."""
    if isinstance(exc, httpx.ConnectTimeout):
        return TransportError(f"{url}: no connection within {_secs(connect_s)} (is the host up?)")
    if isinstance(exc, httpx.ReadTimeout):
        # A cold model can sit silent for a long time before its first token.
        return TransportError(
            f"{url}: no data for {_secs(read_s)} (model still loading or server stuck; "
            "raise llm.read_timeout_s if the model is just slow)"
        )
    if isinstance(exc, httpx.TimeoutException):
        return TransportError(f"{url}: timed out ({type(exc).__name__})")
    if isinstance(exc, httpx.UnsupportedProtocol):
        # A typo in base_url never fixes itself: not retryable.
        return LLMError(f"{url}: not an http(s) URL; check llm.base_url")
    if isinstance(exc, httpx.ConnectError):
        if _is_refused(exc):
            return TransportError(f"{url}: connection refused (is the model server running?)")
        return TransportError(f"{url}: cannot connect: {one_line(str(exc)) or type(exc).__name__}")
    if isinstance(exc, httpx.RemoteProtocolError):
        return TransportError(f"{url}: the server closed the connection mid-reply ({one_line(str(exc))})")
    if isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.CloseError):
        return TransportError(f"{url}: connection reset or broken ({one_line(str(exc)) or 'no detail'})")
    if isinstance(exc, httpx.DecodingError):
        return ResponseParseError(f"{url}: undecodable response body ({one_line(str(exc))})")
    if isinstance(exc, httpx.TransportError):
        return TransportError(f"{url}: {type(exc).__name__}: {one_line(str(exc))}")
    return LLMError(f"{url}: {type(exc).__name__}: {one_line(str(exc))}")


def status_error(status: int, body: str, *, url: str, model: str, api: Api) -> LLMError:
    """Classify a non-2xx answer. `model` is the model the request asked for."""
    text = server_error_text(body) or "(no error text)"
    if status == 404:
        pull = f"run `ollama pull {model}`"
        hint = pull if api == "ollama" else f"load model '{model}' on the server (for Ollama: {pull})"
        if "model" in text.lower() or api == "ollama":
            return ModelError(f"{url}: model '{model}' not found ({text}); {hint}", status=status)
        return ModelError(f"{url}: 404 not found ({text}); check llm.base_url, or {hint}", status=status)
    if status >= 500 or status in (408, 429):
        return TransportError(f"{url}: server error {status}: {text}", status=status)
    if status in (401, 403):
        return ModelError(f"{url}: not authorized ({status}): {text}; check llm.api_key", status=status)
    return ModelError(f"{url}: request refused ({status}): {text}", status=status)


def stream_cut(url: str) -> TransportError:
    return TransportError(f"{url}: the stream ended before the reply was complete (cut mid-reply)")


def parse_error(url: str, what: str, sample: str) -> ResponseParseError:
    return ResponseParseError(f"{url}: not the {what} protocol: {one_line(sample, 120)!r}")


@contextmanager
def wire_errors(url: str, *, connect_s: float | None = None, read_s: float | None = None) -> Iterator[None]:
    """Re-raise any httpx exception inside the block as the matching :class:`LLMError`."""
    try:
        yield
    except httpx.HTTPError as e:
        raise transport_error(e, url, connect_s=connect_s, read_s=read_s) from e
    except httpx.InvalidURL as e:
        raise LLMError(f"{url}: invalid URL ({e}); check llm.base_url") from e
