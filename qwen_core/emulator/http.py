"""A minimal HTTP/1.1 server on bare asyncio: keep-alive, one-write responses, chunked streams, TCP_NODELAY.

:class:`HTTPProtocol` parses requests (``Content-Length`` or chunked bodies), hands each complete
:class:`Request` to an async handler together with a :class:`ResponseWriter`, and serves the next request on
the same connection when the handler is done (pipelined requests wait their turn).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus

__all__ = ["MAX_HEAD", "HTTPProtocol", "Handler", "Request", "ResponseWriter"]

MAX_HEAD = 65_536


@dataclass
class Request:
    """One parsed request; header names are lower-case."""

    method: str
    path: str
    query: str
    version: str
    headers: dict[str, str]
    body: bytes

    @property
    def keep_alive(self) -> bool:
        conn = self.headers.get("connection", "").lower()
        return "close" not in conn if self.version == "HTTP/1.1" else "keep-alive" in conn


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _head(status: int, headers: Mapping[str, str], extra: str) -> bytes:
    lines = [f"HTTP/1.1 {status} {_reason(status)}"]
    lines.extend(f"{k}: {v}" for k, v in headers.items())
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode("latin-1")


class ResponseWriter:
    """Writes one response on a connection; respects transport flow control."""

    def __init__(self, protocol: HTTPProtocol, keep_alive: bool) -> None:
        self._proto = protocol
        self.keep_alive = keep_alive
        self.started = False
        self.finished = False

    @property
    def closed(self) -> bool:
        return self._proto.transport is None or self._proto.transport.is_closing()

    def _conn_header(self) -> str:
        return "" if self.keep_alive else "connection: close\r\n"

    def send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        """Send a complete response (head and body) in one write."""
        self.started = self.finished = True
        extra = f"content-length: {len(body)}\r\n" + self._conn_header()
        self._proto.write(_head(status, headers, extra) + body)

    def start_chunked(self, status: int, headers: Mapping[str, str]) -> None:
        """Send the head of a ``Transfer-Encoding: chunked`` response."""
        self.started = True
        self._proto.write(_head(status, headers, "transfer-encoding: chunked\r\n" + self._conn_header()))

    async def chunk(self, data: bytes) -> None:
        """Send one chunk right away (waits while the client is not reading)."""
        if data:
            self._proto.write(b"%x\r\n%b\r\n" % (len(data), data))
            await self._proto.drain()

    def end_chunked(self) -> None:
        """Send the terminating zero-length chunk (the connection can then be reused)."""
        self.finished = True
        self._proto.write(b"0\r\n\r\n")

    def abort(self) -> None:
        """Close the connection now (no more bytes)."""
        self.finished = True
        self.keep_alive = False
        if self._proto.transport is not None:
            self._proto.transport.close()


Handler = Callable[[Request, ResponseWriter], Awaitable[None]]


class HTTPProtocol(asyncio.Protocol):
    """One client connection."""

    def __init__(self, handler: Handler, on_open: Callable[[HTTPProtocol], None],
                 on_close: Callable[[HTTPProtocol], None]) -> None:
        self._handler = handler
        self._on_open = on_open
        self._on_close = on_close
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._task: asyncio.Task[None] | None = None
        self._paused = False
        self._drain_waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._on_open(self)

    def connection_lost(self, exc: Exception | None) -> None:
        transport, self.transport = self.transport, None
        if transport is not None:
            # Closing is a no-op on a lost connection, but it marks the transport closed: Python 3.10's TLS
            # transport is not marked when the peer closes an established session and would warn "unclosed
            # transport" when collected (3.11's rewritten asyncio.sslproto marks it itself).
            transport.close()
            self._on_close(self)
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._wake()

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if self._task is None:
            self._next()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake()

    def _wake(self) -> None:
        waiter, self._drain_waiter = self._drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def drain(self) -> None:
        """Wait until the transport's write buffer is below its high-water mark."""
        if self._paused and self.transport is not None:
            self._drain_waiter = asyncio.get_running_loop().create_future()
            await self._drain_waiter

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _next(self) -> None:
        try:
            request = self._parse()
        except ValueError as exc:
            detail = str(exc).encode()
            extra = f"content-length: {len(detail)}\r\nconnection: close\r\n"
            self.write(_head(400, {"content-type": "text/plain"}, extra) + detail)
            self.close()
            return
        if request is not None:
            self._task = asyncio.get_running_loop().create_task(self._serve(request))

    async def _serve(self, request: Request) -> None:
        writer = ResponseWriter(self, request.keep_alive)
        try:
            await self._handler(request, writer)
        except asyncio.CancelledError:
            return
        except Exception as exc:  # a handler bug: answer 500 rather than hang the client
            if not writer.started:
                writer.keep_alive = False
                writer.send(500, {"content-type": "text/plain"}, f"emulator error: {exc!r}".encode())
            else:
                writer.abort()
        self._task = None
        if not writer.keep_alive or not writer.finished:
            self.close()
        elif self._buf and self.transport is not None:
            self._next()

    def _parse(self) -> Request | None:
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > MAX_HEAD:
                raise ValueError("request head too large")
            return None
        lines = bytes(self._buf[:end]).decode("latin-1").split("\r\n")
        method, target, version = _request_line(lines[0])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise ValueError("malformed header line")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        body_start = end + 4
        parsed = self._body(headers, body_start)
        if parsed is None:
            return None
        body, consumed = parsed
        del self._buf[:consumed]
        path, _, query = target.partition("?")
        return Request(method, path, query, version, headers, body)

    def _body(self, headers: dict[str, str], start: int) -> tuple[bytes, int] | None:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return _dechunk(self._buf, start)
        length = int(headers.get("content-length", "0") or 0)
        if length and headers.get("expect", "").lower() == "100-continue" and len(self._buf) == start:
            self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if len(self._buf) < start + length:
            return None
        return bytes(self._buf[start: start + length]), start + length


def _request_line(line: str) -> tuple[str, str, str]:
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError("malformed request line")
    return parts[0].upper(), parts[1], parts[2]


def _dechunk(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    body = bytearray()
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(bytes(buf[pos:eol]).split(b";")[0] or b"0", 16)
        if size == 0:
            trailer_end = buf.find(b"\r\n\r\n", eol)
            if buf[eol: eol + 4] == b"\r\n\r\n":
                return bytes(body), eol + 4
            return (bytes(body), trailer_end + 4) if trailer_end >= 0 else None
        if len(buf) < eol + 2 + size + 2:
            return None
        body += buf[eol + 2: eol + 2 + size]
        pos = eol + 2 + size + 2
