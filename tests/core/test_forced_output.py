"""The forced-output policy through ``QwenClient`` against the emulator (both protocols, sync and async), and the
emulator's own answers to what the policy never sends (the service's refusals while thinking)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from qwen_core.client import QwenClient
from qwen_core.emulator import Disobey, Emulator
from qwen_core.errors import ModelNonComplianceError
from qwen_core.streaming import StreamAccumulator
from qwen_core.types import ChatRequest, Message, NamedToolChoice, ResponseFormat, ToolSpec
from tests._support.constants import API_KEY, APIS

WEATHER = ToolSpec("get_weather", "Get the weather of a city",
                   {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"]}


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as server:
        yield server


@pytest.fixture(params=APIS)
def client(request: pytest.FixtureRequest, emu: Emulator) -> Iterator[QwenClient]:
    emu.reset()
    with QwenClient(api=request.param, api_key=API_KEY, base_url=emu.base_url, max_retries=0) as c:
        yield c


def _options(emu: Emulator) -> dict[str, object]:
    body = emu.requests.last.json
    return body.get("parameters", body)  # type: ignore[no-any-return]


def _ask(model: str, **options: object) -> ChatRequest:
    return ChatRequest(model=model, messages=[Message("user", "Weather in Paris? Alice is 30.")],
                       **options)  # type: ignore[arg-type]


async def test_forced_tool_on_a_thinking_only_model_is_guided(client: QwenClient, emu: Emulator) -> None:
    request = _ask("qwq-plus", tools=(WEATHER,), tool_choice=NamedToolChoice("get_weather"))
    result = client.chat(request)
    assert result.tool_calls[0].name == "get_weather" and result.reasoning
    assert _options(emu)["tool_choice"] == "auto"
    assert (await client.achat(request)).tool_calls
    accumulator = StreamAccumulator()
    for delta in client.stream(request):
        accumulator.add(delta)
    assert accumulator.result().tool_calls[0].name == "get_weather" and accumulator.result().reasoning
    deltas = [d async for d in client.astream(request)]
    assert any(d.tool_call_chunks for d in deltas)


async def test_json_schema_while_thinking_comes_back_as_checked_json(client: QwenClient, emu: Emulator) -> None:
    request = _ask("qwen-plus", enable_thinking=True, response_format=ResponseFormat("json_schema", PERSON))
    for result in (client.chat(request), await client.achat(request)):
        assert set(json.loads(result.text)) == {"name", "age"} and result.reasoning
    options = _options(emu)
    assert "response_format" not in options and options["enable_thinking"] is True


async def test_hybrid_model_that_thinks_by_default_turns_thinking_off(client: QwenClient, emu: Emulator) -> None:
    request = _ask("qwen3-32b", tools=(WEATHER,), tool_choice="required")
    assert client.chat(request).tool_calls
    assert _options(emu)["enable_thinking"] is False and _options(emu)["tool_choice"] == "required"


async def test_non_compliance_retries_then_raises(client: QwenClient, emu: Emulator) -> None:
    request = _ask("qwq-plus", response_format=ResponseFormat("json_object"))
    emu.enqueue(Disobey())
    assert json.loads(client.chat(request).text)
    assert len(emu.requests) == 2
    emu.enqueue(Disobey(), Disobey(), Disobey())
    with pytest.raises(ModelNonComplianceError) as info:
        await client.achat(request)
    assert info.value.attempts == 3 and "prose" in info.value.result.text and info.value.result.reasoning


def test_a_model_without_tool_calling_answers_the_forced_call_in_json(client: QwenClient, emu: Emulator) -> None:
    result = client.chat(_ask("qwen-long", tools=(WEATHER,), tool_choice="required"))
    assert result.tool_calls[0].name == "get_weather" and "city" in json.loads(result.tool_calls[0].arguments)
    assert "tools" not in _options(emu)


@pytest.mark.parametrize(("extra", "message"), [
    ({"tool_choice": "required"}, "does not support being set to required or object in thinking mode"),
    ({"tool_choice": {"type": "function", "function": {"name": "get_weather"}}}, "required or object"),
    ({"response_format": {"type": "json_object"}}, "Json mode response is not supported when enable_thinking"),
])
def test_emulator_refuses_what_thinking_forbids(emu: Emulator, extra: dict[str, object], message: str) -> None:
    body = {"model": "qwq-plus", "stream": True, "messages": [{"role": "user", "content": "json please"}],
            "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
            **extra}
    response = httpx.post(emu.compatible_base + "/chat/completions", json=body,
                          headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 400 and message in response.text
