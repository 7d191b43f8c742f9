"""The OpenAI SDK against the compatible endpoint: plain, streamed, tools, reasoning, errors, async."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest

from qwen_core.emulator import Emulator, ScriptedReply, ScriptedToolCall
from tests._support.constants import API_KEY

WEATHER = {"type": "function", "function": {
    "name": "get_current_weather", "description": "Get the current weather for a city",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}, "days": {"type": "integer"}},
                   "required": ["location"]}}}
STOCK = {"type": "function", "function": {
    "name": "get_stock_price", "description": "Stock price of a company",
    "parameters": {"type": "object", "properties": {"ticker": {"type": "string"}}, "required": ["ticker"]}}}


_OPEN: list[openai.OpenAI] = []


def client(emu: Emulator, key: str = API_KEY) -> openai.OpenAI:
    made = openai.OpenAI(base_url=emu.compatible_base, api_key=key, max_retries=0)
    _OPEN.append(made)
    return made


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def test_plain_chat(emu: Emulator) -> None:
    r = client(emu).chat.completions.create(model="qwen-plus", messages=[{"role": "user", "content": "hi there"}])
    assert r.choices[0].message.content == "Echo: hi there"
    assert r.choices[0].finish_reason == "stop"
    assert r.id.startswith("chatcmpl-") and r.object == "chat.completion"
    assert r.usage is not None and r.usage.completion_tokens == 4  # "Echo" ":" " hi" " there"
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    assert emu.requests.last.headers["authorization"] == f"Bearer {API_KEY}"


def test_stream_with_usage(emu: Emulator) -> None:
    chunks = list(client(emu).chat.completions.create(
        model="qwen-plus", messages=[{"role": "user", "content": "one two three"}], stream=True,
        stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: one two three"
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) >= 3
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-2])
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert len({c.id for c in chunks}) == 1


def test_stream_without_usage_has_none(emu: Emulator) -> None:
    chunks = list(client(emu).chat.completions.create(
        model="qwen-plus", messages=[{"role": "user", "content": "x"}], stream=True))
    assert all(c.usage is None for c in chunks) and all(c.choices for c in chunks)


def test_parallel_tool_calls_streamed(emu: Emulator) -> None:
    stream = client(emu).chat.completions.create(
        model="qwen-plus", messages=[{"role": "user", "content": "Weather in Hangzhou and Shanghai?"}],
        tools=[WEATHER, STOCK], parallel_tool_calls=True, stream=True)
    calls: dict[int, dict[str, str]] = {}
    fragments = 0
    finish = None
    for chunk in stream:
        choice = chunk.choices[0]
        finish = choice.finish_reason or finish
        for tc in choice.delta.tool_calls or []:
            fragments += 1
            slot = calls.setdefault(tc.index, {"id": "", "name": "", "args": ""})
            if tc.id:
                assert slot["id"] == "", "id must only be on the first fragment"
                slot["id"] = tc.id
            if tc.function and tc.function.name:
                slot["name"] += tc.function.name
            if tc.function and tc.function.arguments:
                slot["args"] += tc.function.arguments
    assert finish == "tool_calls"
    assert fragments >= 4
    assert [json.loads(c["args"]) for c in calls.values()] == [{"location": "Hangzhou"}, {"location": "Shanghai"}]
    assert all(c["name"] == "get_current_weather" and c["id"].startswith("call_") for c in calls.values())


def test_tool_result_answer(emu: Emulator) -> None:
    r = client(emu).chat.completions.create(model="qwen-plus", tools=[WEATHER], messages=[
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function", "function": {
            "name": "get_current_weather", "arguments": "{\"location\": \"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 C"}])
    assert r.choices[0].message.content is not None and "Sunny, 21 C" in r.choices[0].message.content
    assert r.choices[0].finish_reason == "stop"


def test_reasoning_stream(emu: Emulator) -> None:
    chunks = list(client(emu).chat.completions.create(
        model="qwen-plus", messages=[{"role": "user", "content": "why is the sky blue"}], stream=True,
        stream_options={"include_usage": True}, extra_body={"enable_thinking": True, "thinking_budget": 5}))
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks if c.choices)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert reasoning.startswith("The user asks") and content == "Echo: why is the sky blue"
    usage = chunks[-1].usage
    assert usage is not None and usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 5


def test_thinking_non_stream_rejected(emu: Emulator) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        client(emu).chat.completions.create(model="qwen-plus", messages=[{"role": "user", "content": "x"}],
                                            extra_body={"enable_thinking": True})
    assert exc.value.status_code == 400
    assert "non-streaming" in str(exc.value)


def test_auth_and_model_errors(emu: Emulator) -> None:
    strict = Emulator(api_keys=["sk-good"]).start()
    try:
        for made in _OPEN:
            made.close()
        with pytest.raises(openai.AuthenticationError) as auth:
            client(strict, "sk-bad").chat.completions.create(model="qwen-plus", messages=[{"role": "user",
                                                                                          "content": "x"}])
        assert auth.value.code == "invalid_api_key"
        ok = client(strict, "sk-good").chat.completions.create(model="qwen-plus",
                                                               messages=[{"role": "user", "content": "x"}])
        assert ok.choices[0].message.content == "Echo: x"
    finally:
        strict.stop()
    with pytest.raises(openai.NotFoundError) as missing:
        client(emu).chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    assert missing.value.code == "model_not_found"
    assert isinstance(missing.value.body, dict) and missing.value.body["code"] == "model_not_found"


def test_stream_validation_error_is_non_2xx(emu: Emulator) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        list(client(emu).chat.completions.create(
            model="qwen-plus", messages=[{"role": "user", "content": "no j-word here"}], stream=True,
            response_format={"type": "json_object"}))
    assert exc.value.status_code == 400


def test_json_schema_and_n(emu: Emulator) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                                                "tags": {"type": "array", "items": {"type": "string"}}},
              "required": ["name", "age", "tags"]}
    r = client(emu).chat.completions.create(
        model="qwen-plus", messages=[{"role": "user", "content": "Zhang San is 30"}], n=2,
        response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": schema, "strict": True}})
    assert len(r.choices) == 2
    data = json.loads(r.choices[0].message.content or "")
    assert data == {"name": "Zhang San is 30", "age": 30, "tags": ["Zhang San is 30"]}


def test_scripted_reply_over_openai(emu: Emulator) -> None:
    emu.enqueue(ScriptedReply(tool_calls=[ScriptedToolCall("lookup", {"q": "x"}, id="call_fixed")]),
                protocol="compatible")
    r = client(emu).chat.completions.create(model="qwen-plus", messages=[{"role": "user", "content": "hi"}])
    call = r.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert (call.id, call.function.name, call.function.arguments) == ("call_fixed", "lookup", '{"q": "x"}')  # type: ignore[union-attr]
    assert r.choices[0].finish_reason == "tool_calls"


async def test_async_client_in_loop() -> None:
    async with Emulator() as emu:
        aclient = openai.AsyncOpenAI(base_url=emu.compatible_base, api_key=API_KEY, max_retries=0)
        r = await aclient.chat.completions.create(model="qwen-turbo", messages=[{"role": "user", "content": "ping"}])
        assert r.choices[0].message.content == "Echo: ping"
        stream = await aclient.chat.completions.create(
            model="qwen-turbo", messages=[{"role": "user", "content": "a b"}], stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream])
        assert text == "Echo: a b"
        await aclient.close()
