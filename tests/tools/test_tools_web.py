"""web_fetch against a real HTTP server on loopback, started here in a thread."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from smallclaw_tui.config import ToolSettings
from smallclaw_tui.tools import ToolContext, ToolError, ToolResult
from smallclaw_tui.tools.web import CheckedTransport, IPAddress, Resolver, html_to_text, non_public_kind

RunTool = Callable[..., Awaitable[ToolResult]]

PAGE = b"""<!doctype html><html><head><title>Hello page</title>
<style>body { color: red }</style><script>var secret = 1;</script></head>
<body><h1>Welcome</h1><p>First &amp; only   paragraph.</p><ul><li>one</li><li>two</li></ul></body></html>"""


class Handler(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []  # every path asked for: a test can tell that nothing got through

    hosts: ClassVar[list[str]] = []  # the Host header of every request

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.hosts.append(self.headers.get("Host", ""))
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
            self._redirect("/plain.txt")
        elif self.path.startswith("/to/"):  # /to/HOST: a redirect to HOST on this server's port
            port = self.headers.get("Host", "").rsplit(":", 1)[-1]
            self._redirect(f"http://{self.path[4:]}:{port}/plain.txt")
        elif self.path == "/slow":
            time.sleep(2)
            self._send(200, "text/plain", b"late")
        else:
            self._send(404, "text/plain", b"not here")

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

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


@pytest.fixture
def web_ctx(workspace: Path) -> ToolContext:
    # The test server is on loopback, which web_fetch refuses unless the settings allow it.
    settings = ToolSettings(
        web_fetch_allow_private=True,
        web_fetch_max_bytes=50_000,
        web_fetch_timeout_s=0.5,
        output_max_chars=2000,
    )
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


def _resolver(names: dict[str, str], asked: list[str]) -> Resolver:
    """DNS for made-up names: anything else is not found, so nothing can resolve them a second time."""

    async def resolve(host: str, port: int) -> list[IPAddress]:
        asked.append(host)
        if host not in names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(names[host])]

    return resolve


async def test_it_connects_to_the_address_it_checked(server: str) -> None:
    Handler.hosts.clear()
    asked: list[str] = []
    resolve = _resolver({"checked.test": "127.0.0.1"}, asked)
    port = _port(server)
    async with httpx.AsyncClient(transport=CheckedTransport(allow_private=True, resolve=resolve)) as client:
        r = await client.get(f"http://checked.test:{port}/plain.txt")
    # "checked.test" has no DNS: only the checked address can have been used.
    assert r.status_code == 200 and r.text == "plain text, café\n"
    assert asked == ["checked.test"] and Handler.hosts == [f"checked.test:{port}"]
    assert str(r.url) == f"http://checked.test:{port}/plain.txt"


async def test_every_redirect_hop_is_resolved_and_checked_the_same_way(server: str) -> None:
    Handler.hosts.clear()
    asked: list[str] = []
    resolve = _resolver({"first.test": "127.0.0.1", "second.test": "127.0.0.1"}, asked)
    port = _port(server)
    async with httpx.AsyncClient(
        transport=CheckedTransport(allow_private=True, resolve=resolve), follow_redirects=True
    ) as client:
        r = await client.get(f"http://first.test:{port}/to/second.test")
    assert r.status_code == 200 and asked == ["first.test", "second.test"]
    assert Handler.hosts == [f"first.test:{port}", f"second.test:{port}"]

    Handler.hits.clear()
    async with httpx.AsyncClient(transport=CheckedTransport(allow_private=False, resolve=resolve)) as client:
        with pytest.raises(ToolError, match=r"first\.test resolves to 127\.0\.0\.1, a loopback address"):
            await client.get(f"http://first.test:{port}/to/second.test")
    assert Handler.hits == []


async def test_localhost_is_refused_and_allowed_only_by_the_setting(
    server: str, run_tool: RunTool, strict_ctx: ToolContext, web_ctx: ToolContext
) -> None:
    Handler.hits.clear()
    url = f"http://localhost:{_port(server)}/plain.txt"
    refused = await run_tool("web_fetch", strict_ctx, url=url)
    assert not refused.ok and "a loopback address" in refused.output and Handler.hits == []
    fetched = await run_tool("web_fetch", web_ctx, url=url)
    assert fetched.ok and fetched.output.endswith("\nplain text, café\n")
    assert Handler.hits == ["/plain.txt"]


@pytest.mark.parametrize("url", ["http://93.184.215.14/", "https://[2606:4700::1111]:8443/x"])
def test_public_addresses_pass_the_check(url: str) -> None:
    host = httpx.URL(url).host
    assert non_public_kind(ipaddress.ip_address(host)) is None


# --- TLS: the certificate is checked for the host name, though the connection goes to an address ---


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, ssl.SSLContext, list[str]]]:
    """An HTTPS server on loopback with a certificate for "pinned.test" from a CA of its own."""
    d = tmp_path_factory.mktemp("tls")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=Test CA")
    openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=pinned.test")
    (d / "ext.cnf").write_text("subjectAltName=DNS:pinned.test\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
    )
    server_names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(d / "leaf.pem", d / "leaf.key")
    context.sni_callback = lambda _sock, name, _ctx: server_names.append(name or "")
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd.server_address[1], ssl.create_default_context(cafile=str(d / "ca.pem")), server_names
    httpd.shutdown()
    httpd.server_close()


async def test_tls_names_the_host_and_checks_its_certificate(
    tls_server: tuple[int, ssl.SSLContext, list[str]],
) -> None:
    port, trust, server_names = tls_server
    names = {"pinned.test": "127.0.0.1", "other.test": "127.0.0.1"}
    transport = CheckedTransport(allow_private=True, resolve=_resolver(names, []), verify=trust)
    async with httpx.AsyncClient(transport=transport) as client:
        r = await client.get(f"https://pinned.test:{port}/plain.txt")
        assert r.status_code == 200 and r.text == "plain text, café\n"
        assert server_names[-1] == "pinned.test"
        # The same address under a name the certificate does not cover: refused by TLS.
        with pytest.raises(httpx.ConnectError, match="certificate"):
            await client.get(f"https://other.test:{port}/plain.txt")


async def test_ip_literal_refusal_reads_plainly(run_tool: RunTool, strict_ctx: ToolContext) -> None:
    r = await run_tool("web_fetch", strict_ctx, url="http://10.0.0.1/")
    assert r.output.startswith("refused http://10.0.0.1/: 10.0.0.1 is a private address; ")
