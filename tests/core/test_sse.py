from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qwen_core.sse import SSEDecoder, SSEEvent
from tests._support.constants import CAPTURES

SSE_FILES = sorted(CAPTURES.glob("*-sse.response.body.txt"))


def decode(raw: bytes, sizes: list[int] | None = None) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    pos = 0
    for size in sizes or [len(raw)]:
        events += decoder.feed(raw[pos : pos + size])
        pos += size
    events += decoder.feed(raw[pos:])
    return events + decoder.flush()


def test_native_framing_without_blank_lines() -> None:
    raw = b'id:1\nevent:result\n:HTTP_STATUS/200\ndata:{"a":1}\nid:2\nevent:result\n:HTTP_STATUS/200\ndata:{"a":2}\n'
    events = decode(raw)
    assert events == [SSEEvent('{"a":1}', "result", "1", 200), SSEEvent('{"a":2}', "result", "2", 200)]


def test_error_event_status_and_compatible_framing() -> None:
    raw = b'id:1\nevent:error\n:HTTP_STATUS/400\ndata:{"code":"InvalidParameter"}\n\n'
    assert decode(raw) == [SSEEvent('{"code":"InvalidParameter"}', "error", "1", 400)]
    raw = b'data: {"x":1}\r\n\r\n: keep-alive\n\ndata: [DONE]\n\n'
    assert [e.data for e in decode(raw)] == ['{"x":1}', "[DONE]"]


def test_bom_and_multiline_data() -> None:
    raw = "\ufeffdata: a\ndata: b\n\n".encode()
    assert [e.data for e in decode(raw, [1, 1, 1])] == ["a\nb"]


@pytest.mark.parametrize("path", SSE_FILES, ids=lambda p: p.name)
def test_every_byte_split_of_every_capture(path: Path) -> None:
    raw = path.read_bytes()
    whole = decode(raw)
    assert whole, "a capture with no events"
    step = max(1, len(raw) // 400)  # every split point for small files, a dense sample for big ones
    for cut in range(0, len(raw), step):
        assert decode(raw, [cut]) == whole


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=80))
def test_random_chunkings_equal_whole(sizes: list[int]) -> None:
    raw = (CAPTURES / "single-generation-message-with-tools-sse.response.body.txt").read_bytes()
    assert decode(raw, sizes) == decode(raw)
