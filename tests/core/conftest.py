"""Shared helpers for the protocol-layer tests: recorded captures and a stream runner."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from qwen_core.settings import QwenSettings, SecretStr
from qwen_core.sse import SSEDecoder, SSEEvent
from qwen_core.streaming import StreamAccumulator
from qwen_core.types import ChatDelta, ChatResult
from tests._support.constants import API_KEY, CAPTURES

Parser = Callable[[SSEEvent], tuple[ChatDelta, ...]]


def capture(name: str) -> bytes:
    """The recorded response body of capture ``name`` (bytes as received, BOM included)."""
    return (CAPTURES / f"{name}.response.body.txt").read_bytes()


def run_stream(parser: Parser, pieces: Iterable[bytes]) -> ChatResult:
    """Feed ``pieces`` through the SSE decoder, ``parser`` and one accumulator."""
    decoder = SSEDecoder()
    accumulator = StreamAccumulator()
    for piece in pieces:
        for event in decoder.feed(piece):
            for delta in parser(event):
                accumulator.add(delta)
    for event in decoder.flush():
        for delta in parser(event):
            accumulator.add(delta)
    return accumulator.result()


@pytest.fixture(name="capture")
def capture_fixture() -> Callable[[str], bytes]:
    return capture


@pytest.fixture(name="run_stream")
def run_stream_fixture() -> Callable[[Parser, Iterable[bytes]], ChatResult]:
    return run_stream


@pytest.fixture
def settings() -> QwenSettings:
    return QwenSettings(api_key=SecretStr(API_KEY), root_url="https://dashscope.example")
