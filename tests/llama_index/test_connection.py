"""The LlamaIndex classes' connection model and argument handling, through the public classes over real sockets.

The same rules as ``tests/langchain/test_connection.py``: headers and ``extra_body`` on the wire, the precedence
rule (call > fields > ``additional_kwargs``) on sync, async and streamed calls, unknown arguments and aliases,
copies, pickles and a spawned worker process.
"""

from __future__ import annotations

import asyncio
import copy
import json
import pickle
import ssl
from typing import Any

import llama_index.core
import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.schema import NodeWithScore, TextNode

from llama_index_qwen import Qwen, QwenEmbedding, QwenRerank
from qwen_core.emulator import Emulator, SlowFirstByte
from qwen_core.errors import APITimeoutError, InvalidRequestError, UnknownArgumentError, UnsupportedFeatureError
from tests._support import connection
from tests._support.constants import API_KEY
from tests._support.processes import in_spawned_process
from tests._support.wire import wire_options

USER = [ChatMessage(role="user", content="Hello there")]
CLASSES = (Qwen, QwenEmbedding, QwenRerank)


def _use(model: Any) -> Any:
    """One call of any of the three classes (the emulator records it)."""
    if isinstance(model, Qwen):
        return model.chat(USER).message.content
    if isinstance(model, QwenEmbedding):
        return model.get_query_embedding("hello")
    nodes = [NodeWithScore(node=TextNode(text=text), score=0.5) for text in ("a cat", "a dog")]
    return [n.node.get_content() for n in model.postprocess_nodes(nodes, query_str="cat")]


def _call_all_ways(llm: Qwen, **kwargs: Any) -> None:
    """chat, achat, stream_chat and astream_chat with the same per-call keywords."""
    llm.chat(USER, **kwargs)
    asyncio.run(llm.achat(USER, **kwargs))
    list(llm.stream_chat(USER, **kwargs))

    async def consume() -> None:
        async for _ in await llm.astream_chat(USER, **kwargs):
            pass

    asyncio.run(consume())


@pytest.mark.parametrize("cls", CLASSES)
def test_default_headers_and_user_agent_on_every_class(emu: Emulator, api: str, cls: type[Any]) -> None:
    model = connection.build(cls, emu, api=api, default_headers=connection.INSPECTION_HEADER)
    connection.sent_headers_and_user_agent(model, _use, emu, f"llama-index-core/{llama_index.core.__version__}")
    model.close()


def test_extra_headers_and_extra_body_per_call(emu: Emulator, api: str) -> None:
    llm = connection.build(Qwen, emu, api=api, default_headers={"X-Trace": "instance", "X-Keep": "1"})
    _call_all_ways(llm, extra_headers={"x-trace": "call"}, extra_body={"vl_high_resolution_images": True})
    requests = emu.requests.snapshot()
    assert len(requests) == 4
    for request in requests:
        assert request.headers["x-trace"] == "call" and request.headers["x-keep"] == "1"
        assert wire_options(request.json, api)["vl_high_resolution_images"] is True
        assert "extra_body" not in request.json and "extra_headers" not in request.json
        assert request.headers["user-agent"].startswith("qwen-integrations/")  # sync and async transports


def test_precedence_call_over_fields_over_additional_kwargs(emu: Emulator, api: str) -> None:
    llm = connection.build(Qwen, emu, api=api, temperature=0.5, additional_kwargs={"temperature": 0.1, "top_p": 0.3})
    _call_all_ways(llm, temperature=0.9)
    for request in emu.requests.snapshot():
        options = wire_options(request.json, api)
        assert (options["temperature"], options["top_p"]) == (0.9, 0.3)
    llm.complete("hi")
    assert wire_options(emu.requests.last.json, api)["temperature"] == 0.5
    llm.chat(USER, extra_body={"temperature": 0.7})
    assert wire_options(emu.requests.last.json, api)["temperature"] == 0.7
    only_kwargs = connection.build(Qwen, emu, api=api, additional_kwargs={"temperature": 0.1})
    only_kwargs.chat(USER)
    assert wire_options(emu.requests.last.json, api)["temperature"] == 0.1  # additional_kwargs over the default


