"""Stream integrity through ``QwenClient`` over real sockets, against the suite's own fault server (exact bytes).

A stream is complete only when the protocol says so (native: a finish reason on the last frame; compatible: a
finish reason and ``data: [DONE]``); anything else is a typed error raised after every delta that arrived.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from qwen_core.client import QwenClient
from qwen_core.errors import (
    APIError,
    AuthenticationError,
    ContentInspectionError,
    IncompleteStreamError,
    QwenError,
    ResponseParseError,
    StreamEventTooLargeError,
)
from qwen_core.types import Api, ChatRequest, Message
from tests._support.calls import ask
from tests._support.constants import API_KEY
from tests._support.fault_server import FaultServer, Write, compat_frame, frames, native_frame, sse_head

APIS: list[Api] = ["compatible", "dashscope"]
MODES = ["sync", "async"]


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer() as fault:
        yield fault


def run(
    server: FaultServer, api: Api, mode: str, body: Sequence[Write], **client_attrs: Any
) -> tuple[str, QwenError | None]:
    """Stream one request; the text delivered before the end, and the error the stream raised (if any)."""
    server.script(body)
    client = QwenClient(api=api, api_key=API_KEY, base_url=server.base_url, max_retries=0, timeout=10)
    for name, value in client_attrs.items():
        setattr(client, name, value)
    texts: list[str] = []
    error: QwenError | None = None
    try:
        if mode == "sync":
            for delta in client.stream(ask()):
                texts.append(delta.text)
        else:
            async def consume() -> None:
                async for delta in client.astream(ask()):
                    texts.append(delta.text)
                await client.aclose()

            asyncio.run(consume())
    except QwenError as exc:
        error = exc
    finally:
        client.close()
    return "".join(texts), error


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_a_complete_stream_is_accepted(server: FaultServer, api: Api, mode: str) -> None:
    text, error = run(server, api, mode, frames(api, ["Hel", "lo"], finish=True))
    assert (text, error) == ("Hello", None)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_a_clean_end_without_finish_is_an_incomplete_stream_carrying_what_arrived(
    server: FaultServer, api: Api, mode: str
) -> None:
    text, error = run(server, api, mode, frames(api, ["Hel", "lo"], finish=False))
    assert text == "Hello"
    assert isinstance(error, IncompleteStreamError)
    assert error.partial is not None and error.partial.text == "Hello"
    assert error.partial.finish_reason is None


@pytest.mark.parametrize("mode", MODES)
def test_compatible_needs_done_after_the_finish_reason(server: FaultServer, mode: str) -> None:
    text, error = run(server, "compatible", mode, frames("compatible", ["Hi"], finish=True, done=False))
    assert text == "Hi"
    assert isinstance(error, IncompleteStreamError) and "[DONE]" in error.message


@pytest.mark.parametrize("mode", MODES)
def test_native_needs_the_finish_reason_on_the_last_frame(server: FaultServer, mode: str) -> None:
    body = [native_frame("Hi", "stop", 1), native_frame(" more", "null", 2)]
    text, error = run(server, "dashscope", mode, body)
    assert text == "Hi more"
    assert isinstance(error, IncompleteStreamError)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_an_empty_body_is_an_incomplete_stream(server: FaultServer, api: Api, mode: str) -> None:
    text, error = run(server, api, mode, [])
    assert text == ""
    assert isinstance(error, IncompleteStreamError) and "empty" in error.message


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_a_json_error_body_on_a_stream_request_is_the_services_typed_error(
    server: FaultServer, api: Api, mode: str
) -> None:
    body = b'{"code":"InvalidApiKey","message":"Invalid API-key provided.","request_id":"req-9"}'
    if api == "compatible":
        body = b'{"error":{"code":"invalid_api_key","message":"Incorrect API key provided."},"request_id":"req-9"}'
    server.script([body], head=sse_head(content_type="application/json"))
    _, error = run(server, api, mode, [body])
    assert isinstance(error, AuthenticationError) and error.request_id == "req-9"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_a_non_sse_json_answer_on_a_stream_request_is_a_parse_error(server: FaultServer, api: Api, mode: str) -> None:
    body = b'{"output":{"choices":[{"finish_reason":"stop","message":{"role":"assistant","content":"Hi"}}]}}'
    _, error = run(server, api, mode, [body])
    assert type(error) is ResponseParseError and "without SSE events" in error.message


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_invalid_utf8_is_a_parse_error_after_the_deltas_before_it(server: FaultServer, api: Api, mode: str) -> None:
    good = frames(api, ["Hel", "lo"], finish=False, done=False)
    bad = (native_frame("X") if api == "dashscope" else compat_frame("X")).replace(b'"X"', b'"\xff\xfe"')
    text, error = run(server, api, mode, [b"".join([*good, bad, *frames(api, [], finish=True)])])
    assert text == "Hello"
    assert type(error) is ResponseParseError and "UTF-8" in error.message
    assert error.partial is not None and error.partial.text == "Hello"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_an_error_event_in_the_same_read_as_data_comes_after_that_data(
    server: FaultServer, api: Api, mode: str
) -> None:
    data = frames(api, ["Hel", "lo"], finish=False, done=False)
    if api == "dashscope":
        err = (b'id:3\nevent:error\n:HTTP_STATUS/400\ndata:{"code":"DataInspectionFailed",'
               b'"message":"Output data may contain inappropriate content.","request_id":"req-fault-1"}\n\n')
    else:
        err = (b'data: {"error":{"code":"data_inspection_failed",'
               b'"message":"Output data may contain inappropriate content."}}\n\n')
    text, error = run(server, api, mode, [b"".join([*data, err])])  # one write, one read
    assert text == "Hello"
    assert isinstance(error, ContentInspectionError)
    assert error.partial is not None and error.partial.text == "Hello"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_an_event_over_the_cap_is_a_typed_error(server: FaultServer, api: Api, mode: str) -> None:
    huge = (native_frame("x" * (2 << 20)) if api == "dashscope" else compat_frame("x" * (2 << 20)))
    body = [*frames(api, ["Hi"], finish=False, done=False), huge, *frames(api, [], finish=True)]
    text, error = run(server, api, mode, body, max_event_bytes=1 << 20)
    assert text == "Hi"
    assert isinstance(error, StreamEventTooLargeError) and error.partial is not None


@pytest.mark.parametrize("api", APIS)
def test_a_huge_event_under_the_cap_costs_linear_time(server: FaultServer, api: Api) -> None:
    def seconds(size: int) -> float:
        huge = native_frame("x" * size) if api == "dashscope" else compat_frame("x" * size)
        body = [*[huge[i:i + 65536] for i in range(0, len(huge), 65536)], *frames(api, [], finish=True)]
        start = time.perf_counter()
        text, error = run(server, api, "sync", body)
        assert error is None and len(text) == size
        return time.perf_counter() - start

    small, large = seconds(3 << 20), seconds(12 << 20)
    # 4x the bytes: linear is ~4x; the old quadratic buffer was ~16x. Generous bound for a shared machine.
    assert large < 8 * small + 1.0, (small, large)


@pytest.mark.parametrize("api", APIS)
def test_thinking_chat_streams_internally_and_refuses_an_incomplete_stream(server: FaultServer, api: Api) -> None:
    server.script(frames(api, ["Because"], finish=False))
    client = QwenClient(api=api, api_key=API_KEY, base_url=server.base_url, max_retries=0, timeout=10)
    request = ChatRequest(model="qwen-plus", messages=[Message("user", "Why?")], enable_thinking=True)
    with pytest.raises(IncompleteStreamError) as caught:
        client.chat(request)
    assert isinstance(caught.value, APIError) and caught.value.partial.text == "Because"
    client.close()
