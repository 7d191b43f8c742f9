"""An incremental, byte-split-proof Server-Sent Events decoder for both DashScope stream framings.

Native frames look like ``id:1`` / ``event:result`` / ``:HTTP_STATUS/200`` / ``data:{...}`` (no space after
the colon, sometimes without a blank line between frames); compatible-mode frames are standard
``data: {...}`` lines separated by blank lines and end with ``data: [DONE]``. The decoder accepts both: an
event is dispatched on a blank line, or when a new ``id``/``event`` field starts after data was seen.
It is pure (no I/O), so the sync and async transports share it.
"""

from __future__ import annotations

from typing import Final

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
    """Feed raw bytes as they arrive; get back the events completed so far."""

    __slots__ = ("_buf", "_data", "_event", "_id", "_started", "_status")

    def __init__(self) -> None:
        self._buf = b""
        self._started = False
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._status: int | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Decode ``chunk`` (any split of the stream, even mid-line or mid-character)."""
        buf = self._buf + chunk if self._buf else chunk
        if not self._started:
            if len(buf) < 3 and _BOM.startswith(buf):
                self._buf = buf
                return []
            self._started = True
            if buf.startswith(_BOM):
                buf = buf[3:]
        lines = buf.split(b"\n")
        self._buf = lines.pop()
        events: list[SSEEvent] = []
        for raw in lines:
            self._line(raw, events)
        return events

    def flush(self) -> list[SSEEvent]:
        """Finish the stream: decode a last line without newline and dispatch a pending event."""
        events: list[SSEEvent] = []
        if self._buf:
            raw, self._buf = self._buf, b""
            self._line(raw, events)
        self._dispatch(events)
        return events

    def _line(self, raw: bytes, events: list[SSEEvent]) -> None:
        # hot path (several lines per streamed token): dispatch on byte prefixes, decode only kept values
        if raw[-1:] == b"\r":
            raw = raw[:-1]
        if not raw:
            self._dispatch(events)
        elif raw[:5] == b"data:":
            self._data.append((raw[6:] if raw[5:6] == b" " else raw[5:]).decode("utf-8"))
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
        self._event = None
        self._id = None
        self._status = None


def _value(raw: bytes, start: int) -> str:
    return (raw[start + 1:] if raw[start:start + 1] == b" " else raw[start:]).decode("utf-8")


def _to_int(text: str | bytes) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None