def test_additional_kwargs_options_go_through_the_rules(emu: Emulator, api: str) -> None:
    llm = connection.build(Qwen, emu, api=api, model="qwen-plus", additional_kwargs={"enable_thinking": True})
    llm.chat(USER)  # thinking is only served streamed: the call streams internally, as the field would
    request = emu.requests.last
    assert wire_options(request.json, api)["enable_thinking"] is True
    assert request.json.get("stream") is True if api == "compatible" else request.headers["x-dashscope-sse"] == "enable"
    emu.reset()
    with pytest.raises(UnsupportedFeatureError, match="no thinking mode"):
        connection.build(Qwen, emu, api=api, model="qwen-max", additional_kwargs={"enable_thinking": True}).chat(USER)
    with pytest.raises(InvalidRequestError, match="temperature must be in"):
        connection.build(Qwen, emu, api=api, additional_kwargs={"temperature": 5}).chat(USER)
    assert len(emu.requests) == 0


@pytest.mark.parametrize("cls", CLASSES)
def test_unknown_constructor_arguments_name_the_nearest(cls: type[Any]) -> None:
    with pytest.raises(UnknownArgumentError, match="'temprature'"):
        cls(api_key=API_KEY, temprature=0.5)
    with pytest.raises(UnknownArgumentError, match="did you mean 'base_url'"):
        cls(api_key=API_KEY, base_ur="http://127.0.0.1:9")
    with pytest.raises(UnknownArgumentError, match="DashScope has no frequency_penalty"):
        cls(api_key=API_KEY, frequency_penalty=0.5)
    with pytest.raises(UnknownArgumentError, match="pass base_url="):
        cls(api_key=API_KEY, openai_api_base="http://127.0.0.1:9")


def test_unknown_call_arguments_name_the_nearest(emu: Emulator) -> None:
    llm = connection.build(Qwen, emu)
    with pytest.raises(UnknownArgumentError, match=r"did you mean 'temperature'.*extra_body"):
        llm.chat(USER, temprature=0.5)
    with pytest.raises(UnknownArgumentError, match="frequency_penalty"):
        asyncio.run(llm.achat(USER, frequency_penalty=0.5))
    with pytest.raises(UnknownArgumentError):
        llm.complete("hi", top_kk=3)
    assert len(emu.requests) == 0


@pytest.mark.parametrize("cls", CLASSES)
def test_connection_aliases_and_model(emu: Emulator, cls: type[Any]) -> None:
    name = {Qwen: "qwen-max", QwenEmbedding: "text-embedding-v2", QwenRerank: "qwen3-rerank"}[cls]
    for model_keyword in ("model", "model_name"):
        model = cls(dashscope_api_key=API_KEY, api_base=emu.base_url, request_timeout=7, **{model_keyword: name})
        assert model.api_key.get_secret_value() == API_KEY
        assert (model.base_url, model.timeout, model.settings.timeout) == (emu.base_url, 7, 7.0)
        _use(model)
        sent = emu.requests.last.json
        assert sent["model"] == name
        assert emu.requests.last.headers["authorization"] == f"Bearer {API_KEY}"


def test_chat_option_aliases(emu: Emulator, api: str) -> None:
    llm = connection.build(
        Qwen, emu, api=api, max_completion_tokens=11, stop_sequences=["END"], model_info={"context_window": 99}
    )
    assert (llm.max_tokens, llm.stop, llm.metadata.context_window) == (11, ["END"], 99)
    llm.chat(USER, max_completion_tokens=5)
    options = wire_options(emu.requests.last.json, api)
    assert (options["max_tokens"], options["stop"]) == (5, ["END"])


def test_the_key_comes_from_the_environment_into_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", API_KEY)
    llm = Qwen(base_url="http://127.0.0.1:9")
    assert llm.api_key is not None and llm.api_key.get_secret_value() == API_KEY


