"""The web_fetch tool: one GET of an http(s) URL, read as text, bounded in size and time.

Only text is returned (HTML is reduced to its visible text, crudely). A body larger than the limit
is cut at the limit with a note, like a large file in read_file; everything else that goes wrong
(bad URL, non-text content, HTTP error, timeout) is one plain sentence.

By default only public addresses are fetched: the host is resolved before each request, redirects
included, and loopback, private, link-local and other non-public addresses are refused. A page
the model reads could otherwise steer it to this machine's services (the Ollama API) or the LAN
(a router, a cloud metadata endpoint). ``tools.web_fetch_allow_private`` lifts this.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx

from smallclaw_tui.tools.args import Param
from smallclaw_tui.tools.base import Tool, ToolContext, ToolError, ToolResult
from smallclaw_tui.tools.text import clip, decode_text, looks_binary

_TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/xhtml+xml",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "application/yaml",
        "application/x-yaml",
        "application/toml",
        "application/x-sh",
        "application/sql",
        "application/csv",
    }
)
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_USER_AGENT = "smallclaw-tui (web_fetch tool)"


def is_text_type(content_type: str) -> bool:
    return (
        content_type.startswith("text/")
        or content_type in _TEXT_TYPES
        or content_type.endswith(("+json", "+xml"))
    )


class _TextExtractor(HTMLParser):
    # Blocks that become line breaks; everything in _SKIP is not visible text at all.
    _BLOCK = frozenset(
        {"p", "div", "br", "hr", "li", "dt", "dd", "tr", "pre", "blockquote", "title"}
        | {"h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "section", "article", "header", "footer"}
    )
    _SKIP = frozenset({"script", "style", "noscript", "template", "svg"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        if not parts.scheme or "://" not in url:
            raise ToolError(f"{url!r} is not a full URL; include http:// or https://, e.g. https://{url}")
        raise ToolError(f"URL scheme {parts.scheme!r} is not supported; web_fetch reads only http and https")
    if not parts.hostname:
        raise ToolError(f"{url!r} has no host name")
    return url


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _non_public_kind(ip: IPAddress) -> str | None:
    """What sort of non-public address `ip` is, or None when it is a public one."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for kind, flag in (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),  # 0.0.0.0 reaches this machine
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("non-public", not ip.is_global),  # shared (100.64/10), reserved, documentation ranges
    ):
        if flag:
            return kind
    return None


async def refuse_local_hosts(request: httpx.Request) -> None:
    """A request hook: raise ToolError unless every address the request's host has is public.

    httpx runs request hooks before every request it sends, each redirect included.
    """
    host = request.url.raw_host.decode("ascii")
    port = request.url.port or (443 if request.url.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise ToolError(f"could not fetch {request.url}: cannot resolve {host!r} ({e.strerror})") from None
    # All of them: the connection may use any one.
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        kind = _non_public_kind(ip)
        if kind is not None:
            article = "an" if kind[0] in "aeiou" else "a"
            what = f"{ip} is" if host.strip("[]") == str(ip) else f"{host} resolves to {ip},"
            raise ToolError(
                f"refused {request.url}: {what} {article} {kind} address; "
                "web_fetch only reads public sites (a user can allow local ones with "
                "tools.web_fetch_allow_private)"
            )


async def web_fetch(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    url = _check_url(args["url"])
    limit = ctx.settings.web_fetch_max_bytes
    timeout = ctx.settings.web_fetch_timeout_s
    # Read with getattr: the setting is optional in ToolSettings, and absent means "public only".
    allow_private = getattr(ctx.settings, "web_fetch_allow_private", False) is True
    hooks: dict[str, list[Any]] = {"request": [] if allow_private else [refuse_local_hosts]}
    try:
        # httpx's timeout bounds each read; this bounds the whole fetch, so a trickling server
        # cannot hold the tool for long either.
        async with (
            asyncio.timeout(timeout),
            httpx.AsyncClient(
                timeout=timeout,
                follow_redirects=True,
                headers={"User-Agent": _USER_AGENT},
                event_hooks=hooks,
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                reason = response.reason_phrase or "error"
                raise ToolError(f"HTTP {response.status_code} {reason} from {response.url}")
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type and not is_text_type(content_type):
                raise ToolError(
                    f"{response.url} is {content_type}, not text; web_fetch only reads text pages"
                )
            body = bytearray()
            cut = False
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    cut = True
                    del body[limit:]
                    break
            final_url = str(response.url)
            charset = response.charset_encoding or "utf-8"
    except (httpx.TimeoutException, TimeoutError):
        raise ToolError(f"timed out after {timeout:g} s fetching {url}") from None
    except httpx.InvalidURL as e:
        raise ToolError(f"invalid URL {url!r}: {e}") from None
    except httpx.HTTPError as e:
        raise ToolError(f"could not fetch {url}: {type(e).__name__}: {e or 'no detail'}") from None
    data = bytes(body)
    # No content type at all: let the bytes decide.
    if not content_type and looks_binary(data):
        raise ToolError(f"{final_url} sent binary data, not text; web_fetch only reads text pages")
    text = decode_text(data, charset)
    if content_type in _HTML_TYPES or (not content_type and "<html" in text[:1000].lower()):
        text = html_to_text(text)
    where = url if final_url == url else f"{url} (redirected to {final_url})"
    header = f"fetched {where}: {content_type or 'unknown type'}, {len(data)} bytes"
    if cut:
        header += f" (stopped at the {limit}-byte limit; the rest was not read)"
    body_text = clip(text, max(0, ctx.settings.output_max_chars - len(header) - 2)) if text else "(empty)"
    return ToolResult(True, f"{header}\n{body_text}")


WEB_FETCH = Tool(
    "web_fetch",
    "Fetch a web page (http or https) as text.",
    (Param("url", "Full URL, starting with http:// or https://."),),
    web_fetch,
)
