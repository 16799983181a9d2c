"""What both loopback fakes (the model server, the Telegram server) need of an HTTP server: a
thread per request, keep-alive, and every open connection tracked so `stop()` can cut them."""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast


class TrackingServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        # Per run: a stop() wakes this run's sleeping handlers without touching a later run's.
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(address, handler)


class TrackingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streams, like the real servers

    @property
    def _tracking(self) -> TrackingServer:
        return cast(TrackingServer, self.server)

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle plus delayed ACK adds
        # ~40 ms to every request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._tracking.conn_lock:
            self._tracking.connections.add(self.connection)

    def handle(self) -> None:
        # A connection dropped on purpose (cut, stop) or by the client is not a server error.
        with contextlib.suppress(OSError, ValueError):
            super().handle()

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self._tracking.conn_lock:
            self._tracking.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean (and the Telegram path holds the token)
