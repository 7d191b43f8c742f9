"""The test suite's own fault server (not the emulator): a raw loopback socket server that answers every request
with exactly the bytes, in exactly the writes and timing, a test scripts.

Each response is a list of writes; a ``float`` in the list is a pause (seconds) between writes. The body is
close-delimited (``Connection: close``, no length), so whatever the script writes is the whole body, however it
ends. Binds 127.0.0.1 on an ephemeral port; every socket operation has a timeout.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Literal, Union

Write = Union[bytes, float]
ApiName = Literal["compatible", "dashscope"]

_TIMEOUT = 10.0
DONE = b"data: [DONE]\n\n"


def sse_head(status: int = 200, content_type: str = "text/event-stream;charset=UTF-8") -> bytes:
    """A status line and headers for a close-delimited body."""
    return (
        f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nConnection: close\r\n"
        "x-request-id: fault-0001\r\n\r\n"
    ).encode()


class FaultServer:
    """Serves the scripted response to every request until closed; records the request bodies it received."""

    def __init__(self) -> None:
        self.writes: Sequence[Write] = [sse_head()]
        self.requests: list[bytes] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._sock.getsockname()
        return f"http://{host}:{port}"

    def script(self, body: Sequence[Write], *, head: bytes | None = None) -> None:
        """Answer the next requests with ``head`` (default: 200 SSE headers) and then the ``body`` writes."""
        self.writes = [head if head is not None else sse_head(), *body]

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self._stop.set()
        self._thread.join(timeout=_TIMEOUT)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(_TIMEOUT)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.requests.append(_read_request(conn))
            for write in list(self.writes):
                if isinstance(write, float):
                    time.sleep(write)
                else:
                    conn.sendall(write)
        except OSError:
            pass  # the client went away: nothing to answer
        finally:
            conn.close()


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            return data
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        piece = conn.recv(65536)
        if not piece:
            break
        body += piece
    return body


# -- stream frames in the real framings (docs/protocol.md#s3-2, #s4-3) ------------------------------------------


def native_frame(text: str, finish: str = "null", number: int = 1) -> bytes:
    payload = {
        "output": {"choices": [{"message": {"content": text, "role": "assistant"}, "finish_reason": finish}]},
        "usage": {"input_tokens": 3, "output_tokens": number, "total_tokens": 3 + number},
        "request_id": "req-fault-1",
    }
    data = json.dumps(payload, ensure_ascii=False)
    return f"id:{number}\nevent:result\n:HTTP_STATUS/200\ndata:{data}\n\n".encode()


def compat_frame(text: str, finish: str | None = None) -> bytes:
    payload = {
        "id": "chatcmpl-req-fault-1", "object": "chat.completion.chunk", "model": "qwen-plus",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


def usage_frame() -> bytes:
    payload = {"id": "chatcmpl-req-fault-1", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}
    return f"data: {json.dumps(payload)}\n\n".encode()


def frames(api: ApiName, texts: Sequence[str], *, finish: bool, done: bool = True) -> list[bytes]:
    """A stream of ``texts``, finished by a last frame when ``finish``; compatible ends with [DONE] if ``done``."""
    if api == "dashscope":
        out = [native_frame(text, number=i + 1) for i, text in enumerate(texts)]
        if finish:
            out.append(native_frame("", "stop", len(texts) + 1))
        return out
    out = [compat_frame(text) for text in texts]
    if finish:
        out += [compat_frame("", "stop"), usage_frame()]
    if done:
        out.append(DONE)
    return out
