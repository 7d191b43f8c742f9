"""Forced tools and structured output on models that think (qwen_core.forced_output's policy), through ChatQwen,
``create_agent`` and the emulator, on both protocols, sync and async."""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.structured_output import ProviderStrategy, ToolStrategy
from langchain_core.exceptions import ModelRefusalError
from langchain_core.messages import AIMessage
from pydantic import BaseModel

from qwen_core.catalogue import DEFAULT_CATALOGUE
from qwen_core.emulator import Disobey, Emulator
from qwen_core.errors import ModelNonComplianceError
from tests._support.wire import wire_messages, wire_options
from tests.langchain.helpers import ModelFactory

#: One model per thinking family: hybrid off by default, hybrid on by default (multimodal endpoint), open hybrid
#: on by default, thinking-only.
MODELS = ("qwen-plus", "qwen3.5-plus", "qwen3-32b", "qwq-plus")
CHAT_MODELS = sorted(DEFAULT_CATALOGUE.chat_models())
PROMPT = "Extract the person as JSON: Alice is 30 years old."


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str
    age: int


class Weather(BaseModel):
    """The weather report for a city."""

    city: str
    temperature: int


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny and 21 degrees in {city}"


def _options(emu: Emulator, api: str, index: int = -1) -> dict[str, Any]:
    return wire_options(emu.requests[index].json, api)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
async def test_with_structured_output_on_thinking_families(
    make: ModelFactory, emu: Emulator, api: str, model: str, method: Any
) -> None:
    structured = make(model=model).with_structured_output(Person, method=method)
    assert isinstance(structured.invoke(PROMPT), Person)
    assert isinstance(await structured.ainvoke(PROMPT), Person)
    options = _options(emu, api)
    info = DEFAULT_CATALOGUE.chat_model(model)
    if info.thinking == "hybrid":  # hybrid: thinking off for that call (sent when the model would think)
        assert options.get("enable_thinking") is (False if info.thinking_default else None)
    else:  # thinking-only: nothing the service refuses is sent
        assert options.get("tool_choice") in (None, "auto") and "response_format" not in options


@pytest.mark.parametrize("model", MODELS)
async def test_json_mode_on_thinking_families(make: ModelFactory, api: str, model: str) -> None:
    structured = make(model=model).with_structured_output(None, method="json_mode")
    assert isinstance(structured.invoke(PROMPT), dict)
    assert isinstance(await structured.ainvoke(PROMPT), dict)


@pytest.mark.parametrize("model", MODELS)
async def test_include_raw_and_streaming_keep_the_reasoning(make: ModelFactory, model: str) -> None:
    thinking = DEFAULT_CATALOGUE.chat_model(model).thinking == "thinking_only"
    structured = make(model=model).with_structured_output(Person, include_raw=True)
    out = structured.invoke(PROMPT)
    assert isinstance(out["parsed"], Person) and out["parsing_error"] is None
    assert isinstance(out["raw"], AIMessage) and out["raw"].tool_calls
    assert bool(out["raw"].additional_kwargs.get("reasoning_content")) is thinking
    chunks = [c async for c in make(model=model).with_structured_output(Person).astream(PROMPT)]
    assert isinstance(chunks[-1], Person)
    assert isinstance(list(make(model=model).with_structured_output(Person).stream(PROMPT))[-1], Person)


@pytest.mark.parametrize("model", CHAT_MODELS)
@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_structured_output_works_on_every_catalogue_model(make: ModelFactory, model: str, method: Any) -> None:
    assert isinstance(make(model=model).with_structured_output(Person, method=method).invoke(PROMPT), Person)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("choice", ["any", "required", "get_weather"])
