"""Synchronous transport on one pooled ``urllib3.PoolManager`` per transport and process (created on first use).

Why urllib3 and not httpx: measured against the emulator on our 2-core machines, one POST costs about 0.48 ms
of CPU with urllib3 against 0.92 ms with httpx (whose per-response cookie extraction and model layers dominate);
see ``benchmarks/transport_cpu.py``. A user's own ``httpx.Client`` is still honoured (``own_client.py``).
urllib3 pools keep-alive connections per host and streams chunked responses chunk by chunk.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Generator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from qwen_core.protocols.base import WireRequest
from qwen_core.retry import RetryPolicy
from qwen_core.settings import QwenSettings
from qwen_core.transport._common import ErrorParser, status_error
from qwen_core.transport.base import MAX_CONNECTIONS, BaseTransport

if TYPE_CHECKING:
    import urllib3

__all__ = ["SyncTransport"]

_READ_SIZE = 65_536
#: Bounded drain of an abandoned stream: the rest is read while it keeps arriving (no gap over _DRAIN_GAP
#: seconds), at most _DRAIN_BYTES in _DRAIN_SECONDS; a complete answer puts the connection back in the pool,
#: anything else (a service still generating) closes it.
_DRAIN_BYTES = 262_144
_DRAIN_GAP = 0.01
_DRAIN_SECONDS = 0.1


class SyncTransport(BaseTransport):
    """Sends requests over pooled keep-alive connections (urllib3); retries before the first byte only."""

    def __init__(self, settings: QwenSettings, policy: RetryPolicy | None = None) -> None:
        super().__init__(settings, policy)
        self._pool: urllib3.PoolManager | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._default_timeout: urllib3.Timeout | None = None
        self._lock = threading.Lock()

    def _timeout_types(self) -> tuple[type[BaseException], ...]:
        import urllib3.exceptions as u3

        return (*super()._timeout_types(), u3.TimeoutError)

    def _http(self) -> urllib3.PoolManager:
        pool = self._pool
        if pool is not None and not self._forked():
            return pool
        return self._open_pool(forked=pool is not None)

    def _open_pool(self, *, forked: bool) -> urllib3.PoolManager:
        if forked:
            self._abandon_parent_pool()
        with self._lock:
            if self._pool is None:
                self._pool, self._default_timeout = self._new_pool()
                self._pid = os.getpid()
                # A transport dropped without close() still closes its sockets (no ResourceWarning).
                self._finalizer = weakref.finalize(self, self._pool.clear)
            return self._pool

    def _abandon_parent_pool(self) -> None:
        """In a forked child: close this process's copies of the parent's sockets and forget its pool."""
        self._lock = threading.Lock()  # another thread may have held the parent's lock at fork time
        pool, self._pool = self._pool, None
        if self._finalizer is not None:
            self._finalizer.detach()
        # No locks (a parent's thread may have held one at fork time; none runs here): the plain containers.
        host_pools = getattr(getattr(pool, "pools", None), "_container", {})
        for host_pool in list(host_pools.values()):
            for conn in list(getattr(getattr(host_pool, "pool", None), "queue", ())):
                if conn is not None:
                    conn.close()  # this process's copy of the socket; the parent's connection lives on

    def _new_pool(self) -> tuple[urllib3.PoolManager, urllib3.Timeout]:
        import urllib3

        settings = self._settings
        timeout = urllib3.Timeout(connect=settings.connect_timeout, read=settings.timeout)
        options: dict[str, Any] = {
            "num_pools": 4,
            "maxsize": MAX_CONNECTIONS,
            "block": True,  # bounded: a burst of threads waits for a free connection instead of opening more
            "timeout": timeout,
            "retries": False,  # the one retry layer is ours
        }
        if settings.root_url.startswith("https:") or settings.proxy is not None:
            context = self._ssl_context()
            # cert_reqs as the context says: urllib3 would otherwise overwrite the context's verify_mode
            options.update(ssl_context=context, cert_reqs=context.verify_mode)
        if settings.proxy is not None:
            proxy_context = options.get("ssl_context") if settings.proxy.startswith("https:") else None
            pool: urllib3.PoolManager = urllib3.ProxyManager(
                settings.proxy, proxy_headers=self._proxy_headers(), proxy_ssl_context=proxy_context, **options
            )
        else:
            pool = urllib3.PoolManager(**options)
        return pool, timeout

    def _timeout(self, wire: WireRequest, deadline: float | None) -> urllib3.Timeout | None:
        if wire.timeout is None and deadline is None:
            return self._default_timeout
        import urllib3

        connect, read = self._timeouts(wire, deadline)
        return urllib3.Timeout(connect=connect, read=read)

    def send(self, wire: WireRequest, parse_error: ErrorParser) -> bytes:
        """POST ``wire`` and return the body of a 2xx answer; raise the typed error otherwise."""
        return self._retrying(lambda deadline: self._send_once(wire, parse_error, deadline), self._deadline())

    def stream(self, wire: WireRequest, parse_error: ErrorParser) -> Generator[bytes, None, None]:
        """POST ``wire`` and yield the body bytes of a 2xx streamed answer as they arrive.

        Retries happen only while opening the stream; once bytes were yielded nothing is retried. The
        connection goes back to the pool when the stream ends, or when it is closed early and the rest of
        the answer is already there (bounded drain); otherwise it is closed.
        """
        deadline = self._deadline()
        response = self._retrying(lambda left: self._open_once(wire, parse_error, left), deadline)
        chunks = _chunks(response)  # held here: dropping a half-read urllib3 chunk iterator closes the connection
        finished = False
        try:
            with self._io():
                for chunk in chunks:
                    yield chunk
                    if deadline is not None:
                        _set_read_timeout(response, min(self._settings.timeout, self._remaining(deadline)))
            finished = True
        finally:
            if not finished and not _drained(response, chunks):
                response.close()
            response.release_conn()

    def close(self) -> None:
        """Close pooled connections. The transport reopens a pool if used again."""
        if self._pool is not None and self._forked():
            self._abandon_parent_pool()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.clear()

    def _send_once(self, wire: WireRequest, parse_error: ErrorParser, deadline: float | None) -> bytes:
        with self._io():
            response = self._http().urlopen(wire.method, wire.url, body=wire.body, headers=wire.headers,
                                            redirect=False, retries=False, timeout=self._timeout(wire, deadline))
        if response.status < 300:
            return response.data
        raise status_error(parse_error, response.status, response.data, _lower(response.headers))

    def _open_once(self, wire: WireRequest, parse_error: ErrorParser, deadline: float | None
                   ) -> urllib3.BaseHTTPResponse:
        with self._io():
            response = self._http().urlopen(wire.method, wire.url, body=wire.body, headers=wire.headers,
                                            redirect=False, retries=False, preload_content=False,
                                            timeout=self._timeout(wire, deadline))
        if response.status < 300:
            return response
        try:
            with self._io():
                body = response.read()
        finally:
            response.release_conn()
        raise status_error(parse_error, response.status, body, _lower(response.headers))


def _chunks(response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    if response.chunked:
        yield from response.read_chunked(decode_content=True)
    else:
        while chunk := response.read1(_READ_SIZE):
            yield chunk


def _set_read_timeout(response: urllib3.BaseHTTPResponse, seconds: float) -> None:
    sock = getattr(response.connection, "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def _drained(response: urllib3.BaseHTTPResponse, chunks: Iterator[bytes]) -> bool:
    """Read the rest of an abandoned answer if it is already arriving (bounded); True when it is complete."""
    if getattr(response.connection, "sock", None) is None:
        return False
    try:
        _set_read_timeout(response, _DRAIN_GAP)
        budget, give_up = _DRAIN_BYTES, time.monotonic() + _DRAIN_SECONDS
        for piece in chunks:
            budget -= len(piece)
            if budget < 0 or time.monotonic() > give_up:
                return False
    except Exception:  # a timeout or a broken connection: it is closed, nothing else to report
        return False
    return True


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
