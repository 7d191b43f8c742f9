"""The LangChain classes' connection model and argument handling, through the public classes over real sockets.

Headers (``default_headers``, per-call ``extra_headers``, the User-Agent) and ``extra_body`` as the emulator
received them; the precedence rule (call > fields > ``model_kwargs``) on sync, async and streamed calls; unknown
arguments and the accepted aliases; copies, pickles and a spawned worker process.
"""

from __future__ import annotations

import asyncio
import copy
import json
import multiprocessing
import pickle
from typing import Any

import langchain_core
import pytest
from langchain_core.documents import Document
from langchain_core.load import dumpd, dumps

from langchain_qwen import ChatQwen, QwenEmbeddings, QwenRerank
from qwen_core.catalogue import DEFAULT_CATALOGUE, EmbeddingModelInfo, ModelCatalogue, ModelInfo
from qwen_core.emulator import Emulator, RecordedRequest
from qwen_core.errors import InvalidRequestError, UnknownArgumentError, UnsupportedFeatureError
from tests._support import connection
from tests._support.constants import API_KEY
from tests._support.processes import in_spawned_process
from tests._support.wire import wire_options
from tests.langchain.helpers import ModelFactory

CLASSES = (ChatQwen, QwenEmbeddings, QwenRerank)


def _use(model: Any) -> Any:
    """One call of any of the three classes (the emulator records it)."""
    if isinstance(model, ChatQwen):
        return model.invoke("hello").content
    if isinstance(model, QwenEmbeddings):
        return model.embed_query("hello")
    return [d.page_content for d in model.compress_documents([Document("a cat"), Document("a dog")], "cat")]


# -- headers ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES)
def test_default_headers_and_user_agent_on_every_class(emu: Emulator, api: str, cls: type[Any]) -> None:
    model = connection.build(cls, emu, api=api, default_headers=connection.INSPECTION_HEADER)
    agent = connection.sent_headers_and_user_agent(model, _use, emu, f"langchain-core/{langchain_core.__version__}")
    assert " python/3." in agent
    model.close()


def test_user_agent_on_the_async_transport_and_overridable(emu: Emulator, api: str) -> None:
    model = connection.build(ChatQwen, emu, api=api)
    asyncio.run(model.ainvoke("hi"))
    assert emu.requests.last.headers["user-agent"].startswith("qwen-integrations/")
    custom = connection.build(ChatQwen, emu, api=api, default_headers={"user-agent": "my-gateway-client/2"})
    asyncio.run(custom.ainvoke("hi"))
    custom.invoke("hi")
    assert [r.headers["user-agent"] for r in emu.requests.snapshot()[-2:]] == ["my-gateway-client/2"] * 2


def _sent(emu: Emulator, api: str) -> tuple[dict[str, Any], RecordedRequest]:
    request = emu.requests.last
    return wire_options(request.json, api), request


def _call_all_ways(model: ChatQwen, **kwargs: Any) -> None:
    """invoke, ainvoke, stream and astream with the same per-call keywords."""
    model.invoke("hi", **kwargs)
    asyncio.run(model.ainvoke("hi", **kwargs))
    list(model.stream("hi", **kwargs))

    async def consume() -> None:
        async for _ in model.astream("hi", **kwargs):
            pass

    asyncio.run(consume())


def test_extra_headers_and_extra_body_per_call_land_where_the_protocol_wants(make: ModelFactory, emu: Emulator,
                                                                           api: str) -> None:
    model = make(default_headers={"X-Trace": "instance", "X-Keep": "1"})
    _call_all_ways(model, extra_headers={"x-trace": "call"}, extra_body={"vl_high_resolution_images": True})
    requests = emu.requests.snapshot()
    assert len(requests) == 4
    for request in requests:
        assert request.headers["x-trace"] == "call" and request.headers["x-keep"] == "1"
        options = wire_options(request.json, api)
        assert options["vl_high_resolution_images"] is True
        assert "extra_body" not in request.json and "extra_headers" not in request.json
        if api == "dashscope":
            assert "vl_high_resolution_images" not in request.json  # native: in parameters only


# -- precedence ---------------------------------------------------------------------------------------------------


