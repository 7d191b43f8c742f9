"""Bytes of a streamed chat answer in, chat deltas out, and the verdict on whether the stream was complete.

Shared by the sync and async clients (only the byte source differs). On top of SSE decoding and the protocol's
event parser it enforces what makes a stream *complete*, per the protocol notes (docs/protocol.md#q1, #q3, #s3-2,
#s4-3):

* native: the last frame carries a real finish reason (not ``None``, ``""`` or the string ``"null"``), and so has
  every choice seen; the server then closes the stream;
* compatible: every choice seen got a finish reason, and ``data: [DONE]`` arrived (the ``include_usage`` chunk,
  ``choices: []``, comes between the two).

Anything else raises a typed error *after* every delta received before it was yielded:
:class:`~qwen_core.errors.IncompleteStreamError` for a stream that ends early (also an empty body), the service's
typed error for a JSON error body that arrives without SSE framing, :class:`~qwen_core.errors.ResponseParseError`
for other non-SSE bodies and invalid UTF-8, :class:`~qwen_core.errors.StreamEventTooLargeError` over the event cap.
Every error raised here carries ``partial``: the :class:`~qwen_core.types.ChatResult` received so far.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Final, Protocol

from qwen_core.errors import APIError, APIStatusError, IncompleteStreamError, QwenError, ResponseParseError
from qwen_core.protocols._json import loads_body, truncate
from qwen_core.sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder, SSEEvent
from qwen_core.streaming import StreamAccumulator
from qwen_core.types import ChatDelta

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "StreamParser", "StreamProtocol"]

_DONE: Final = "[DONE]"
#: Bytes of the body kept until the first event, to explain a body that is not SSE.
_HEAD_BYTES: Final = 4096


class StreamProtocol(Protocol):
    """What the stream parser needs from a wire protocol."""

    @property
    def stream_requires_done(self) -> bool:
        """Whether a complete stream ends with ``data: [DONE]`` (compatible) or just a finish reason (native)."""
        ...

    def parse_stream_event(self, event: SSEEvent) -> tuple[ChatDelta, ...]: ...

    def parse_error(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> APIStatusError: ...


class StreamParser:
    """SSE decoding, event parsing and the end-of-stream verdict for one streamed chat answer."""

    __slots__ = ("_accumulator", "_decoder", "_done", "_head", "_last", "_parse", "_parse_error", "_requires_done")

    def __init__(self, protocol: StreamProtocol, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._decoder = SSEDecoder(max_event_bytes)
        self._parse: Callable[[SSEEvent], tuple[ChatDelta, ...]] = protocol.parse_stream_event
        self._parse_error = protocol.parse_error
        self._requires_done = protocol.stream_requires_done
        self._accumulator = StreamAccumulator()  # what ``partial`` reports; also knows which choices finished
        self._done = False
        self._last: tuple[ChatDelta, ...] = ()  # the deltas of the last event that had any
        self._head: list[bytes] | None = []  # the body's first bytes, until the first event

    def feed(self, chunk: bytes) -> Iterator[ChatDelta]:
        """The deltas of ``chunk``; an error in it is raised after the deltas that precede it."""
        if self._head is not None:
            self._keep_head(chunk)
        events = self._decoder.feed(chunk)
        if events:
            self._head = None
            yield from self._deltas(events)
        error = self._decoder.error
        if error is not None:
            raise self._with_partial(error)

    def flush(self) -> Iterator[ChatDelta]:
        """The deltas of a last unterminated event, then the verdict: raises unless the stream was complete."""
        decoder = self._decoder
        events = decoder.flush()
        if events:
            self._head = None
            yield from self._deltas(events)
        if decoder.error is not None:
            raise self._with_partial(decoder.error)
        if self._head is not None:
            raise self._not_a_stream(b"".join(self._head))
        problem = self._incomplete()
        if problem is not None:
            raise self._with_partial(IncompleteStreamError(f"the stream ended early: {problem}"))

    def _deltas(self, events: list[SSEEvent]) -> Iterator[ChatDelta]:
        parse, add = self._parse, self._accumulator.add
        for event in events:
            try:
                deltas = parse(event)
            except QwenError as exc:
                self._with_partial(exc)
                raise
            if deltas:
                self._last = deltas
                for delta in deltas:
                    add(delta)
                yield from deltas
            elif event.data == _DONE:
                self._done = True

    def _incomplete(self) -> str | None:
        """Why the stream is not complete, or ``None`` when it is."""
        accumulator = self._accumulator
        if not accumulator.started:
            return "no answer arrived" + (" (not even data: [DONE])" if not self._done else "")
        if not accumulator.finished:
            return "a choice never received a finish reason (the answer may be cut off)"
        if self._requires_done:
            return None if self._done else "no 'data: [DONE]' after the finish reason"
        if not any(delta.finish_reason for delta in self._last):
            return "the last frame carries no finish reason"
        return None

    def _keep_head(self, chunk: bytes) -> None:
        head = self._head
        assert head is not None
        if sum(map(len, head)) < _HEAD_BYTES:
            head.append(chunk[:_HEAD_BYTES])

    def _not_a_stream(self, head: bytes) -> QwenError:
        """The error for a body without any SSE event: empty, a JSON (error) body, or something else."""
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
        if not text:
            return self._with_partial(IncompleteStreamError("the stream ended early: the body was empty"))
        try:
            payload = loads_body(text)
        except ResponseParseError:
            payload = None
        if isinstance(payload, Mapping) and ("error" in payload or "code" in payload):
            return self._with_partial(self._parse_error(200, head, None))
        kind = "a JSON body" if payload is not None else "a body"
        return self._with_partial(
            ResponseParseError(
                f"a stream was requested but the service sent {kind} without SSE events: {truncate(text, 200)!r}"
            )
        )

    def _with_partial(self, error: QwenError) -> QwenError:
        if isinstance(error, APIError) and error.partial is None:
            error.partial = self._accumulator.snapshot()
        return error
