"""LlamaIndex framework flows with ``Qwen`` over real HTTP to the emulator, on both protocols."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import AgentStream, AgentWorkflow, FunctionAgent, ReActAgent, ToolCallResult
from llama_index.core.chat_engine import CondensePlusContextChatEngine, SimpleChatEngine
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.core.tools import FunctionTool
from llama_index.core.workflow import Context

from qwen_core.emulator import Emulator, ScriptedReply
from tests.llama_index.helpers import AGENT_WARNINGS, LLMFactory

pytestmark = [
    *AGENT_WARNINGS,
    # ReActAgent calls a deprecated workflows API internally
    pytest.mark.filterwarnings("ignore:is_running called from within a step:DeprecationWarning"),
]

CALLS: list[tuple[str, str]] = []


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    CALLS.append(("get_weather", city))
    return f"Sunny in {city}"


def get_time(city: str) -> str:
    """Get the local time in a city."""
    CALLS.append(("get_time", city))
    return f"12:00 in {city}"


TOOLS = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)]


@pytest.fixture(autouse=True)
def _reset_calls() -> Iterator[None]:
    CALLS.clear()
    yield
    gc.collect()  # agents' unclosed aiosqlite connections are collected here, under this module's filters


async def test_function_agent_streams_parallel_calls_and_keeps_memory(emu: Emulator, make: LLMFactory) -> None:
    agent = FunctionAgent(tools=TOOLS, llm=make())  # streaming=True is the default
    ctx = Context(agent)
    handler = agent.run("weather and time in Hangzhou", ctx=ctx)
    streamed: list[AgentStream] = []
    results: list[ToolCallResult] = []
    async for event in handler.stream_events():
        if isinstance(event, AgentStream):
            streamed.append(event)
        elif isinstance(event, ToolCallResult):
            results.append(event)
    answer = str(await handler)
    assert sorted(CALLS) == [("get_time", "Hangzhou"), ("get_weather", "Hangzhou")]  # two calls in one turn
    assert "Sunny in Hangzhou" in answer and "12:00 in Hangzhou" in answer
    assert any(e.tool_calls for e in streamed) and "".join(e.delta for e in streamed)
    # second turn on the same context: the history (with tool calls and results) goes back to the service
    second = str(await agent.run("and the weather in Paris?", ctx=ctx))
    assert "Sunny in Paris" in second
    assert any(m.get("tool_calls") for m in _messages(emu.requests.last.json))


def _messages(body: dict[str, object]) -> list[dict[str, object]]:
    return body.get("messages") or body["input"]["messages"]  # type: ignore[return-value,index]


async def test_function_agent_without_streaming(make: LLMFactory) -> None:
    agent = FunctionAgent(tools=TOOLS, llm=make(), streaming=False)
    answer = str(await agent.run("what time is it in Tokyo"))
    assert CALLS == [("get_time", "Tokyo")] and "12:00 in Tokyo" in answer


async def test_function_agent_with_thinking_surfaces_thinking_delta(make: LLMFactory) -> None:
    agent = FunctionAgent(tools=TOOLS, llm=make(enable_thinking=True))
    handler = agent.run("time in Tokyo")
    thinking = [e.thinking_delta async for e in handler.stream_events() if isinstance(e, AgentStream)]
    await handler
    assert any(thinking)


async def test_react_agent(emu: Emulator, make: LLMFactory) -> None:
    emu.enqueue(
        ScriptedReply(text='Thought: I need the weather.\nAction: get_weather\nAction Input: {"city": "Hangzhou"}'),
        ScriptedReply(text="Thought: I can answer without using any more tools.\nAnswer: It is sunny in Hangzhou."),
    )
    agent = ReActAgent(tools=TOOLS, llm=make())
    answer = str(await agent.run("weather in Hangzhou?"))
    assert CALLS == [("get_weather", "Hangzhou")] and "sunny in Hangzhou" in answer
    assert "Sunny in Hangzhou" in str(_messages(emu.requests.last.json))  # the observation went back


async def test_agent_workflow(make: LLMFactory) -> None:
    weather = FunctionAgent(name="weather", description="Knows the weather", tools=TOOLS[:1], llm=make())
    workflow = AgentWorkflow(agents=[weather], root_agent="weather")
    answer = str(await workflow.run(user_msg="weather in Berlin"))
    assert CALLS == [("get_weather", "Berlin")] and "Sunny in Berlin" in answer


def test_simple_chat_engine(make: LLMFactory) -> None:
    engine = SimpleChatEngine.from_defaults(llm=make())
    assert str(engine.chat("Hello")) == "Echo: Hello"
    streamed = engine.stream_chat("Hello again")
    assert "".join(streamed.response_gen) == "Echo: Hello again"
    assert len(engine.chat_history) == 4


async def test_condense_plus_context_chat_engine(emu: Emulator, make: LLMFactory) -> None:
    llm = make()
    index = VectorStoreIndex.from_documents(
        [Document(text="Qwen is a family of models by Alibaba."), Document(text="Hangzhou is in Zhejiang.")],
        embed_model=MockEmbedding(embed_dim=8),
    )
    engine = CondensePlusContextChatEngine.from_defaults(
        index.as_retriever(similarity_top_k=2), llm=llm, memory=ChatMemoryBuffer.from_defaults(token_limit=2000)
    )
    first = await engine.achat("What is Qwen?")
    assert first.response and first.source_nodes
    streamed = await engine.astream_chat("And where is Hangzhou?")
    text = "".join([token async for token in streamed.async_response_gen()])
    assert text
    assert "Zhejiang" in str(_messages(emu.requests.last.json))  # retrieved context reached the model


def test_vector_store_query_engine_streaming(emu: Emulator, make: LLMFactory) -> None:
    index = VectorStoreIndex.from_documents(
        [Document(text="The capital of Zhejiang is Hangzhou.")], embed_model=MockEmbedding(embed_dim=8)
    )
    engine = index.as_query_engine(llm=make(), streaming=True)
    response = engine.query("What is the capital of Zhejiang?")
    text = "".join(response.response_gen)  # type: ignore[union-attr]
    assert text and "Hangzhou" in str(_messages(emu.requests.last.json))
