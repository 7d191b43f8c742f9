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
_STATUS_COMMENT: Final = ":HTTP_STATUS/"


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
            self._line(raw[:-1] if raw.endswith(b"\r") else raw, events)
        return events

    def flush(self) -> list[SSEEvent]:
        """Finish the stream: decode a last line without newline and dispatch a pending event."""
        events: list[SSEEvent] = []
        if self._buf:
            raw, self._buf = self._buf, b""
            self._line(raw[:-1] if raw.endswith(b"\r") else raw, events)
        self._dispatch(events)
        return events

    def _line(self, raw: bytes, events: list[SSEEvent]) -> None:
        if not raw:
            self._dispatch(events)
            return
        line = raw.decode("utf-8")
        if line[0] == ":":
            if line.startswith(_STATUS_COMMENT):
                self._status = _to_int(line[len(_STATUS_COMMENT):])
            return
        name, sep, value = line.partition(":")
        if sep and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            if self._data:
                self._dispatch(events)
            self._event = value
        elif name == "id":
            if self._data:
                self._dispatch(events)
            self._id = value
        elif name == "status":
            self._status = _to_int(value)

    def _dispatch(self, events: list[SSEEvent]) -> None:
        if self._data:
            data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
            events.append(SSEEvent(data, self._event, self._id, self._status))
        self._data = []
        self._event = None
        self._id = None
        self._status = None


def _to_int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None
