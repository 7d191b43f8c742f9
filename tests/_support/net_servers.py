"""Real network servers for the transport tests: a recording forward proxy and fault servers, all on loopback.

:class:`ForwardProxy` speaks both proxy forms clients use: ``CONNECT host:port`` (a tunnel, for https targets)
and absolute-form requests (``POST http://host:port/path``, for http targets; forwarded with
``Connection: close``). It records what it saw, and can demand ``Proxy-Authorization``.
"""

from __future__ import annotations

import select
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

_IO_TIMEOUT = 10.0


@dataclass(frozen=True)
class ProxiedRequest:
    method: str
    target: str  # "host:port" for CONNECT, the absolute URL otherwise
    proxy_authorization: str | None


@dataclass
class _ProxyState:
    seen: list[ProxiedRequest] = field(default_factory=list)
    required_auth: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """Bytes up to the blank line ending a request head, and whatever arrived after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65_536)
        if not piece:
            raise ConnectionError("client closed before sending a request head")
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until one side closes."""
    sockets = [a, b]
    while True:
        readable, _, _ = select.select(sockets, [], [], _IO_TIMEOUT)
        if not readable:
            return
        for sock in readable:
            data = sock.recv(65_536)
            if not data:
                return
            (b if sock is a else a).sendall(data)


class _ProxyHandler(socketserver.BaseRequestHandler):
    server: _ProxyServer

    def handle(self) -> None:
        client: socket.socket = self.request
        client.settimeout(_IO_TIMEOUT)
        head, rest = _read_head(client)
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
        state = self.server.state
        with state.lock:
            state.seen.append(ProxiedRequest(method, target, headers.get("proxy-authorization")))
        if state.required_auth is not None and headers.get("proxy-authorization") != state.required_auth:
            client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n")
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            with socket.create_connection((host, int(port)), timeout=_IO_TIMEOUT) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                if rest:
                    upstream.sendall(rest)
                _pipe(client, upstream)
            return
        self._forward(client, method, target, header_lines, rest)

    def _forward(self, client: socket.socket, method: str, target: str, header_lines: list[str], rest: bytes) -> None:
        url = urlsplit(target)
        kept = [h for h in header_lines if not h.lower().startswith(("proxy-", "connection:"))]
        origin = url.path + (f"?{url.query}" if url.query else "")
        head = "\r\n".join([f"{method} {origin} HTTP/1.1", *kept, "Connection: close", "", ""]).encode("latin-1")
        with socket.create_connection((url.hostname or "", url.port or 80), timeout=_IO_TIMEOUT) as upstream:
            upstream.sendall(head + rest)
            _pipe(client, upstream)


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: _ProxyState) -> None:
        self.state = state
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class ForwardProxy:
    """A recording HTTP forward proxy on ``127.0.0.1`` (ephemeral port), run in a background thread.

    Example::

        with ForwardProxy() as proxy:
            client = QwenClient(api_key="sk", base_url=emu.base_url, proxy=proxy.url)
            ...
            assert proxy.seen[0].method == "POST"
    """

    def __init__(self, *, user: str | None = None, password: str | None = None) -> None:
        import base64

        auth = None
        if user is not None:
            auth = "Basic " + base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
        self._state = _ProxyState(required_auth=auth)
        self._server = _ProxyServer(self._state)
        self._thread = threading.Thread(target=self._server.serve_forever, name="test-proxy", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def seen(self) -> list[ProxiedRequest]:
        with self._state.lock:
            return list(self._state.seen)

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


class ResettingServer:
    """Accepts connections, reads a little and resets them (``SO_LINGER`` 0): a connection reset by the peer."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="test-reset", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _serve(self) -> None:
        import struct

        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(_IO_TIMEOUT)
                _read_head(conn)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def __enter__(self) -> ResettingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._listener.close()


def refused_url() -> str:
    """An http URL on a loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
