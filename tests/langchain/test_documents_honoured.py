"""What the service documents allow, honoured by ChatQwen on both protocols, sync and async: ``stop`` in all its
forms, native ``incremental_output``, ``"parameters": {}``, id-less tool results, unknown-model warnings."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, ChatMessage, HumanMessage

from qwen_core.catalogue import UnknownModelWarning
from qwen_core.emulator import Emulator
from qwen_core.errors import InvalidRequestError
from tests._support.wire import wire_messages, wire_options
from tests.langchain.helpers import ModelFactory

STOPS: list[Any] = ["你好", ["Paris", "London"], [37763, 367], [[37763, 367]]]


@pytest.mark.parametrize("stop", STOPS)
async def test_stop_in_the_constructor_goes_on_the_wire_as_given(
    make: ModelFactory, emu: Emulator, api: str, stop: Any
) -> None:
    model = make(stop=stop)
    model.invoke("hi")
    assert wire_options(emu.requests.last.json, api)["stop"] == stop
    await model.ainvoke("hi")
    assert wire_options(emu.requests.last.json, api)["stop"] == stop
    "".join(str(c.content) for c in model.stream("hi"))
    assert wire_options(emu.requests.last.json, api)["stop"] == stop


@pytest.mark.parametrize("stop", STOPS)
async def test_stop_per_call(make: ModelFactory, emu: Emulator, api: str, stop: Any) -> None:
    model = make()
    model.invoke("hi", stop=stop)
    assert wire_options(emu.requests.last.json, api)["stop"] == stop
    [c async for c in model.astream("hi", stop=stop)]
    assert wire_options(emu.requests.last.json, api)["stop"] == stop


def test_a_stop_string_stops_the_answer(make: ModelFactory) -> None:
    assert make(stop="world").invoke("hello world again").content == "Echo: hello "


def test_mixed_stop_kinds_are_refused_before_sending(make: ModelFactory, emu: Emulator) -> None:
    with pytest.raises(InvalidRequestError, match="all of one kind"):
        make().invoke("hi", stop=["a", 1])
    assert len(emu.requests) == 0


async def test_native_incremental_output_false(make: ModelFactory, emu: Emulator, api: str) -> None:
    model = make(model_kwargs={"incremental_output": False})
    if api == "dashscope":
        with pytest.raises(InvalidRequestError, match="incremental_output=False"):
            list(model.stream("hi"))
        with pytest.raises(InvalidRequestError, match="incremental_output=False"):
            [c async for c in model.astream("hi")]
        assert len(emu.requests) == 0
    assert model.invoke("hi").content == "Echo: hi"  # non-streamed: sent as given, never overwritten
    assert wire_options(emu.requests.last.json, api)["incremental_output"] is False


async def test_a_tool_without_parameters(make: ModelFactory, emu: Emulator, api: str) -> None:
    tool = {"type": "function", "function": {"name": "get_time", "description": "Current time", "parameters": {}}}
    reply = await make().bind_tools([tool]).ainvoke("What time is it?")
    assert reply.tool_calls[0]["name"] == "get_time"
    # langchain-core's convert_to_openai_tool spells {} as the equivalent empty object schema
    assert wire_options(emu.requests.last.json, api)["tools"][0]["function"]["parameters"] in (
        {}, {"type": "object", "properties": {}})


async def test_id_less_tool_results(make: ModelFactory, emu: Emulator, api: str) -> None:
    history = [
        HumanMessage("Weather in Paris?"),
        AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}]),
        ChatMessage(role="tool", content="Sunny", name="get_weather"),
    ]
    model = make()
    if api == "compatible":
        with pytest.raises(InvalidRequestError, match="no tool_call_id"):
            model.invoke(history)
        assert len(emu.requests) == 0
        return
    assert "Sunny" in str((await model.ainvoke(history)).content)
    sent = wire_messages(emu.requests.last.json, api)[-1]
    assert sent == {"role": "tool", "content": "Sunny", "name": "get_weather"}


def test_unknown_model_names_warn(make: ModelFactory, api: str) -> None:
    name = f"qwen-from-the-future-{api}"  # the warning is given once per name and process
    with pytest.warns(UnknownModelWarning, match=name):
        profile = make(model=name).profile
    assert profile is not None
