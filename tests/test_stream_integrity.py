"""Stream integrity through the adapters (ChatQwen, LlamaIndex Qwen), over real sockets against the fault server:
an incomplete stream raises the typed error after every chunk that arrived, on every public streaming path."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from qwen_core.errors import IncompleteStreamError
from qwen_core.types import Api
from tests._support.constants import API_KEY
from tests._support.fault_server import FaultServer, frames

pytest.importorskip("langchain_core", reason="needs langchain-core (extra [langchain])")
pytest.importorskip("llama_index.core", reason="needs llama-index-core (extra [llama-index])")

APIS: list[Api] = ["compatible", "dashscope"]


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer() as fault:
        yield fault


def chat_qwen(server: FaultServer, api: Api, **options: object):  # type: ignore[no-untyped-def]
    from langchain_qwen import ChatQwen

    return ChatQwen(model="qwen-plus", api=api, api_key=API_KEY, base_url=server.base_url, max_retries=0, **options)


def li_qwen(server: FaultServer, api: Api, **options: object):  # type: ignore[no-untyped-def]
    from llama_index_qwen import Qwen

    return Qwen(model="qwen-plus", api=api, api_key=API_KEY, base_url=server.base_url, max_retries=0, **options)


@pytest.mark.parametrize("api", APIS)
def test_chat_qwen_stream_and_astream_raise_after_the_chunks(server: FaultServer, api: Api) -> None:
    server.script(frames(api, ["Hel", "lo"], finish=False))
    llm = chat_qwen(server, api)
    seen: list[str] = []
    with pytest.raises(IncompleteStreamError) as caught:
        for chunk in llm.stream("Hi"):
            seen.append(str(chunk.content))
    assert "".join(seen) == "Hello" and caught.value.partial.text == "Hello"

    async def consume() -> str:
        parts: list[str] = []
        with pytest.raises(IncompleteStreamError):
            async for chunk in llm.astream("Hi"):
                parts.append(str(chunk.content))
        return "".join(parts)

    assert asyncio.run(consume()) == "Hello"


@pytest.mark.parametrize("api", APIS)
def test_chat_qwen_streaming_invoke_refuses_an_incomplete_stream(server: FaultServer, api: Api) -> None:
    from langchain_core.exceptions import LangChainException

    server.script(frames(api, ["Hel", "lo"], finish=False))
    with pytest.raises(IncompleteStreamError) as caught:
        chat_qwen(server, api, streaming=True).invoke("Hi")
    assert isinstance(caught.value, LangChainException)  # also catchable as langchain-core's model error
    server.script(frames(api, ["Hel", "lo"], finish=True))
    assert chat_qwen(server, api, streaming=True).invoke("Hi").content == "Hello"


@pytest.mark.parametrize("api", APIS)
def test_llama_index_stream_chat_astream_chat_and_complete_refuse_an_incomplete_stream(
    server: FaultServer, api: Api
) -> None:
    from llama_index.core.llms import ChatMessage

    server.script(frames(api, ["Hel", "lo"], finish=False))
    llm = li_qwen(server, api)
    messages = [ChatMessage(role="user", content="Hi")]
    deltas: list[str] = []
    with pytest.raises(IncompleteStreamError):
        for response in llm.stream_chat(messages):
            deltas.append(response.delta or "")
    assert "".join(deltas) == "Hello"

    async def consume() -> None:
        async for _ in await llm.astream_chat(messages):
            pass

    with pytest.raises(IncompleteStreamError):
        asyncio.run(consume())
    with pytest.raises(IncompleteStreamError):
        li_qwen(server, api, enable_thinking=True).complete("Why?")  # thinking streams internally
