"""Recorded responses of the real service, replayed over real HTTP by the emulator, read by QwenClient.

The client's result through HTTP (sync and async, JSON and SSE) must equal the pure parse of the same bytes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from qwen_core.client import QwenClient
from qwen_core.emulator import Emulator
from qwen_core.emulator.script import RawResponse
from qwen_core.errors import APIStatusError, AuthenticationError, BadRequestError
from qwen_core.protocols.native import NativeProtocol
from qwen_core.sse import SSEDecoder
from qwen_core.streaming import StreamAccumulator
from qwen_core.types import ChatRequest, ChatResult, Message
from tests._support.constants import CAPTURES

GENERATION = sorted(
    p.name.removesuffix(".response.body.txt")
    for p in CAPTURES.glob("*generation*.response.body.txt")
)
SKIP_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection"}


def response_of(case: str) -> RawResponse:
    head = (CAPTURES / f"{case}.response.header.txt").read_text(encoding="utf-8-sig").splitlines()
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip() and name.strip().lower() not in SKIP_HEADERS:
            headers[name.strip()] = value.strip()
    return RawResponse(status, headers, (CAPTURES / f"{case}.response.body.txt").read_bytes())


def pure_stream_result(body: bytes) -> ChatResult:
    protocol, acc, decoder = NativeProtocol(), StreamAccumulator(), SSEDecoder()
    for event in decoder.feed(body) + decoder.flush():
        for delta in protocol.parse_stream_event(event):
            acc.add(delta)
    return acc.result()


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as server:
        yield server


def request_for(case: str) -> ChatRequest:
    model = "qwen-vl-max" if case.startswith("multimodal") else "qwen-max"
    return ChatRequest(model=model, messages=[Message("user", "replayed")])


def test_there_are_generation_captures() -> None:
    assert len(GENERATION) >= 10


@pytest.mark.parametrize("case", GENERATION)
def test_replayed_capture_parses_like_the_pure_parser(case: str, emu: Emulator) -> None:
    raw = response_of(case)
    with QwenClient(api="dashscope", api_key="sk-replay", base_url=emu.base_url, max_retries=0) as client:
        request = request_for(case)
        info = client.model_info(request.model)
        if case.endswith("-sse"):
            expected = pure_stream_result(raw.body)
            emu.enqueue(raw, raw)
            acc = StreamAccumulator()
            for delta in client.stream(request, info):
                acc.add(delta)
            got = acc.result()

            async def run() -> ChatResult:
                try:
                    acc2 = StreamAccumulator()
                    async for delta in client.astream(request, info):
                        acc2.add(delta)
                    return acc2.result()
                finally:
                    await client.aclose()

            assert asyncio.run(run()) == got
        else:
            expected = NativeProtocol().parse_chat(raw.body)
            emu.enqueue(raw)
            got = client.chat(request, info)
        assert got.choices == expected.choices
        assert got.usage == expected.usage
        assert got.request_id == expected.request_id and got.request_id
        assert got.search_info == expected.search_info


@pytest.mark.parametrize(("case", "error"), [("auth-error-nosse", AuthenticationError),
                                             ("parameter-error-nosse", BadRequestError)])
def test_replayed_error_captures(case: str, error: type[APIStatusError], emu: Emulator) -> None:
    raw = response_of(case)
    emu.enqueue(raw)
    with (
        QwenClient(api="dashscope", api_key="sk-replay", base_url=emu.base_url, max_retries=0) as client,
        pytest.raises(error) as info,
    ):
        client.chat(request_for(case))
    assert info.value.status == raw.status
    assert info.value.request_id and info.value.request_id in raw.body.decode("utf-8-sig")
    assert info.value.code in raw.body.decode("utf-8-sig")