@pytest.mark.parametrize("cls", CLASSES)
def test_copy_deepcopy_pickle_round_trips(emu: Emulator, cls: type[Any]) -> None:
    model = connection.build(cls, emu, default_headers={"X-A": "1"})
    connection.check_copies_round_trip(model, _use, emu)
    model.close()


@pytest.mark.parametrize("cls", CLASSES)
def test_the_key_never_shows_outside_a_pickle(cls: type[Any], caplog: pytest.LogCaptureFixture) -> None:
    model = cls(api_key=API_KEY, base_url="http://127.0.0.1:9")
    assert API_KEY.encode() in pickle.dumps(model)
    assert not caplog.records  # LlamaIndex's own pickling warns when it drops values; ours drops nothing
    for text in (repr(model), str(model), model.to_json(), json.dumps(model.to_dict()), str(model.model_dump())):
        assert API_KEY not in text


def _chat_in_worker(llm: Qwen) -> str:
    """Runs in a spawned process: the model arrived pickled and opens its own connections there."""
    return str(llm.chat(USER).message.content)


def test_a_spawned_worker_uses_a_pickled_model(emu: Emulator) -> None:
    llm = connection.build(Qwen, emu, default_headers={"X-From": "parent"})
    expected = llm.chat(USER).message.content
    assert in_spawned_process(_chat_in_worker, llm) == expected
    assert emu.requests.last.headers["x-from"] == "parent"


@pytest.mark.parametrize("cls", CLASSES)
def test_network_fields_reach_the_settings_and_stay_out_of_dumps(cls: type[Any]) -> None:
    model = cls(api_key=API_KEY, base_url="http://127.0.0.1:9", **connection.NETWORK_FIELDS)
    connection.check_network_settings(model)
    for text in (repr(model), model.to_json(), str(model.model_dump())):
        assert connection.PROXY_SECRET not in text and API_KEY not in text


@pytest.mark.parametrize("cls", CLASSES)
def test_live_objects_are_shared_by_copies_and_never_pickled(cls: type[Any]) -> None:
    httpx = pytest.importorskip("httpx")
    context = ssl.create_default_context()
    with httpx.Client() as client:
        model = cls(api_key=API_KEY, base_url="http://127.0.0.1:9", http_client=client)
        with_context = cls(api_key=API_KEY, base_url="http://127.0.0.1:9", verify=context)
        assert model.settings.http_client is client and with_context.settings.verify is context
        assert copy.deepcopy(model).http_client is client and copy.deepcopy(with_context).verify is context
        for holder, what in ((model, "http_client"), (with_context, "verify")):
            with pytest.raises(TypeError, match=f"holding {what} cannot be pickled"):
                pickle.dumps(holder)
        assert "http_client" not in model.to_dict() and "verify" not in with_context.to_dict()


def test_per_call_timeout(emu: Emulator) -> None:
    llm = connection.build(Qwen, emu, timeout=30)
    emu.enqueue(SlowFirstByte(delay=1.0))
    with pytest.raises(APITimeoutError):
        llm.chat(USER, timeout=0.2)
    emu.enqueue(SlowFirstByte(delay=1.0))
    with pytest.raises(APITimeoutError):
        asyncio.run(llm.achat(USER, timeout=0.2))
    with pytest.raises(InvalidRequestError, match="positive number of seconds"):
        llm.chat(USER, timeout="soon")
    assert llm.chat(USER, timeout=5).message.content


def test_own_httpx_clients_carry_the_calls(emu: Emulator, api: str) -> None:
    httpx = pytest.importorskip("httpx")
    seen: list[str] = []

    def record(request: Any) -> None:
        seen.append("sync")

    async def arecord(request: Any) -> None:
        seen.append("async")

    async_client = httpx.AsyncClient(event_hooks={"request": [arecord]})
    with httpx.Client(event_hooks={"request": [record]}) as client:
        llm = connection.build(Qwen, emu, api=api, http_client=client, async_http_client=async_client)
        llm.chat(USER)

        async def use_async() -> None:
            await llm.achat(USER)
            await llm.aclose()
            await async_client.aclose()

        asyncio.run(use_async())
    assert seen == ["sync", "async"]
