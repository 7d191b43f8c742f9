"""The API key never shows: not in repr/str of any public object or return value, not in errors or their chained
causes, not in tracebacks rendered with every frame's locals (what error trackers record), not in DEBUG logs of
any logger. All six public classes and QwenClient, sync, async and stream, over real sockets: an error answer
from the suite's fault server, a refused connection, an incomplete stream, and successful calls on the emulator.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from qwen_core.client import QwenClient
from qwen_core.emulator import Emulator
from qwen_core.errors import QwenError
from qwen_core.types import ChatRequest, EmbeddingRequest, Message
from tests._support.constants import API_KEY, APIS
from tests._support.fault_server import FaultServer, frames, sse_head

pytest.importorskip("langchain_core", reason="needs langchain-core (extra [langchain])")
pytest.importorskip("llama_index.core", reason="needs llama-index-core (extra [llama-index])")


def closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more: connections are refused
    return f"http://127.0.0.1:{port}"


def instances(base_url: str, api: str) -> dict[str, Any]:
    from langchain_qwen import ChatQwen, QwenEmbeddings
    from langchain_qwen import QwenRerank as LCRerank
    from llama_index_qwen import Qwen, QwenEmbedding
    from llama_index_qwen import QwenRerank as LIRerank

    common = {"api_key": API_KEY, "base_url": base_url, "max_retries": 0, "timeout": 5}
    return {
        "QwenClient": QwenClient(api=api, **common),
        "ChatQwen": ChatQwen(model="qwen-plus", api=api, **common),
        "QwenEmbeddings": QwenEmbeddings(api=api, **common),
        "LCRerank": LCRerank(**common),
        "Qwen": Qwen(model="qwen-plus", api=api, **common),
        "QwenEmbedding": QwenEmbedding(api=api, **common),
        "LIRerank": LIRerank(**common),
    }


def calls(objects: dict[str, Any]) -> list[tuple[str, Callable[[], Any]]]:
    """Every public path: sync, async and stream, for each class."""
    from langchain_core.documents import Document
    from llama_index.core.llms import ChatMessage
    from llama_index.core.schema import NodeWithScore, TextNode

    request = ChatRequest(model="qwen-plus", messages=[Message("user", "Hi")])
    client, chat = objects["QwenClient"], objects["ChatQwen"]
    emb, lc_rerank = objects["QwenEmbeddings"], objects["LCRerank"]
    qwen, li_emb, li_rerank = objects["Qwen"], objects["QwenEmbedding"], objects["LIRerank"]
    messages = [ChatMessage(role="user", content="Hi")]
    nodes = [NodeWithScore(node=TextNode(text="a")), NodeWithScore(node=TextNode(text="b"))]

    async def consume(stream: Any) -> list[Any]:
        return [item async for item in stream]

    return [
        ("QwenClient.chat", lambda: client.chat(request)),
        ("QwenClient.stream", lambda: list(client.stream(request))),
        ("QwenClient.achat", lambda: asyncio.run(client.achat(request))),
        ("QwenClient.astream", lambda: asyncio.run(consume(client.astream(request)))),
        ("QwenClient.embed", lambda: client.embed(EmbeddingRequest(model="text-embedding-v4", texts=["a"]))),
        ("ChatQwen.invoke", lambda: chat.invoke("Hi")),
        ("ChatQwen.ainvoke", lambda: asyncio.run(chat.ainvoke("Hi"))),
        ("ChatQwen.stream", lambda: list(chat.stream("Hi"))),
        ("QwenEmbeddings.embed_documents", lambda: emb.embed_documents(["a"])),
        ("QwenEmbeddings.aembed_query", lambda: asyncio.run(emb.aembed_query("a"))),
        ("LCRerank.compress_documents", lambda: lc_rerank.compress_documents([Document(page_content="a")], "q")),
        ("Qwen.chat", lambda: qwen.chat(messages)),
        ("Qwen.achat", lambda: asyncio.run(qwen.achat(messages))),
        ("Qwen.stream_chat", lambda: list(qwen.stream_chat(messages))),
        ("QwenEmbedding.get_text_embedding", lambda: li_emb.get_text_embedding("a")),
        ("QwenEmbedding.aget_query_embedding", lambda: asyncio.run(li_emb.aget_query_embedding("a"))),
        ("LIRerank.postprocess_nodes", lambda: li_rerank.postprocess_nodes(nodes, query_str="q")),
    ]


def rendered(error: BaseException) -> str:
    """What an error tracker records: the whole chain, every frame with its locals, and the errors' own text."""
    text = "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return text + "".join(f"{item!r} {item!s} {vars(item)!r}" for item in chain)


def assert_no_key_anywhere(objects: dict[str, Any], caplog: pytest.LogCaptureFixture, *, errors_expected: bool) -> None:
    for name, obj in objects.items():
        assert API_KEY not in repr(obj) and API_KEY not in str(obj), name
    for name, call in calls(objects):
        try:
            result = call()
        except QwenError as error:
            assert API_KEY not in rendered(error), name
        else:
            assert not errors_expected, f"{name} did not fail"
            assert API_KEY not in repr(result) and API_KEY not in str(result), name
    assert API_KEY not in caplog.text


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG):  # the root logger: urllib3, aiohttp, asyncio and ours propagate to it
        for name in ("urllib3", "aiohttp", "asyncio", "qwen_core", "langchain_qwen", "llama_index_qwen"):
            logging.getLogger(name).setLevel(logging.DEBUG)
        yield caplog
    for name in ("urllib3", "aiohttp", "asyncio", "qwen_core", "langchain_qwen", "llama_index_qwen"):
        logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.mark.parametrize("api", APIS)
def test_no_key_on_error_answers(api: str, debug_logs: pytest.LogCaptureFixture) -> None:
    body = b'{"code":"InvalidApiKey","message":"Invalid API-key provided.","request_id":"r-1"}'
    with FaultServer() as server:
        server.script([body], head=sse_head(401, content_type="application/json"))
        assert_no_key_anywhere(instances(server.base_url, api), debug_logs, errors_expected=True)


@pytest.mark.parametrize("api", APIS)
def test_no_key_on_refused_connections(api: str, debug_logs: pytest.LogCaptureFixture) -> None:
    assert_no_key_anywhere(instances(closed_port_url(), api), debug_logs, errors_expected=True)


@pytest.mark.parametrize("api", APIS)
def test_no_key_on_incomplete_streams(api: str, debug_logs: pytest.LogCaptureFixture) -> None:
    with FaultServer() as server:
        server.script(frames(api, ["Hel", "lo"], finish=False))  # type: ignore[arg-type]
        objects = instances(server.base_url, api)
        for name, call in calls(objects):
            if "stream" in name:
                with pytest.raises(QwenError) as caught:
                    call()
                assert API_KEY not in rendered(caught.value), name
    assert API_KEY not in debug_logs.text


@pytest.mark.parametrize("api", APIS)
def test_no_key_in_successful_results(api: str, debug_logs: pytest.LogCaptureFixture) -> None:
    with Emulator() as emu:
        assert_no_key_anywhere(instances(emu.base_url, api), debug_logs, errors_expected=False)


def test_no_key_when_the_configuration_is_refused() -> None:
    with pytest.raises(QwenError) as caught:
        QwenClient(api_key=API_KEY, region="mars-east-1")
    assert API_KEY not in rendered(caught.value)
