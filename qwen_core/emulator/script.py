"""Scripted replies, fault injection and the request log: how tests take exact control of the emulator.

Everything here is plain data plus two thread-safe containers. :class:`Script` holds queued items (FIFO); each
request takes the first item whose filters match it. :class:`RequestLog` records what the server received.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ChatScript",
    "Disconnect",
    "Disobey",
    "DropConnection",
    "Fault",
    "HTTPFault",
    "MalformedJSON",
    "MalformedSSE",
    "ProtocolName",
    "RawResponse",
    "RecordedRequest",
    "RequestLog",
    "Script",
    "ScriptItem",
    "ScriptedReply",
    "ScriptedToolCall",
    "SlowFirstByte",
    "StreamError",
]

ProtocolName = Literal["native", "compatible"]


@dataclass(frozen=True)
class ScriptedToolCall:
    """One tool call of a scripted reply. ``arguments`` may be a dict (JSON-encoded on the wire) or a string."""

    name: str
    arguments: str | Mapping[str, Any] = "{}"
    id: str | None = None

    def arguments_text(self) -> str:
        """The arguments as the JSON string sent on the wire."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(dict(self.arguments), ensure_ascii=False)


@dataclass(frozen=True)
class ScriptedReply:
    """The exact reply of the next chat request (native or compatible); framing stays protocol-correct.

    Attributes:
        text: answer content.
        reasoning: reasoning content (sent before the text, whatever the thinking switch says).
        tool_calls: tool calls to return (names and arguments).
        finish_reason: overrides the computed one (``"stop"``, ``"tool_calls"`` or ``"length"``).
        usage: overrides of usage numbers, e.g. ``{"input_tokens": 5, "output_tokens": 7}`` (native names;
            compatible mode maps them to prompt/completion tokens); ``cached_tokens`` sets the cached input tokens.
        chunks: the exact stream pieces of ``text`` (their concatenation should equal ``text``).
        chunk_size: split ``text`` and ``reasoning`` into pieces of this many characters when streaming.
        search_results: web search results to report (``search_info.search_results`` and ``usage.plugins.search``
            on the native protocol), e.g. ``[{"title": "...", "url": "..."}]``; ``index`` is added when missing.
    """

    text: str = ""
    reasoning: str = ""
    tool_calls: Sequence[ScriptedToolCall] = ()
    finish_reason: str | None = None
    usage: Mapping[str, int] | None = None
    chunks: Sequence[str] | None = None
    chunk_size: int | None = None
    search_results: Sequence[Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class Disobey:
    """Answer the next chat request as the model would, but without what it was told to produce.

    No tool call even when ``tool_choice`` forces one or the instructions demand one, and prose instead of the JSON
    that ``response_format`` or the instructions ask for; reasoning still comes first when the request thinks, and
    the request is validated as usual. Tests use it to reach the retry and non-compliance paths of guided calls.
    """


@dataclass(frozen=True)
class RawResponse:
    """Send these exact bytes as the response (with ``Content-Length``) instead of handling the request."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class HTTPFault:
    """Answer with an error in the protocol's error shape (native JSON or compatible ``{"error": ...}``).

    ``retry_after`` adds a ``Retry-After`` header (seconds).
    """

    status: int = 500
    code: str = "InternalError"
    message: str = "An internal error has occured, please try again later or contact service support."
    retry_after: float | None = None


@dataclass(frozen=True)
class DropConnection:
    """Close the TCP connection before sending any response byte."""


@dataclass(frozen=True)
class Disconnect:
    """Stream ``after_events`` events of the normal reply, then close the connection (no final chunk)."""

    after_events: int = 1


@dataclass(frozen=True)
class StreamError:
    """After ``after_events`` events, send an error event and end the stream.

    Native: ``event:error`` + ``:HTTP_STATUS/<status>`` frame; compatible: a ``data: {"error": ...}`` line.
    """

    after_events: int = 1
    code: str = "DataInspectionFailed"
    message: str = "Output data may contain inappropriate content."
    status: int = 400


@dataclass(frozen=True)
class SlowFirstByte:
    """Wait ``delay`` seconds before sending the first response byte (then respond normally)."""

    delay: float = 1.0


@dataclass(frozen=True)
class MalformedJSON:
    """Send the normal JSON response with a truncated (invalid) body; ``Content-Length`` stays correct."""


@dataclass(frozen=True)
class MalformedSSE:
    """Insert a ``data:`` line that is not valid JSON after ``after_events`` stream events."""

    after_events: int = 0


Fault = HTTPFault | DropConnection | Disconnect | StreamError | SlowFirstByte | MalformedJSON | MalformedSSE
ChatScript = ScriptedReply | Disobey
ScriptItem = ScriptedReply | Disobey | RawResponse | Fault


@dataclass
class _Entry:
    item: ScriptItem
    path: str | None
    protocol: ProtocolName | None


class Script:
    """A thread-safe FIFO of script items; each matching request consumes one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []

    def add(self, items: Sequence[ScriptItem], path: str | None, protocol: ProtocolName | None) -> None:
        """Queue ``items`` in order, each restricted to ``path`` (exact or prefix) and ``protocol``."""
        with self._lock:
            self._entries.extend(_Entry(item, path, protocol) for item in items)

    def take(self, path: str, protocol: ProtocolName, is_chat: bool) -> ScriptItem | None:
        """Pop the first item matching this request (scripted replies only match chat requests)."""
        if not self._entries:
            return None
        with self._lock:
            for i, entry in enumerate(self._entries):
                if entry.path is not None and not path.startswith(entry.path):
                    continue
                if entry.protocol is not None and entry.protocol != protocol:
                    continue
                if isinstance(entry.item, (ScriptedReply, Disobey)) and not is_chat:
                    continue
                del self._entries[i]
                return entry.item
        return None

    def pending(self) -> int:
        """How many items are still queued."""
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received: header names are lower-case; ``json`` is None when the body is not JSON."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    json: Any


class RequestLog:
    """A thread-safe, append-only list of :class:`RecordedRequest` (supports ``len``, indexing, iteration)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def append(self, item: RecordedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def snapshot(self) -> list[RecordedRequest]:
        """A copy of the requests received so far."""
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    @property
    def last(self) -> RecordedRequest:
        """The most recent request (IndexError when none)."""
        with self._lock:
            return self._items[-1]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, index: int) -> RecordedRequest:
        with self._lock:
            return self._items[index]

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())
