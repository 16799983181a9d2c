"""web_fetch against a real HTTP server on loopback, started here in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from smallclaw_tui.config import ToolSettings
from smallclaw_tui.tools import ToolContext, ToolResult
from smallclaw_tui.tools.web import html_to_text

RunTool = Callable[..., Awaitable[ToolResult]]

PAGE = b"""<!doctype html><html><head><title>Hello page</title>
<style>body { color: red }</style><script>var secret = 1;</script></head>
<body><h1>Welcome</h1><p>First &amp; only   paragraph.</p><ul><li>one</li><li>two</li></ul></body></html>"""


class Handler(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []  # every path asked for: a test can tell that nothing got through

    def do_GET(self) -> None:
        self.hits.append(self.path)
        routes = {
            "/page.html": (200, "text/html; charset=utf-8", PAGE),
            "/plain.txt": (200, "text/plain", "plain text, café\n".encode()),
            "/data.json": (200, "application/json", b'{"ok": true}'),
            "/big.txt": (200, "text/plain", b"a" * 100_000),
            "/image.png": (200, "image/png", b"\x89PNG\r\n\x1a\n" + bytes(100)),
            "/untyped": (200, "", b"no type but text"),
        }
        if self.path in routes:
            status, ctype, body = routes[self.path]
            self._send(status, ctype, body)
        elif self.path == "/stream":
            # No Content-Length: the size limit must hold while reading, not from a header.
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"b" * 10_000)
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/plain.txt")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/slow":
            time.sleep(2)
            self._send(200, "text/plain", b"late")
        else:
            self._send(404, "text/plain", b"not here")

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hanging up at the size limit is what these tests ask for


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy set in the developer's environment would swallow loopback requests.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


class LoopbackSettings(ToolSettings):
    # The test server is on loopback, which web_fetch refuses unless the settings allow it.
    web_fetch_allow_private: bool = True


@pytest.fixture
def web_ctx(workspace: Path) -> ToolContext:
    settings = LoopbackSettings(web_fetch_max_bytes=50_000, web_fetch_timeout_s=0.5, output_max_chars=2000)
    return ToolContext(workspace=workspace, settings=settings)


@pytest.fixture
def strict_ctx(workspace: Path) -> ToolContext:
    return ToolContext(workspace=workspace, settings=ToolSettings(web_fetch_timeout_s=2))


async def test_fetch_html_as_text(server: str, run_tool: RunTool, web_ctx: ToolContext) -> None:
    r = await run_tool("web_fetch", web_ctx, url=f"{server}/page.html")
    assert r.ok
    header, text = r.output.split("\n", 1)
    assert header == f"fetched {server}/page.html: text/html, {len(PAGE)} bytes"
    assert text == "Hello page\n\nWelcome\n\nFirst & only paragraph.\n\none\n\ntwo"
    assert "secret" not in r.output and "color" not in r.output


async def test_fetch_plain_json_untyped_and_redirect(
    server: str, run_tool: RunTool, web_ctx: ToolContext
) -> None:
    plain = await run_tool("web_fetch", web_ctx, url=f"{server}/plain.txt")
    assert plain.ok and plain.output.endswith("\nplain text, café\n")
    data = await run_tool("web_fetch", web_ctx, url=f"{server}/data.json")
    assert data.ok and data.output.endswith('\n{"ok": true}')
    untyped = await run_tool("web_fetch", web_ctx, url=f"{server}/untyped")
    assert untyped.ok and untyped.output.endswith("\nno type but text")
    moved = await run_tool("web_fetch", web_ctx, url=f"{server}/redirect")
    assert moved.ok and f"(redirected to {server}/plain.txt)" in moved.output


@pytest.mark.parametrize("path", ["/big.txt", "/stream"])
async def test_size_limit(server: str, run_tool: RunTool, web_ctx: ToolContext, path: str) -> None:
    r = await run_tool("web_fetch", web_ctx, url=server + path)
    assert r.ok
    assert "50000 bytes (stopped at the 50000-byte limit; the rest was not read)" in r.output
    assert len(r.output) <= 2000 and "[clipped " in r.output


async def test_non_text_content_is_refused(server: str, run_tool: RunTool, web_ctx: ToolContext) -> None:
    r = await run_tool("web_fetch", web_ctx, url=f"{server}/image.png")
    assert not r.ok and "is image/png, not text" in r.output and "PNG" not in r.output


async def test_http_error(server: str, run_tool: RunTool, web_ctx: ToolContext) -> None:
    r = await run_tool("web_fetch", web_ctx, url=f"{server}/nope")
    assert not r.ok and r.output == f"HTTP 404 Not Found from {server}/nope"


async def test_timeout(server: str, run_tool: RunTool, web_ctx: ToolContext) -> None:
    start = time.monotonic()
    r = await run_tool("web_fetch", web_ctx, url=f"{server}/slow")
    assert time.monotonic() - start < 1.5
    assert not r.ok and r.output == f"timed out after 0.5 s fetching {server}/slow"


async def test_connection_refused(run_tool: RunTool, web_ctx: ToolContext) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = await run_tool("web_fetch", web_ctx, url=f"http://127.0.0.1:{port}/")
    assert not r.ok and r.output.startswith(f"could not fetch http://127.0.0.1:{port}/: ConnectError")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/file", "scheme 'ftp' is not supported"),
        ("file:///etc/passwd", "scheme 'file' is not supported"),
        ("example.com/page", "not a full URL; include http:// or https://"),
        ("http://", "has no host name"),
    ],
)
async def test_bad_urls(run_tool: RunTool, web_ctx: ToolContext, url: str, message: str) -> None:
    r = await run_tool("web_fetch", web_ctx, url=url)
    assert not r.ok and message in r.output


def test_html_to_text_is_crude_but_readable() -> None:
    assert html_to_text("<p>a<br>b</p><script>x()</script><div>c &lt; d</div>") == "a\nb\n\nc < d"


# --- local addresses ----------------------------------------------------------------------------------


def _port(server: str) -> str:
    return server.rsplit(":", 1)[1]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("{server}/plain.txt", "loopback"),
        ("http://localhost:{port}/plain.txt", "loopback"),
        ("http://LOCALHOST:{port}/plain.txt", "loopback"),
        ("http://2130706433:{port}/plain.txt", "loopback"),  # 127.0.0.1 as one number
        ("http://0x7f.1:{port}/plain.txt", "loopback"),
        ("http://0.0.0.0:{port}/plain.txt", "unspecified"),
        ("http://[::1]:{port}/plain.txt", "loopback"),
        ("http://[::ffff:127.0.0.1]:{port}/plain.txt", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),  # cloud metadata
        ("http://10.0.0.1/", "private"),
        ("http://192.168.1.1/", "private"),
        ("https://172.16.0.1/", "private"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fd00::1]/", "private"),
        ("http://100.64.0.1/", "non-public"),
    ],
)
async def test_local_addresses_are_refused_by_default(
    server: str, run_tool: RunTool, strict_ctx: ToolContext, url: str, kind: str
) -> None:
    Handler.hits.clear()
    url = url.format(server=server, port=_port(server))
    r = await run_tool("web_fetch", strict_ctx, url=url)
    assert not r.ok
    assert f" {kind} address; " in r.output, r.output
    assert "web_fetch only reads public sites" in r.output
    assert "tools.web_fetch_allow_private" in r.output
    assert Handler.hits == []  # refused before connecting, not after


async def test_refusal_names_the_host_and_address(
    server: str, run_tool: RunTool, strict_ctx: ToolContext
) -> None:
    r = await run_tool("web_fetch", strict_ctx, url=f"http://localhost:{_port(server)}/x")
    assert r.output.startswith(f"refused http://localhost:{_port(server)}/x: localhost resolves to ")


async def test_every_redirect_hop_is_checked(server: str, strict_ctx: ToolContext) -> None:
    import httpx

    from smallclaw_tui.tools import ToolError
    from smallclaw_tui.tools.web import refuse_local_hosts

    # httpx calls request hooks for every hop, redirects included; the hook alone must refuse.
    with pytest.raises(ToolError, match="a loopback address"):
        await refuse_local_hosts(httpx.Request("GET", f"{server}/plain.txt"))
    async with httpx.AsyncClient(event_hooks={"request": [refuse_local_hosts]}) as client:
        with pytest.raises(ToolError, match="a loopback address"):
            await client.get(f"{server}/redirect")


@pytest.mark.parametrize("url", ["http://93.184.215.14/", "https://[2606:4700::1111]:8443/x"])
async def test_public_addresses_pass_the_check(url: str) -> None:
    import httpx

    from smallclaw_tui.tools.web import refuse_local_hosts

    await refuse_local_hosts(httpx.Request("GET", url))  # an address literal: no DNS, no network


async def test_ip_literal_refusal_reads_plainly(run_tool: RunTool, strict_ctx: ToolContext) -> None:
    r = await run_tool("web_fetch", strict_ctx, url="http://10.0.0.1/")
    assert r.output.startswith("refused http://10.0.0.1/: 10.0.0.1 is a private address; ")
