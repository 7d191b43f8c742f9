"""Pieces both transports share: turning an error answer into a typed error, and the stream parser."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from qwen_core.errors import APIStatusError
from qwen_core.protocols._errors import retry_after_seconds
from qwen_core.sse import SSEDecoder
from qwen_core.sse import SSEEvent as SSEEvent
from qwen_core.types import ChatDelta

#: Maps an error answer (status, body, lower-case headers) to a typed error; each protocol provides one.
ErrorParser = Callable[[int, bytes, Mapping[str, str]], APIStatusError]
EventParser = Callable[[SSEEvent], tuple[ChatDelta, ...]]

#: Pool limits: enough for heavy fan-out, bounded so 1,000 concurrent calls never open 1,000 sockets.
MAX_CONNECTIONS = 100
KEEPALIVE_EXPIRY = 30.0


def status_error(parse_error: ErrorParser, status: int, body: bytes, headers: Mapping[str, str]) -> APIStatusError:
    """The typed error for an error answer, with the service's ``Retry-After`` attached."""
    error = parse_error(status, body, headers)
    error.retry_after = retry_after_seconds(headers)
    return error


class StreamParser:
    """Bytes in, chat deltas out: SSE decoding plus the protocol's event parser. Shared by sync and async."""

    __slots__ = ("_decoder", "_parse")

    def __init__(self, parse_event: EventParser) -> None:
        self._decoder = SSEDecoder()
        self._parse = parse_event

    def feed(self, chunk: bytes) -> list[ChatDelta]:
        events = self._decoder.feed(chunk)
        if not events:
            return []
        parse = self._parse
        if len(events) == 1:
            return list(parse(events[0]))
        return [delta for event in events for delta in parse(event)]

    def flush(self) -> list[ChatDelta]:
        return [delta for event in self._decoder.flush() for delta in self._parse(event)]
