"""The httpx plumbing both clients share: timeouts, auth, status checks, error mapping."""

from __future__ import annotations

import json
import ssl
import urllib.request
from collections.abc import AsyncGenerator
from contextlib import AbstractContextManager
from typing import Any, Self

import httpx

from smallclaw_tui.config import LLMSettings
from smallclaw_tui.llm.base import ContextTruncated
from smallclaw_tui.llm.errors import Api, parse_error, status_error, wire_errors
from smallclaw_tui.llm.stream import truncation
from smallclaw_tui.textsafe import redact_url


def _tls_context_for(base_url: str) -> ssl.SSLContext | bool:
    """The usual verified context, unless this client can never speak TLS.

    Loading the CA bundle costs 40-70 ms, on the way to every start of the app and the runner,
    and a local server (`http://127.0.0.1:11434`) never uses it: every request goes to the base
    URL and redirects are not followed. Only a proxy from the environment could still bring TLS
    in, so then the usual context stays. The stand-in trusts no certificate at all: a TLS
    connection through it fails instead of going unverified.
    """
    if not base_url.lower().startswith("http://") or urllib.request.getproxies():
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies hostnames and certificates; trusts none


class HttpClientBase:
    """State and request helpers; subclasses add the wire protocol."""

    api: Api
    protocol_name: str

    def __init__(self, settings: LLMSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.base_url = self._normalize_base_url(settings.base_url)
        self.model = settings.model
        self.num_ctx = settings.num_ctx
        headers = {"Accept": "application/json"}
        if settings.api_key is not None and settings.api_key.get_secret_value():
            headers["Authorization"] = "Bearer " + settings.api_key.get_secret_value()
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s),
            transport=transport,
            verify=_tls_context_for(self.base_url),
        )

    @staticmethod
    def _normalize_base_url(url: str) -> str:
        return url.strip().rstrip("/")

    def url(self, path: str) -> str:
        """The URL as messages name it: errors end up in task files, journals and on screens."""
        return redact_url(self.base_url + path)

    def _wire(self, path: str) -> AbstractContextManager[None]:
        return wire_errors(
            self.url(path),
            connect_s=self.settings.connect_timeout_s,
            read_s=self.settings.read_timeout_s,
        )

    async def _send(
        self, method: str, path: str, *, body: dict[str, Any] | None, model: str, stream: bool
    ) -> httpx.Response:
        """Send and check the status. With stream=True the caller must close the response."""
        with self._wire(path):
            request = self._http.build_request(method, path, json=body)
            response = await self._http.send(request, stream=stream)
            if response.status_code >= 400:
                try:
                    text = (await response.aread()).decode("utf-8", "replace")
                finally:
                    await response.aclose()
                raise status_error(response.status_code, text, url=self.url(path), model=model, api=self.api)
        return response

    async def _json(
        self, method: str, path: str, *, body: dict[str, Any] | None = None, model: str | None = None
    ) -> Any:
        response = await self._send(method, path, body=body, model=model or self.model, stream=False)
        try:
            return response.json()
        except ValueError:
            raise parse_error(self.url(path), self.protocol_name, response.text) from None

    async def _lines(self, response: httpx.Response, path: str) -> AsyncGenerator[str, None]:
        """Non-empty lines of a streamed body; the response is closed when iteration stops."""
        try:
            with self._wire(path):
                async for line in response.aiter_lines():
                    if line.strip():
                        yield line
        finally:
            await response.aclose()

    def _decode(self, line: str, path: str) -> dict[str, Any]:
        try:
            value = json.loads(line)
        except ValueError:
            raise parse_error(self.url(path), self.protocol_name, line) from None
        if not isinstance(value, dict):
            raise parse_error(self.url(path), self.protocol_name, line)
        return value

    def truncation_for(self, prompt_tokens: int) -> ContextTruncated | None:
        return truncation(prompt_tokens, self.num_ctx, self.settings.truncation_margin)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
