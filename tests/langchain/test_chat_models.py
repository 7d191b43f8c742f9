"""ChatQwen end to end over real HTTP against the emulator, on both protocols (``api`` fixture)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage

from qwen_core.emulator import Emulator, ScriptedReply, ScriptedToolCall
from tests._support.wire import wire_messages, wire_options
from tests.langchain.helpers import ModelFactory


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def _sum(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


# -- invoke / stream / async / batch ---------------------------------------------------------------


def test_invoke(make: ModelFactory, emu: Emulator) -> None:
    emu.enqueue(ScriptedReply(text="Hello!", usage={"input_tokens": 11, "output_tokens": 2}))
    message = make().invoke("Hi")
    assert isinstance(message, AIMessage)
    assert message.content == "Hello!"
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] == 11
    assert message.usage_metadata["output_tokens"] == 2
    assert message.usage_metadata["total_tokens"] == 13
    metadata = message.response_metadata
    assert metadata["model_name"] == "qwen-plus"
    assert metadata["finish_reason"] == "stop"
    assert metadata["request_id"]
    assert metadata["model_provider"] == "dashscope"
    assert len(emu.requests) == 1


def test_stream_token_granularity_and_one_usage_chunk(make: ModelFactory, emu: Emulator, api: str) -> None:
    emu.enqueue(ScriptedReply(text="one two three", chunks=["one", " two", " three"]))
    chunks = list(make().stream("count"))
    assert [c.content for c in chunks if c.content] == ["one", " two", " three"]
    with_usage = [i for i, c in enumerate(chunks) if c.usage_metadata]
    assert with_usage == [len(chunks) - 1]
    total = _sum(chunks)
    assert total.content == "one two three"
    assert total.usage_metadata is not None and total.usage_metadata["output_tokens"] > 0
    assert total.response_metadata["finish_reason"] == "stop"
    assert total.response_metadata["model_name"] == "qwen-plus"
    assert total.response_metadata["model_provider"] == "dashscope"
    assert total.response_metadata["request_id"]
    assert wire_options(emu.requests.last.json, api)["stream_options" if api == "compatible" else "incremental_output"]


def test_stream_usage_off(make: ModelFactory, emu: Emulator) -> None:
    chunks = list(make(stream_usage=False).stream("hello"))
    assert not any(c.usage_metadata for c in chunks)


def test_streaming_field_streams_invoke(make: ModelFactory, emu: Emulator, api: str) -> None:
    emu.enqueue(ScriptedReply(text="streamed", chunks=["str", "eamed"]))
    message = make(streaming=True).invoke("hi")
    assert message.content == "streamed"
    assert message.usage_metadata is not None
    body = emu.requests.last
    assert body.json.get("stream") is True if api == "compatible" else "text/event-stream" in str(body.headers)


async def test_ainvoke_and_astream(make: ModelFactory, emu: Emulator) -> None:
    model = make()
    emu.enqueue(ScriptedReply(text="async hello"))
    message = await model.ainvoke("hi")
    assert message.content == "async hello"
    emu.enqueue(ScriptedReply(text="a b", chunks=["a", " b"]))
    chunks = [chunk async for chunk in model.astream("hi")]
    assert [c.content for c in chunks if c.content] == ["a", " b"]
    assert sum(1 for c in chunks if c.usage_metadata) == 1
    assert chunks[-1].usage_metadata is not None


def test_batch(make: ModelFactory, emu: Emulator) -> None:
    answers = make().batch(["first", "second", "third"])
    assert sorted(str(a.content) for a in answers) == ["Echo: first", "Echo: second", "Echo: third"]
    assert len(emu.requests) == 3


async def test_abatch(make: ModelFactory, emu: Emulator) -> None:
    answers = await make().abatch(["first", "second"])
    assert [a.content for a in answers] == ["Echo: first", "Echo: second"]


def test_one_client_reused(make: ModelFactory, emu: Emulator) -> None:
    model = make()
    model.invoke("a")
    model.invoke("b")
    list(model.stream("c"))
    assert emu.connections_opened == 1


# -- tools -------------------------------------------------------------------------------------


def test_parallel_tool_calls_streamed(make: ModelFactory, emu: Emulator, api: str) -> None:
    emu.enqueue(ScriptedReply(tool_calls=[ScriptedToolCall("add", {"a": 1, "b": 2}),
                                          ScriptedToolCall("multiply", {"a": 3, "b": 4})]))
    chunks = list(make().bind_tools([add, multiply], parallel_tool_calls=True).stream("1+2 and 3*4"))
    indices = {c["index"] for chunk in chunks for c in chunk.tool_call_chunks}
    assert indices == {0, 1}
    total = _sum(chunks)
    assert [(c["name"], c["args"]) for c in total.tool_calls] == [("add", {"a": 1, "b": 2}),
                                                                  ("multiply", {"a": 3, "b": 4})]
    assert all(c["id"] for c in total.tool_calls)
    assert total.response_metadata["finish_reason"] == "tool_calls"
    options = wire_options(emu.requests.last.json, api)
    assert options["parallel_tool_calls"] is True
    assert [t["function"]["name"] for t in options["tools"]] == ["add", "multiply"]


def test_tool_calls_invoke(make: ModelFactory, emu: Emulator) -> None:
    emu.enqueue(ScriptedReply(tool_calls=[ScriptedToolCall("add", {"a": 1, "b": 2})]))
    message = make().bind_tools([add]).invoke("1+2")
    assert isinstance(message, AIMessage)
    assert message.tool_calls[0]["name"] == "add"
    assert message.tool_calls[0]["args"] == {"a": 1, "b": 2}


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("any", "required"),
        ("required", "required"),
        ("add", {"type": "function", "function": {"name": "add"}}),
        ({"type": "function", "function": {"name": "add"}}, {"type": "function", "function": {"name": "add"}}),
    ],
)
def test_tool_choice_on_the_wire(make: ModelFactory, emu: Emulator, api: str, choice: Any, expected: Any) -> None:
    make().bind_tools([add, multiply], tool_choice=choice).invoke("1+2")
    assert wire_options(emu.requests.last.json, api)["tool_choice"] == expected


def test_forced_tool_choice_while_thinking_is_guided_not_refused(make: ModelFactory, emu: Emulator, api: str) -> None:
    """Explicit thinking + a forced tool: never sent as forced (the service refuses it), yet the call comes back."""
    model = make(enable_thinking=True).bind_tools([add], tool_choice="add")
    reply = model.invoke("1+2")
    assert [call["name"] for call in reply.tool_calls] == ["add"]
    assert reply.additional_kwargs["reasoning_content"]
    options = wire_options(emu.requests.last.json, api)
    assert options["tool_choice"] == "auto" and options["enable_thinking"] is True


def test_tool_choice_must_name_a_bound_tool(make: ModelFactory) -> None:
    with pytest.raises(ValueError, match="not among the bound tools"):
        make().bind_tools([add], tool_choice="subtract")
    with pytest.raises(ValueError, match="unsupported tool_choice"):
        make().bind_tools([add], tool_choice={"type": "bogus"})


def test_agent_loop(make: ModelFactory, emu: Emulator, api: str) -> None:
    """bind_tools -> tool call -> run the tool -> ToolMessage -> final answer."""
    tools = {"add": add, "multiply": multiply}
    model = make().bind_tools(list(tools.values()))
    emu.enqueue(ScriptedReply(tool_calls=[ScriptedToolCall("add", {"a": 2, "b": 3}, id="call_1")]),
                ScriptedReply(text="2 + 3 = 5"))
    history: list[Any] = [SystemMessage("You are a calculator."), HumanMessage("What is 2 + 3?")]
    for _ in range(3):
        reply = model.invoke(history)
        history.append(reply)
        if not isinstance(reply, AIMessage) or not reply.tool_calls:
            break
        for call in reply.tool_calls:
            history.append(ToolMessage(str(tools[call["name"]](**call["args"])), tool_call_id=call["id"]))
    assert history[-1].content == "2 + 3 = 5"
    sent = wire_messages(emu.requests.last.json, api)
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool"]
    assert sent[2]["tool_calls"][0]["id"] == "call_1"
    assert sent[3]["tool_call_id"] == "call_1"
    assert sent[3]["content"] == "5"
    # tools are resent with the results (docs/protocol.md#q28)
    assert "tools" in wire_options(emu.requests.last.json, api)


# -- per-call overrides ------------------------------------------------------------------------


def test_per_call_overrides(make: ModelFactory, emu: Emulator, api: str) -> None:
    model = make(temperature=0.1, max_tokens=50)
    message = model.invoke("hi", model="qwen-max", temperature=0.7, stop=["END"], top_k=5)
    body = emu.requests.last.json
    options = wire_options(body, api)
    assert body["model"] == "qwen-max"
    assert options["temperature"] == 0.7
    assert options["max_tokens"] == 50
    assert options["stop"] == ["END"]
    assert options["top_k"] == 5
    assert message.response_metadata["model_name"] == "qwen-max"
    assert model.model_name == "qwen-plus" and model.temperature == 0.1  # the instance is unchanged
    bound = model.bind(model="qwen-turbo")
    bound.invoke("hi")
    assert emu.requests.last.json["model"] == "qwen-turbo"


def test_connection_fields_are_not_per_call(make: ModelFactory, emu: Emulator) -> None:
    with pytest.raises(ValueError, match="cannot be changed per call"):
        make().invoke("hi", api="dashscope")
    assert len(emu.requests) == 0


def test_model_kwargs_reach_the_wire(make: ModelFactory, emu: Emulator, api: str) -> None:
    make(model_kwargs={"vl_high_resolution_images": True}).invoke("hi")
    assert wire_options(emu.requests.last.json, api)["vl_high_resolution_images"] is True
    with pytest.raises(ValueError, match="not in model_kwargs"):
        make(model_kwargs={"api_key": "sk-other"})


# -- messages in ------------------------------------------------------------------------------


IMAGE_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def test_image_inputs_both_formats(make: ModelFactory, emu: Emulator, api: str) -> None:
    message = HumanMessage(content=[
        {"type": "text", "text": "Describe these"},
        {"type": "image", "url": "https://example.com/a.png"},
        {"type": "image", "base64": IMAGE_B64, "mime_type": "image/png"},
        {"type": "image_url", "image_url": {"url": "https://example.com/b.png"}},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{IMAGE_B64}"}},
    ])
    make(model="qwen3-vl-plus").invoke([message])
    sent = str(wire_messages(emu.requests.last.json, api))
    assert "https://example.com/a.png" in sent and "https://example.com/b.png" in sent
    assert sent.count(f"data:image/png;base64,{IMAGE_B64}") == 2


def test_history_shapes_on_the_wire(make: ModelFactory, emu: Emulator, api: str) -> None:
    history = [
        SystemMessage("rule one"),
        HumanMessage("hi", name="alice"),
        AIMessage("", tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "c1"},
                                  {"name": "add", "args": {"a": 0, "b": 0}, "id": "c2"}]),
        ToolMessage([{"type": "text", "text": "3"}], tool_call_id="c1"),
        ToolMessage("boom", tool_call_id="c2", status="error"),
        HumanMessage("and now?"),
    ]
    make().bind_tools([add]).invoke(history)
    sent = wire_messages(emu.requests.last.json, api)
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "tool", "user"]
    assert sent[3]["content"] == "3"
    assert sent[4]["content"] == "Error: boom"
    assert sent[2]["tool_calls"][1]["function"]["arguments"] == '{"a": 0, "b": 0}'


def test_prefix_continuation(make: ModelFactory, emu: Emulator, api: str) -> None:
    emu.enqueue(ScriptedReply(text=" world"))
    prefix = AIMessage("Hello", additional_kwargs={"partial": True})
    message = make().invoke([HumanMessage("Say hello world"), prefix])
    assert message.content == " world"
    last = wire_messages(emu.requests.last.json, api)[-1]
    assert last == {"role": "assistant", "content": "Hello", "partial": True} or (
        last["partial"] is True and last["content"] == "Hello"
    )


def test_search_results_in_metadata(make: ModelFactory, emu: Emulator, api: str) -> None:
    message = make(enable_search=True, search_options={"enable_source": True}).invoke("news today")
    options = wire_options(emu.requests.last.json, api)
    assert options["enable_search"] is True
    assert options["search_options"] == {"enable_source": True}
    if "search_info" in message.response_metadata:  # the emulator reports search results when it has some
        assert isinstance(message.response_metadata["search_info"], dict)