def test_precedence_call_over_fields_over_model_kwargs(make: ModelFactory, emu: Emulator, api: str) -> None:
    model = make(temperature=0.5, model_kwargs={"temperature": 0.1, "top_p": 0.3, "vl_high_resolution_images": False})
    _call_all_ways(model, temperature=0.9)
    for request in emu.requests.snapshot():
        options = wire_options(request.json, api)
        assert (options["temperature"], options["top_p"], options["vl_high_resolution_images"]) == (0.9, 0.3, False)
    emu.reset()
    model.invoke("hi")
    assert wire_options(emu.requests.last.json, api)["temperature"] == 0.5  # the field over model_kwargs
    model.invoke("hi", extra_body={"temperature": 0.7})
    assert wire_options(emu.requests.last.json, api)["temperature"] == 0.7  # the call's extra_body over the field
    model.invoke("hi", extra_body={"temperature": 0.7}, temperature=0.8)
    assert wire_options(emu.requests.last.json, api)["temperature"] == 0.8  # a keyword over the call's extra_body
    model.bind(temperature=0.2).invoke("hi")
    assert wire_options(emu.requests.last.json, api)["temperature"] == 0.2  # bind() values are per-call values


def test_model_kwargs_options_go_through_the_rules(make: ModelFactory, emu: Emulator, api: str) -> None:
    model = make(model="qwen-plus", model_kwargs={"enable_thinking": True})
    model.invoke("hi")  # thinking is only served streamed: the call streams internally, as the field would
    options, request = _sent(emu, api)
    assert options["enable_thinking"] is True
    assert request.json.get("stream") is True if api == "compatible" else request.headers["x-dashscope-sse"] == "enable"
    emu.reset()
    with pytest.raises(UnsupportedFeatureError, match="no thinking mode"):
        make(model="qwen-max", model_kwargs={"enable_thinking": True}).invoke("hi")
    with pytest.raises(InvalidRequestError, match="temperature must be in"):
        make(model_kwargs={"temperature": 5}).invoke("hi")
    assert len(emu.requests) == 0


# -- arguments ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES)
def test_unknown_constructor_arguments_name_the_nearest(cls: type[Any]) -> None:
    with pytest.raises(UnknownArgumentError, match="'temprature'") as info:
        cls(api_key=API_KEY, temprature=0.5)
    assert isinstance(info.value, TypeError)
    with pytest.raises(UnknownArgumentError, match="did you mean 'base_url'"):
        cls(api_key=API_KEY, base_ur="http://127.0.0.1:9")
    with pytest.raises(UnknownArgumentError, match="DashScope has no frequency_penalty; use presence_penalty"):
        cls(api_key=API_KEY, frequency_penalty=0.5)
    with pytest.raises(UnknownArgumentError, match="pass api_key="):
        cls(api_key=API_KEY, openai_api_key="sk-openai")
    with pytest.raises(UnknownArgumentError, match="http_clien"):
        cls(api_key=API_KEY, http_clien=object())


def test_unknown_call_arguments_name_the_nearest(make: ModelFactory, emu: Emulator) -> None:
    model = make()
    with pytest.raises(UnknownArgumentError, match=r"did you mean 'temperature'.*extra_body"):
        model.invoke("hi", temprature=0.5)
    with pytest.raises(UnknownArgumentError, match="frequency_penalty"):
        asyncio.run(model.ainvoke("hi", frequency_penalty=0.5))
    with pytest.raises(UnknownArgumentError):
        list(model.stream("hi", top_kk=3))
    with pytest.raises(ValueError, match="cannot be changed per call"):
        model.invoke("hi", base_url="http://127.0.0.1:9")
    assert len(emu.requests) == 0


@pytest.mark.parametrize("cls", CLASSES)
def test_connection_aliases(emu: Emulator, cls: type[Any]) -> None:
    model = cls(dashscope_api_key=API_KEY, api_base=emu.base_url, request_timeout=7, model_name=_model_of(cls))
    assert model.api_key.get_secret_value() == API_KEY
    assert (model.base_url, model.timeout, model.settings.timeout) == (emu.base_url, 7, 7.0)
    assert model.model_dump().get("model", model.model_dump().get("model_name")) == _model_of(cls)
    _use(model)
    assert emu.requests.last.headers["authorization"] == f"Bearer {API_KEY}"


def _model_of(cls: type[Any]) -> str:
    return {ChatQwen: "qwen-max", QwenEmbeddings: "text-embedding-v3", QwenRerank: "qwen3-rerank"}[cls]


