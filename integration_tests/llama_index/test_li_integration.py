"""Key ``Qwen`` flows against the real service when ``DASHSCOPE_API_KEY`` is set, else against the emulator."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_qwen import Qwen
from qwen_core.errors import AuthenticationError
from tests.llama_index.helpers import AGENT_WARNINGS

LIVE = bool(os.environ.get("DASHSCOPE_API_KEY"))

pytestmark = AGENT_WARNINGS


@pytest.fixture(params=["compatible", "dashscope"])
def llm(request: pytest.FixtureRequest, connection: dict[str, str]) -> Iterator[Qwen]:
    model = Qwen(model="qwen-plus", api=request.param, **connection)  # type: ignore[arg-type]
    yield model
    model.close()


class City(BaseModel):
    name: str
    country: str


ADDED: list[tuple[int, int]] = []


def add(a: int, b: int) -> int:
    """Add two integers a and b."""
    ADDED.append((a, b))
    return a + b


def test_chat_and_stream(llm: Qwen) -> None:
    response = llm.chat([ChatMessage(role="user", content="Say hello in one word.")])
    assert response.message.content and response.additional_kwargs["total_tokens"] > 0
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="Count from 1 to 5.")]))
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].message.content != ""


async def test_async_thinking_stream(llm: Qwen) -> None:
    stream = await llm.astream_chat([ChatMessage(role="user", content="Is 17 prime?")], enable_thinking=True)
    chunks = [c async for c in stream]
    assert isinstance(chunks[-1].message.blocks[0], ThinkingBlock)
    assert any(c.additional_kwargs.get("thinking_delta") for c in chunks)


async def test_function_agent(llm: Qwen) -> None:
    ADDED.clear()
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(add)], llm=llm)
    answer = str(await agent.run("add 2 and 3 with the tool, then answer"))
    assert ADDED and answer
    if LIVE:  # the emulator fills arguments from the text, it does not understand it
        assert ADDED == [(2, 3)] and "5" in answer


def test_structured_predict(llm: Qwen) -> None:
    city = llm.structured_predict(City, PromptTemplate("Extract the city: {text}"), text="Hangzhou is in China")
    assert isinstance(city, City) and city.name


def test_wrong_key_raises_authentication_error(connection: dict[str, str]) -> None:
    if not LIVE:
        pytest.skip("the default emulator accepts any key; tests/llama_index covers the offline auth error")
    llm = Qwen(api_key="sk-definitely-wrong", base_url=connection.get("base_url"))
    with pytest.raises(AuthenticationError):
        llm.chat([ChatMessage(role="user", content="hi")])
