"""An incremental, byte-split-proof Server-Sent Events decoder for both DashScope stream framings.

Native frames look like ``id:1`` / ``event:result`` / ``:HTTP_STATUS/200`` / ``data:{...}`` (no space after
the colon, sometimes without a blank line between frames); compatible-mode frames are standard
``data: {...}`` lines separated by blank lines and end with ``data: [DONE]``. The decoder accepts both: an
event is dispatched on a blank line, or when a new ``id``/``event`` field starts after data was seen.
It is pure (no I/O), so the sync and async transports share it.
"""

from __future__ import annotations

from typing import Final

from qwen_core.errors import ResponseParseError, StreamEventTooLargeError

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "SSEDecoder", "SSEEvent"]

#: Largest accepted stream event (its data lines together, or one unfinished line). Real events are far smaller:
#: a native frame with a whole cumulative answer (65,536 tokens) or a web-search frame stays well under 1 MiB.
DEFAULT_MAX_EVENT_BYTES: Final = 16 * 1024 * 1024

_BOM: Final = b"\xef\xbb\xbf"
_STATUS_COMMENT: Final = b":HTTP_STATUS/"


class SSEEvent:
    """One decoded event. ``status`` is the HTTP status the native service writes in its comment line."""

    __slots__ = ("data", "event", "id", "status")

    def __init__(self, data: str, event: str | None = None, id: str | None = None, status: int | None = None) -> None:
        self.data = data
        self.event = event
        self.id = id
        self.status = status

    def __repr__(self) -> str:
        return f"SSEEvent(event={self.event!r}, id={self.id!r}, status={self.status!r}, data={self.data[:60]!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SSEEvent) and (self.data, self.event, self.id, self.status) == (
            other.data, other.event, other.id, other.status
        )


class SSEDecoder:
    """Feed raw bytes as they arrive; get back the events completed so far.

    Linear in the input: an unfinished line is kept as a list of fragments and joined once, when its newline
    arrives (re-concatenating a growing buffer per read made one 32 MiB line cost seconds). One event (its data
    lines, or a single unfinished line) may hold at most ``max_event_bytes``; a larger one raises
    :class:`~qwen_core.errors.StreamEventTooLargeError` instead of growing without bound. Bytes that are not
    UTF-8 raise :class:`~qwen_core.errors.ResponseParseError`.
    """

    __slots__ = ("_data", "_event", "_id", "_max", "_pending", "_pending_size", "_size", "_started", "_status", "error")

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._max = max_event_bytes
        self._pending: list[bytes] = []  # fragments of the unfinished last line
        self._pending_size = 0
        self._size = 0  # bytes of the current event's data lines
        self._started = False
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._status: int | None = None
        #: The error that stopped decoding (the events before it were returned); raised again by later calls.
        self.error: ResponseParseError | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Decode ``chunk`` (any split of the stream, even mid-line or mid-character).

        When a line is invalid (not UTF-8, or over the size cap) the events before it are returned and the error
        is kept in :attr:`error`; the next call raises it.
        """
        if self.error is not None:
            raise self.error
        if not self._started:
            chunk = self._strip_bom(chunk)
        end = chunk.rfind(b"\n")
        if end < 0:
            if chunk:
                try:
                    self._hold(chunk)
                except ResponseParseError as exc:
                    self.error = exc
            return []
        if self._pending:
            self._pending.append(chunk)
            buf = b"".join(self._pending)
            end += len(buf) - len(chunk)
            self._pending, self._pending_size = [], 0
        else:
            buf = chunk
        events: list[SSEEvent] = []
        try:
            for raw in buf[:end].split(b"\n"):
                self._line(raw, events)
            if end + 1 < len(buf):
                self._hold(buf[end + 1:])
        except ResponseParseError as exc:
            self.error = exc
        return events

    def flush(self) -> list[SSEEvent]:
        """Finish the stream: decode a last line without newline and dispatch a pending event (see :meth:`feed`)."""
        if self.error is not None:
            raise self.error
        events: list[SSEEvent] = []
        try:
            if self._pending:
                raw = b"".join(self._pending)
                self._pending, self._pending_size = [], 0
                self._line(raw, events)
            self._dispatch(events)
        except ResponseParseError as exc:
            self.error = exc
        return events

    @property
    def seen_bytes(self) -> bool:
        """Whether any byte (beyond a byte-order mark) arrived."""
        return self._started

    def _strip_bom(self, chunk: bytes) -> bytes:
        held = b"".join(self._pending) + chunk if self._pending else chunk
        if len(held) < 3 and _BOM.startswith(held):
            self._pending, self._pending_size = ([held], len(held)) if held else ([], 0)
            return b""
        self._started = True
        self._pending, self._pending_size = [], 0
        return held[3:] if held.startswith(_BOM) else held

    def _hold(self, fragment: bytes) -> None:
        self._pending.append(fragment)
        self._pending_size += len(fragment)
        if self._pending_size + self._size > self._max:
            raise _too_large(self._max)

    def _line(self, raw: bytes, events: list[SSEEvent]) -> None:
        # hot path (several lines per streamed token): dispatch on byte prefixes, decode only kept values
        if raw[-1:] == b"\r":
            raw = raw[:-1]
        if not raw:
            self._dispatch(events)
        elif raw[:5] == b"data:":
            self._size += len(raw)
            if self._size > self._max:
                raise _too_large(self._max)
            self._data.append(_decode(raw[6:] if raw[5:6] == b" " else raw[5:]))
        elif raw[0] == 58:  # b":": a comment; the native service writes the HTTP status in one
            if raw[:13] == _STATUS_COMMENT:
                self._status = _to_int(raw[13:])
        elif raw[:3] == b"id:":
            if self._data:
                self._dispatch(events)
            self._id = _value(raw, 3)
        elif raw[:6] == b"event:":
            if self._data:
                self._dispatch(events)
            self._event = _value(raw, 6)
        elif raw[:7] == b"status:":
            self._status = _to_int(raw[7:])

    def _dispatch(self, events: list[SSEEvent]) -> None:
        data = self._data
        if data:
            events.append(SSEEvent(data[0] if len(data) == 1 else "\n".join(data), self._event, self._id, self._status))
            self._data = []
            self._size = 0
        self._event = None
        self._id = None
        self._status = None


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ResponseParseError(
            f"the stream is not valid UTF-8 (byte {exc.start} of a line: {raw[max(exc.start - 20, 0):exc.end + 20]!r})"
        ) from None


def _too_large(limit: int) -> StreamEventTooLargeError:
    return StreamEventTooLargeError(
        f"a stream event is larger than {limit} bytes (max_event_bytes); the stream was abandoned"
    )


def _value(raw: bytes, start: int) -> str:
    return _decode(raw[start + 1:] if raw[start:start + 1] == b" " else raw[start:])


def _to_int(text: str | bytes) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None