def test_chat_option_aliases(make: ModelFactory, emu: Emulator, api: str) -> None:
    model = make(max_completion_tokens=11, stop_sequences=["END"], model_info={"max_output_tokens": 64})
    assert (model.max_tokens, model.stop, model.model_info().max_output_tokens) == (11, ["END"], 64)
    model.invoke("hi", max_completion_tokens=5, model_name="qwen-max")
    options = wire_options(emu.requests.last.json, api)
    assert (options["max_tokens"], options["stop"], emu.requests.last.json["model"]) == (5, ["END"], "qwen-max")


# -- copies, pickles, processes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES)
def test_copy_deepcopy_pickle_round_trips(emu: Emulator, cls: type[Any]) -> None:
    model = connection.build(cls, emu, default_headers={"X-A": "1"})
    connection.check_copies_round_trip(model, _use, emu)
    assert pickle.loads(pickle.dumps(model)).client is not model.client
    model.close()


@pytest.mark.parametrize("cls", CLASSES)
def test_the_key_never_shows_outside_a_pickle(cls: type[Any]) -> None:
    model = cls(api_key=API_KEY, base_url="http://127.0.0.1:9")
    assert API_KEY.encode() in pickle.dumps(model)
    shown = [repr(model), str(model), json.dumps(model.model_dump(mode="json"), default=str)]
    if isinstance(model, ChatQwen):
        shown += [dumps(model), json.dumps(dumpd(model))]
    for text in shown:
        assert API_KEY not in text


def _invoke_in_worker(model: ChatQwen) -> tuple[str, str]:
    """Runs in a spawned process: the model arrived pickled and opens its own connections there."""
    message = model.invoke("hello from a worker")
    return str(message.content), multiprocessing.current_process().name


def test_a_spawned_worker_uses_a_pickled_model(make: ModelFactory, emu: Emulator) -> None:
    model = make(default_headers={"X-From": "parent"})
    expected = model.invoke("hello from a worker").content
    content, name = in_spawned_process(_invoke_in_worker, model)
    assert content == expected and name != multiprocessing.current_process().name
    assert emu.requests.last.headers["x-from"] == "parent"


# -- the model catalogue -------------------------------------------------------------------------------------------


def _catalogue() -> ModelCatalogue:
    """The built-in facts, except that qwen-plus cannot call tools and text-embedding-v4 takes 2 texts a request
    and only 1024 dimensions."""
    catalogue = ModelCatalogue()
    catalogue.register(ModelInfo(name="qwen-plus", supports_tools=False))
    catalogue.register(EmbeddingModelInfo(name="text-embedding-v4", dimensions=(1024,), max_batch=2))
    return catalogue


def _refuses_tools(model: ChatQwen) -> bool:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}
    try:
        model.bind_tools([tool]).invoke("hi")
    except UnsupportedFeatureError:
        return True
    return False


def test_a_given_catalogue_is_what_chat_consults(emu: Emulator, api: str) -> None:
    catalogue = _catalogue()
    model = connection.build(ChatQwen, emu, api=api, catalogue=catalogue)
    sent = len(emu.requests)
    assert model.model_info().supports_tools is False and model.profile is not None
    assert model.profile["tool_calling"] is False
    assert _refuses_tools(model) and len(emu.requests) == sent  # refused before any request
    assert model.client.catalogue is catalogue
    assert not _refuses_tools(connection.build(ChatQwen, emu, api=api))  # the built-in catalogue: tools work
    assert connection.build(ChatQwen, emu).client.catalogue is DEFAULT_CATALOGUE


def test_a_given_catalogue_sets_the_embedding_limits(emu: Emulator) -> None:
    for catalogue, requests in ((_catalogue(), 3), (None, 1)):
        sent = len(emu.requests)
        vectors = connection.build(QwenEmbeddings, emu, catalogue=catalogue).embed_documents(["a", "b", "c", "d", "e"])
        assert len(vectors) == 5 and len(emu.requests) - sent == requests
    with pytest.raises(ValueError, match="does not support dimensions=512"):  # at construction
        connection.build(QwenEmbeddings, emu, catalogue=_catalogue(), dimensions=512)
    assert len(connection.build(QwenEmbeddings, emu, dimensions=512).embed_query("hello")) == 512


