"""The web_fetch tool: one GET of an http(s) URL, read as text, bounded in size and time.

Only text is returned (HTML is reduced to its visible text, crudely). A body larger than the limit
is cut at the limit with a note, like a large file in read_file; everything else that goes wrong
(bad URL, non-text content, HTTP error, timeout) is one plain sentence.

By default only public addresses are fetched: the host is resolved before each request, redirects
included, and loopback, private, link-local and other non-public addresses are refused. A page
the model reads could otherwise steer it to this machine's services (the Ollama API) or the LAN
(a router, a cloud metadata endpoint). ``tools.web_fetch_allow_private`` lifts this.

The connection goes to an address that was checked (:class:`CheckedTransport`), never to a second
lookup of the name, which a DNS server could answer differently ("DNS rebinding"). The name still
goes in the Host header and in TLS (SNI), and the certificate is checked for the name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Awaitable, Callable
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
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


def non_public_kind(ip: IPAddress) -> str | None:
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


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses `host` has, in the order the system prefers them, each once."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip not in out:
            out.append(ip)
    return out


class CheckedTransport(httpx.AsyncBaseTransport):
    """Resolves each request's host once, checks the addresses, and connects to one of them.

    httpx sends every request, each redirect included, through its transport, so every hop is
    checked the same way. Unless `allow_private`, a host with any non-public address is refused
    (the connection may use any one of them). A :class:`ToolError` says why.
    """

    def __init__(
        self, *, allow_private: bool, resolve: Resolver = resolve, verify: ssl.SSLContext | bool = True
    ) -> None:
        self._allow_private = allow_private
        self._resolve = resolve
        # No kept-alive connections: a pool keyed by address could carry one host's request over a
        # TLS session made (and verified) for another host at the same address.
        no_pool = httpx.Limits(max_keepalive_connections=0)
        self._inner = httpx.AsyncHTTPTransport(verify=verify, limits=no_pool)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            addresses = await self._resolve(host, port)
        except socket.gaierror as e:
            raise ToolError(f"could not fetch {url}: cannot resolve {host!r} ({e.strerror})") from None
        if not self._allow_private:
            for ip in addresses:
                _refuse_if_local(url, host, ip)
        extensions = dict(request.extensions)
        if url.scheme == "https" and not _is_address(host):
            extensions["sni_hostname"] = host  # TLS names the host and checks its certificate for it
        error: httpx.ConnectError | None = None
        for ip in addresses:
            # The Host header stays the name's: httpx set it when the request was made.
            pinned = httpx.Request(
                request.method,
                url.copy_with(host=str(ip)),
                headers=request.headers,
                stream=request.stream,
                extensions=extensions,
            )
            try:
                return await self._inner.handle_async_request(pinned)
            except httpx.ConnectError as e:
                error = e  # another address of the same host may answer
        raise error or httpx.ConnectError(f"{host} has no address", request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _refuse_if_local(url: httpx.URL, host: str, ip: IPAddress) -> None:
    kind = non_public_kind(ip)
    if kind is None:
        return
    article = "an" if kind[0] in "aeiou" else "a"
    what = f"{ip} is" if host.strip("[]") == str(ip) else f"{host} resolves to {ip},"
    raise ToolError(
        f"refused {url}: {what} {article} {kind} address; web_fetch only reads public sites (a user "
        "can allow local ones with tools.web_fetch_allow_private in their own config)"
    )


async def web_fetch(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    url = _check_url(args["url"])
    limit = ctx.settings.web_fetch_max_bytes
    timeout = ctx.settings.web_fetch_timeout_s
    transport = CheckedTransport(allow_private=ctx.settings.web_fetch_allow_private)
    try:
        # httpx's timeout bounds each read; this bounds the whole fetch, so a trickling server
        # cannot hold the tool for long either.
        async with (
            asyncio.timeout(timeout),
            httpx.AsyncClient(
                timeout=timeout,
                follow_redirects=True,
                headers={"User-Agent": _USER_AGENT},
                transport=transport,
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