async def test_forced_tool_choice_on_thinking_families(
    make: ModelFactory, emu: Emulator, api: str, model: str, choice: str
) -> None:
    bound = make(model=model).bind_tools([get_weather, Person], tool_choice=choice)
    reply = bound.invoke("What's the weather in Paris?")
    assert reply.tool_calls
    if choice == "get_weather":
        assert reply.tool_calls[0]["name"] == "get_weather"
    areply = await bound.ainvoke("What's the weather in Paris?")
    assert areply.tool_calls
    streamed = [c async for c in bound.astream("What's the weather in Paris?")]
    assert sum(streamed[1:], streamed[0]).tool_calls


async def test_a_forced_call_is_honoured_after_tool_results(make: ModelFactory, emu: Emulator, api: str) -> None:
    """The emulator, like the service, calls a tool when forced even when the last message is a tool result."""
    from langchain_core.messages import HumanMessage, ToolMessage

    bound = make(model="qwen-max").bind_tools([get_weather, Weather], tool_choice="required")
    first = bound.invoke("What's the weather in Paris?")
    history = [HumanMessage("What's the weather in Paris?"), first,
               ToolMessage("Sunny, 21", tool_call_id=first.tool_calls[0]["id"])]
    second = await bound.ainvoke(history)
    assert second.tool_calls and second.tool_calls[0]["name"] != first.tool_calls[0]["name"]


@pytest.mark.parametrize("api_call", ["sync", "async"])
async def test_non_compliance_is_corrected_then_retried(
    make: ModelFactory, emu: Emulator, api: str, api_call: str
) -> None:
    emu.enqueue(Disobey())
    structured = make(model="qwq-plus").with_structured_output(Person)
    person = structured.invoke(PROMPT) if api_call == "sync" else await structured.ainvoke(PROMPT)
    assert isinstance(person, Person)
    assert len(emu.requests) == 2
    retry = wire_messages(emu.requests[1].json, api)
    assert retry[-2]["role"] == "assistant" and "prose" in str(retry[-2]["content"])
    assert retry[-1]["role"] == "user" and "did not follow the instructions" in str(retry[-1]["content"])


@pytest.mark.parametrize("model", ["qwq-plus", "qwen3-32b"])
async def test_a_model_that_never_complies_raises_a_typed_error(make: ModelFactory, emu: Emulator, model: str) -> None:
    emu.enqueue(Disobey(), Disobey(), Disobey())
    llm = make(model=model, enable_thinking=True) if model != "qwq-plus" else make(model=model)
    with pytest.raises(ModelNonComplianceError) as info:
        llm.with_structured_output(Person, method="json_schema").invoke(PROMPT)
    error = info.value
    assert isinstance(error, ModelRefusalError) and error.attempts == 3 and len(emu.requests) == 3
    assert "did not comply" in str(error) and "prose" in error.result.text
    assert error.raw_message is not None and error.raw_message.additional_kwargs["reasoning_content"]
    emu.enqueue(Disobey(), Disobey(), Disobey())
    with pytest.raises(ModelNonComplianceError):
        await llm.bind_tools([get_weather], tool_choice="any").ainvoke("Weather in Oslo?")


@pytest.mark.parametrize("model", MODELS)
def test_profile_reports_what_works(make: ModelFactory, model: str) -> None:
    profile = make(model=model).profile
    assert profile is not None
    assert profile["structured_output"] is True and profile["tool_choice"] is True
    assert profile["reasoning_output"] is True


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("strategy", ["auto", "provider", "tool"])
async def test_create_agent_with_response_format(make: ModelFactory, model: str, strategy: str) -> None:
    formats: dict[str, Any] = {
        "auto": Weather, "provider": ProviderStrategy(Weather), "tool": ToolStrategy(Weather),
    }
    agent = create_agent(make(model=model), tools=[get_weather], response_format=formats[strategy])
    question = {"messages": [{"role": "user", "content": "What's the weather in Paris?"}]}
    result = agent.invoke(question)
    assert isinstance(result["structured_response"], Weather)
    aresult = await agent.ainvoke(question)
    assert isinstance(aresult["structured_response"], Weather)