@pytest.mark.parametrize("cls", CLASSES)
def test_the_catalogue_survives_copies_and_pickles_and_stays_out_of_dumps(emu: Emulator, cls: type[Any]) -> None:
    catalogue = _catalogue()
    model = connection.build(cls, emu, catalogue=catalogue)
    assert copy.copy(model).catalogue is catalogue
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert clone.catalogue is not None and clone.catalogue is not catalogue
        assert clone.catalogue.chat_model("qwen-plus").supports_tools is False
        assert clone.client.catalogue is clone.catalogue
        assert clone.model_dump() == model.model_dump()
    assert "catalogue" not in model.model_dump() and "catalogue" not in repr(model)
    if isinstance(model, ChatQwen):
        assert "catalogue" not in dumpd(model)["kwargs"]
        assert _refuses_tools(pickle.loads(pickle.dumps(model)))
    model.close()


def test_assigning_a_catalogue_gives_a_client_that_consults_it(emu: Emulator) -> None:
    model = connection.build(ChatQwen, emu)
    first = model.client
    model.catalogue = catalogue = _catalogue()
    assert model.client is not first and model.client.catalogue is catalogue
    assert _refuses_tools(model)


# -- network fields -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES)
def test_network_fields_reach_the_settings_and_stay_out_of_dumps(cls: type[Any]) -> None:
    model = cls(api_key=API_KEY, base_url="http://127.0.0.1:9", **connection.NETWORK_FIELDS)
    connection.check_network_settings(model)
    dumped = [repr(model), json.dumps(model.model_dump(mode="json"), default=str)]
    if isinstance(model, ChatQwen):
        dumped.append(dumps(model))
    for text in dumped:
        assert connection.PROXY_SECRET not in text and API_KEY not in text


@pytest.mark.parametrize("cls", CLASSES)
def test_own_httpx_clients_reach_the_settings_are_shared_by_copies_and_never_pickled(cls: type[Any]) -> None:
    httpx = pytest.importorskip("httpx")
    with httpx.Client() as client:
        async_client = httpx.AsyncClient()
        model = cls(api_key=API_KEY, base_url="http://127.0.0.1:9", http_client=client,
                    async_http_client=async_client)  # the LlamaIndex OpenAI spelling is accepted too
        assert (model.settings.http_client, model.settings.http_async_client) == (client, async_client)
        clone = copy.deepcopy(model)
        assert clone.http_client is client and clone.http_async_client is async_client
        assert clone.settings.http_client is client
        with pytest.raises(TypeError, match="create HTTP clients in the worker"):
            pickle.dumps(model)
        fields = dumpd(model)["kwargs"] if isinstance(model, ChatQwen) else model.model_dump()
        assert "http_client" not in fields and "http_async_client" not in fields
        asyncio.run(async_client.aclose())


def test_per_call_timeout(make: ModelFactory, emu: Emulator) -> None:
    from qwen_core.emulator import SlowFirstByte
    from qwen_core.errors import APITimeoutError

    model = make(timeout=30)
    emu.enqueue(SlowFirstByte(delay=1.0))
    with pytest.raises(APITimeoutError):
        model.invoke("hi", timeout=0.2)
    emu.enqueue(SlowFirstByte(delay=1.0))
    with pytest.raises(APITimeoutError):
        asyncio.run(model.ainvoke("hi", timeout=0.2))
    with pytest.raises(InvalidRequestError, match="positive number of seconds"):
        model.invoke("hi", timeout=-1)
    assert model.invoke("hi", timeout=5).content


def test_own_httpx_clients_carry_the_calls(emu: Emulator, api: str) -> None:
    httpx = pytest.importorskip("httpx")
    seen: list[str] = []

    def record(request: Any) -> None:
        seen.append(f"sync {request.headers['user-agent']}")

    async def arecord(request: Any) -> None:
        seen.append(f"async {request.headers['user-agent']}")

    async_client = httpx.AsyncClient(event_hooks={"request": [arecord]})
    with httpx.Client(event_hooks={"request": [record]}) as client:
        model = connection.build(ChatQwen, emu, api=api, http_client=client, http_async_client=async_client)
        model.invoke("hi")

        async def use_async() -> None:
            await model.ainvoke("hi")
            await model.aclose()
            await async_client.aclose()

        asyncio.run(use_async())
    assert [entry.split()[0] for entry in seen] == ["sync", "async"]
    assert all("qwen-integrations/" in entry for entry in seen)  # our headers, sent through the user's clients
