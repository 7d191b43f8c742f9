"""QwenClient end to end through real HTTP against the emulator: both protocols, sync and async, faults."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from qwen_core.client import QwenClient
from qwen_core.emulator import Emulator
from qwen_core.emulator.script import (
    Disconnect,
    DropConnection,
    HTTPFault,
    MalformedJSON,
    MalformedSSE,
    ScriptedReply,
    ScriptedToolCall,
    SlowFirstByte,
    StreamError,
)
from qwen_core.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ContentInspectionError,
    InvalidRequestError,
    RateLimitError,
    ResponseParseError,
    ServerError,
)
from qwen_core.streaming import StreamAccumulator
from qwen_core.types import Api, ChatRequest, ToolSpec
from tests._support.calls import ask
from tests._support.constants import API_KEY

APIS: list[Api] = ["compatible", "dashscope"]
WEATHER = ToolSpec(
    "get_weather", "Get the weather of a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


@pytest.fixture(params=APIS)
def client(request: pytest.FixtureRequest, emu: Emulator) -> Iterator[QwenClient]:
    with QwenClient(api=request.param, api_key=API_KEY, base_url=emu.base_url, max_retries=2) as c:
        c._sync._policy = type(c._sync._policy)(max_retries=2, base_delay=0.01, max_delay=0.05)
        c._async._policy = c._sync._policy
        yield c


def test_chat_stream_and_async_agree(client: QwenClient, emu: Emulator) -> None:
    reply = ScriptedReply(text="The quick brown fox jumps.", chunk_size=4)
    emu.enqueue(reply, reply, reply, reply)
    invoked = client.chat(ask())
    acc = StreamAccumulator()
    deltas = list(client.stream(ask()))
    for delta in deltas:
        acc.add(delta)
    streamed = acc.result()

    async def run() -> tuple[str, str]:
        try:
            a = await client.achat(ask())
            acc2 = StreamAccumulator()
            async for delta in client.astream(ask()):
                acc2.add(delta)
            return a.text, acc2.result().text
        finally:
            await client.aclose()

    achat_text, astream_text = asyncio.run(run())
    assert invoked.text == streamed.text == achat_text == astream_text == "The quick brown fox jumps."
    assert sum(1 for d in deltas if d.text) >= 5
    assert streamed.usage is not None and streamed.usage.output_tokens > 0
    assert invoked.model == "qwen-plus" and invoked.request_id
    assert streamed.finish_reason == "stop"


def test_parallel_tool_calls_stream_merge(client: QwenClient, emu: Emulator) -> None:
    calls = [ScriptedToolCall("get_weather", {"city": city}) for city in ("Hangzhou", "Shanghai")]
    emu.enqueue(ScriptedReply(tool_calls=calls))
    acc = StreamAccumulator()
    for delta in client.stream(ask("weather?", tools=[WEATHER], parallel_tool_calls=True)):
        acc.add(delta)
    result = acc.result()
    assert [c.name for c in result.tool_calls] == ["get_weather", "get_weather"]
    assert [c.arguments.replace(" ", "") for c in result.tool_calls] == ['{"city":"Hangzhou"}', '{"city":"Shanghai"}']
    assert all(c.id for c in result.tool_calls) and result.tool_calls[0].id != result.tool_calls[1].id
    assert result.finish_reason == "tool_calls"


def test_thinking_invoke_streams_under_the_hood(client: QwenClient, emu: Emulator) -> None:
    result = client.chat(ask("Why is the sky blue?", enable_thinking=True))
    assert result.reasoning and result.text
    assert result.usage is not None and (result.usage.reasoning_tokens or 0) > 0
    sent = emu.requests.last
    assert sent.headers.get("x-dashscope-sse") == "enable" or (sent.json or {}).get("stream") is True


def test_rate_limit_retried_honouring_retry_after(client: QwenClient, emu: Emulator) -> None:
    emu.enqueue(HTTPFault(429, "Throttling.RateQuota", "Requests rate limit exceeded", retry_after=0.01))
    assert client.chat(ask()).text
    assert len(emu.requests) == 2


def test_server_errors_exhaust_retries_with_details(client: QwenClient, emu: Emulator) -> None:
    emu.enqueue(HTTPFault(500), HTTPFault(500), HTTPFault(500))
    with pytest.raises(ServerError) as info:
        client.chat(ask())
    assert info.value.status == 500 and info.value.code and info.value.request_id
    assert len(emu.requests) == 3


def test_auth_error_not_retried_and_key_not_leaked(emu: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for api in APIS:
        with QwenClient(api=api, api_key=API_KEY, base_url=emu.base_url) as c:
            emu.enqueue(HTTPFault(401, "InvalidApiKey", "Invalid API-key provided."))
            with pytest.raises(AuthenticationError) as info:
                c.chat(ask())
            assert API_KEY not in str(info.value) and API_KEY not in repr(info.value) and API_KEY not in repr(c)
    assert len(emu.requests) == 2
    assert API_KEY not in caplog.text


def test_dropped_connection_before_headers_is_retried(client: QwenClient, emu: Emulator) -> None:
    emu.enqueue(DropConnection())
    assert client.chat(ask()).text
    emu.enqueue(DropConnection())
    assert "".join(d.text for d in client.stream(ask()))


def test_disconnect_mid_stream_is_a_typed_error_never_retried(client: QwenClient, emu: Emulator) -> None:
    emu.enqueue(Disconnect(after_events=2))
    seen = []
    with pytest.raises(APIConnectionError):
        for delta in client.stream(ask("tell me a long story please")):
            seen.append(delta)
    assert seen and len(emu.requests) == 1


def test_in_stream_error_event_keeps_code(client: QwenClient, emu: Emulator) -> None:
    emu.enqueue(StreamError(after_events=1))
    with pytest.raises(ContentInspectionError) as info:
        list(client.stream(ask("tell me a long story please")))
    assert info.value.code and "datainspection" in info.value.code.lower().replace("_", "")
    assert len(emu.requests) == 1


def test_slow_first_byte_times_out(emu: Emulator) -> None:
    for api in APIS:
        with QwenClient(api=api, api_key=API_KEY, base_url=emu.base_url, timeout=0.2, max_retries=0) as c:
            emu.enqueue(SlowFirstByte(delay=1.0))
            with pytest.raises(APITimeoutError):
                c.chat(ask())


def test_malformed_bodies_are_parse_errors(client: QwenClient, emu: Emulator) -> None:
    emu.enqueue(MalformedJSON())
    with pytest.raises(ResponseParseError):
        client.chat(ask())
    emu.enqueue(MalformedSSE(after_events=1))
    with pytest.raises(ResponseParseError):
        list(client.stream(ask()))


def test_bad_input_fails_before_any_request(client: QwenClient, emu: Emulator) -> None:
    with pytest.raises(InvalidRequestError):
        client.chat(ChatRequest(model="qwen-plus", messages=[]))
    with pytest.raises(InvalidRequestError):
        list(client.stream(ChatRequest(model="qwen-plus", messages=[])))
    assert len(emu.requests) == 0


def test_sequential_calls_reuse_one_connection(client: QwenClient, emu: Emulator) -> None:
    before = emu.connections_opened
    for _ in range(10):
        client.chat(ask())
        list(client.stream(ask()))

    async def run() -> None:
        try:
            for _ in range(10):
                await client.achat(ask())
                async for _delta in client.astream(ask()):
                    pass
        finally:
            await client.aclose()

    asyncio.run(run())
    assert emu.connections_opened - before == 2  # one for the sync pool, one for the async pool


def test_abandoned_streams_release_their_connections(client: QwenClient, emu: Emulator) -> None:
    # More early-abandoned streams than the pool holds: a leaked connection would exhaust the pool and hang.
    for _ in range(110):
        for _delta in client.stream(ask("a long answer please, with many words in it")):
            break
    assert client.chat(ask()).text

    async def run() -> None:
        try:
            for _ in range(110):
                async for _delta in client.astream(ask("a long answer please, with many words in it")):
                    break
            assert (await client.achat(ask())).text
        finally:
            await client.aclose()

    asyncio.run(asyncio.wait_for(run(), timeout=60))


def test_cancelled_async_stream_releases_connection(client: QwenClient, emu: Emulator) -> None:
    async def consume() -> None:
        async for _delta in client.astream(ask("a long answer please")):
            await asyncio.sleep(10)

    async def run() -> None:
        try:
            for _ in range(3):
                task = asyncio.create_task(consume())
                await asyncio.sleep(0.05)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            assert (await client.achat(ask())).text
        finally:
            await client.aclose()

    asyncio.run(run())


def test_async_faults(client: QwenClient, emu: Emulator) -> None:
    async def run() -> None:
        try:
            emu.enqueue(HTTPFault(429, "Throttling", "slow down", retry_after=0.01))
            assert (await client.achat(ask())).text
            emu.enqueue(HTTPFault(401, "InvalidApiKey", "Invalid API-key provided."))
            with pytest.raises(AuthenticationError):
                await client.achat(ask())
            emu.enqueue(DropConnection())
            assert (await client.achat(ask())).text
            emu.enqueue(Disconnect(after_events=2))
            with pytest.raises(APIConnectionError):
                async for _delta in client.astream(ask("tell me a long story please")):
                    pass
            emu.enqueue(HTTPFault(429), HTTPFault(429), HTTPFault(429))
            with pytest.raises(RateLimitError):
                await client.achat(ask())
        finally:
            await client.aclose()

    asyncio.run(run())


def test_identical_requests_get_fresh_request_and_tool_call_ids(client: QwenClient, emu: Emulator) -> None:
    request = ask("What's the weather in Hangzhou?", tools=[WEATHER])
    first, second = client.chat(request), client.chat(request)
    assert first.request_id != second.request_id
    assert first.tool_calls and second.tool_calls
    assert first.tool_calls[0].id != second.tool_calls[0].id
    assert first.tool_calls[0].arguments == second.tool_calls[0].arguments
    streamed = [d.request_id for d in client.stream(request)] + [d.request_id for d in client.stream(request)]
    assert len({rid for rid in streamed if rid}) == 2


def test_dropped_clients_leak_no_sockets(emu: Emulator) -> None:
    import gc
    import warnings

    def use_and_drop(api: Api) -> None:
        client = QwenClient(api=api, api_key=API_KEY, base_url=emu.base_url)
        client.chat(ask())
        list(client.stream(ask()))
        asyncio.run(client.achat(ask()))  # no aclose(): the loop's shutdown closes its pool

        async def stream_once() -> None:
            async for _delta in client.astream(ask()):
                pass

        asyncio.run(stream_once())

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for api in APIS:
            use_and_drop(api)
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaks, [str(w.message) for w in leaks]


def test_two_clients_with_different_keys_do_not_interfere() -> None:
    with Emulator(api_keys={"sk-good"}) as strict:
        good = QwenClient(api="dashscope", api_key="sk-good", base_url=strict.base_url)
        bad = QwenClient(api="compatible", api_key="sk-bad", base_url=strict.base_url, max_retries=0)
        with good, bad:
            for _ in range(3):
                assert good.chat(ask()).text
                with pytest.raises(AuthenticationError):
                    bad.chat(ask())
        keys = [r.headers["authorization"] for r in strict.requests]
    assert keys == ["Bearer sk-good", "Bearer sk-bad"] * 3


# -- a catalogue passed in ---------------------------------------------------------------------------------------


def test_a_catalogue_passed_in_is_the_one_consulted(emu: Emulator, api: Api) -> None:
    from qwen_core.catalogue import DEFAULT_CATALOGUE, EmbeddingModelInfo, ModelCatalogue, ModelInfo, RerankModelInfo
    from qwen_core.embedding import embed_texts
    from qwen_core.errors import UnsupportedFeatureError
    from qwen_core.rerank import rerank

    own = ModelCatalogue()
    own.register(ModelInfo("qwen-plus", supports_tools=False))
    own.register(EmbeddingModelInfo("text-embedding-v4", dimensions=(1024,), max_batch=2))
    own.register(RerankModelInfo("gte-rerank-v2", max_documents=2))
    with QwenClient(api_key=API_KEY, base_url=emu.base_url, api=api, catalogue=own) as client:
        assert client.catalogue is own
        with pytest.raises(UnsupportedFeatureError):
            client.chat(ask(tools=[WEATHER]))  # this catalogue says qwen-plus has no tools; the built-in one says yes
        assert len(emu.requests) == 0
        assert len(embed_texts(client, ["a", "b", "c", "d", "e"], model="text-embedding-v4")) == 5
        assert len(emu.requests) == 3  # batches of 2, the passed-in limit (the built-in one is 10)
        hits = rerank(client, "q", ["a", "b", "c"], model="gte-rerank-v2")
        assert sorted(hit.index for hit in hits.hits) == [0, 1, 2]
        assert len(emu.requests) == 5  # two chunks of at most 2 documents
    assert DEFAULT_CATALOGUE.chat_model("qwen-plus").supports_tools
    assert DEFAULT_CATALOGUE.embedding_model("text-embedding-v4").max_batch == 10
