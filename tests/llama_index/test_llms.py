"""Interface contract of ``Qwen`` through real HTTP to the emulator, on both protocols."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock, ThinkingBlock, ToolCallBlock
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_qwen import Qwen, qwen_tokenizer
from qwen_core.emulator import Emulator, HTTPFault, ScriptedReply, ScriptedToolCall, StreamError
from qwen_core.errors import (
    AuthenticationError,
    ConfigurationError,
    ContentInspectionError,
    InvalidRequestError,
    RateLimitError,
    UnsupportedFeatureError,
)
from tests.llama_index.helpers import LLMFactory

USER = [ChatMessage(role="user", content="Hello there")]


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"12:00 in {city}"


TOOLS = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)]


class Address(BaseModel):
    city: str
    country: str


class Person(BaseModel):
    """A person and where they live."""

    name: str
    age: int
    address: Address


PROMPT = PromptTemplate("Extract the person from: {text}")
TEXT = "Zhang San is 30 and lives in Hangzhou"


# -- construction, metadata, secrecy -----------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::qwen_core.catalogue.UnknownModelWarning")
def test_is_function_calling_llm_with_catalogue_metadata() -> None:
    llm = Qwen(api_key="sk-x")
    assert isinstance(llm, FunctionCallingLLM) and Qwen.class_name() == "Qwen_LLM"
    meta = llm.metadata
    assert (meta.model_name, meta.context_window, meta.num_output) == ("qwen-plus", 1_000_000, 32_768)
    assert meta.is_chat_model and meta.is_function_calling_model
    max_meta = Qwen(api_key="sk-x", model="qwen-max").metadata
    assert (max_meta.context_window, max_meta.num_output) == (32_768, 8_192)
    assert Qwen(api_key="sk-x", model="qwen-long").metadata.is_function_calling_model is False
    assert Qwen(api_key="sk-x", max_tokens=100).metadata.num_output == 100
    assert Qwen(api_key="sk-x", model="my-model", model_info={"context_window": 4096}).metadata.context_window == 4096


def test_api_key_from_env_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="DASHSCOPE_API_KEY"):
        Qwen()
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-env-secret-value")
    for llm in (Qwen(), Qwen(api_key="sk-env-secret-value")):
        for text in (repr(llm), str(llm), json.dumps(llm.to_dict()), llm.to_json(), llm.model_dump_json(),
                     str(llm.to_payload() if hasattr(llm, "to_payload") else "")):
            assert "sk-env-secret-value" not in text


def test_default_options_are_the_service_defaults(emu: Emulator, make: LLMFactory) -> None:
    make().chat(USER)
    body = emu.requests.last.json
    sent = json.dumps(body)
    for absent in ("max_tokens", "temperature", "enable_thinking", "top_p"):
        assert absent not in sent


def test_options_reach_the_wire(emu: Emulator, make: LLMFactory, api: str) -> None:
    llm = make(temperature=0.3, top_p=0.8, top_k=5, max_tokens=50, seed=7, stop=["zz"], enable_search=True,
               additional_kwargs={"vl_high_resolution_images": True})
    llm.chat(USER, max_tokens=60)
    body = emu.requests.last.json
    params = body["parameters"] if api == "dashscope" else body
    assert (params["temperature"], params["top_p"], params["top_k"], params["max_tokens"], params["seed"]) == (
        0.3, 0.8, 5, 60, 7)
    assert params["enable_search"] is True and params["vl_high_resolution_images"] is True


def test_one_client_per_instance_reused(make: LLMFactory) -> None:
    llm = make()
    llm.chat(USER)
    client = llm._get_client()
    llm.complete("again")
    assert llm._get_client() is client


# -- the eight text methods ----------------------------------------------------------------------------------


def _check_text(response_text: str) -> None:
    assert response_text == "Echo: Hello there"


def test_chat(make: LLMFactory) -> None:
    response = make().chat(USER)
    _check_text(response.message.content or "")
    kwargs = response.additional_kwargs
    assert kwargs["finish_reason"] == "stop" and kwargs["request_id"]
    assert kwargs["prompt_tokens"] > 0 and kwargs["completion_tokens"] > 0
    assert kwargs["total_tokens"] == kwargs["prompt_tokens"] + kwargs["completion_tokens"]
    assert response.raw["request_id"] == kwargs["request_id"]


async def test_achat(make: LLMFactory) -> None:
    _check_text((await make().achat(USER)).message.content or "")


def test_stream_chat(make: LLMFactory) -> None:
    chunks = list(make().stream_chat(USER))
    assert len(chunks) > 1
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].message.content
    _check_text(chunks[-1].message.content or "")
    assert chunks[-1].additional_kwargs["total_tokens"] > 0


async def test_astream_chat(make: LLMFactory) -> None:
    chunks = [c async for c in await make().astream_chat(USER)]
    assert len(chunks) > 1 and "".join(c.delta or "" for c in chunks) == chunks[-1].message.content
    _check_text(chunks[-1].message.content or "")


def test_complete(make: LLMFactory) -> None:
    response = make().complete("Hello there")
    _check_text(response.text)
    assert response.additional_kwargs["total_tokens"] > 0


async def test_acomplete(make: LLMFactory) -> None:
    _check_text((await make().acomplete("Hello there")).text)


def test_stream_complete(make: LLMFactory) -> None:
    chunks = list(make().stream_complete("Hello there"))
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].text == "Echo: Hello there"


async def test_astream_complete(make: LLMFactory) -> None:
    chunks = [c async for c in await make().astream_complete("Hello there")]
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].text == "Echo: Hello there"


def test_scripted_text_is_exact(emu: Emulator, make: LLMFactory) -> None:
    emu.enqueue(ScriptedReply(text="  {\n  \"a\": 1 }  ", chunks=["  {\n", "  \"a\"", ": 1 }  "]))
    chunks = list(make().stream_chat(USER))
    assert chunks[-1].message.content == "  {\n  \"a\": 1 }  "  # whitespace survives streaming


# -- reasoning ------------------------------------------------------------------------------------------------


def test_thinking_blocks_and_usage(emu: Emulator, make: LLMFactory) -> None:
    llm = make(enable_thinking=True, thinking_budget=100)
    response = llm.chat(USER)
    thinking = response.message.blocks[0]
    assert isinstance(thinking, ThinkingBlock) and thinking.content
    assert response.additional_kwargs["reasoning_tokens"] == thinking.num_tokens > 0
    _check_text(response.message.content or "")


async def test_thinking_delta_while_streaming(make: LLMFactory) -> None:
    chunks = [c async for c in await make(enable_thinking=True).astream_chat(USER)]
    deltas = [c.additional_kwargs.get("thinking_delta") for c in chunks]
    thinking = chunks[-1].message.blocks[0]
    assert isinstance(thinking, ThinkingBlock)
    assert "".join(d for d in deltas if d) == thinking.content
    _check_text(chunks[-1].message.content or "")


def test_reasoning_model_thinks_by_default(emu: Emulator, make: LLMFactory) -> None:
    emu.enqueue(ScriptedReply(text="yes", reasoning="because"))
    response = make(model="qwq-plus").chat(USER)
    assert response.message.blocks[0] == ThinkingBlock(content="because", num_tokens=response.additional_kwargs[
        "reasoning_tokens"])


# -- images ----------------------------------------------------------------------------------------------------


def test_images_reach_the_wire(emu: Emulator, make: LLMFactory, api: str) -> None:
    llm = make(model="qwen3-vl-plus")
    message = ChatMessage(role="user", blocks=[TextBlock(text="what is it?"),
                                               ImageBlock(url="https://example.com/a.png"),
                                               ImageBlock(image=b"\x89PNG\r\n\x1a\n" + b"0" * 16)])
    assert llm.chat([message]).message.content
    sent = json.dumps(emu.requests.last.json)
    assert "https://example.com/a.png" in sent and "data:image/png;base64," in sent


def test_images_rejected_for_text_models_before_any_request(emu: Emulator, make: LLMFactory) -> None:
    message = ChatMessage(role="user", blocks=[ImageBlock(url="https://example.com/a.png")])
    with pytest.raises(UnsupportedFeatureError):
        make(model="qwen-plus").chat([message])
    assert len(emu.requests) == 0


# -- tools ----------------------------------------------------------------------------------------------------------


def _assert_two_calls(response_calls: list[ToolSelection]) -> None:
    assert sorted(c.tool_name for c in response_calls) == ["get_time", "get_weather"]
    assert all(c.tool_kwargs == {"city": "Hangzhou"} for c in response_calls)


def test_chat_with_tools_parallel(emu: Emulator, make: LLMFactory, api: str) -> None:
    llm = make()
    response = llm.chat_with_tools(TOOLS, user_msg="weather and time in Hangzhou", allow_parallel_tool_calls=True)
    _assert_two_calls(llm.get_tool_calls_from_response(response))
    assert len(response.message.additional_kwargs["tool_calls"]) == 2
    assert all(isinstance(b, ToolCallBlock) for b in response.message.blocks[1:])
    body = emu.requests.last.json
    params = body["parameters"] if api == "dashscope" else body
    assert params["parallel_tool_calls"] is True
    assert params["tools"][0]["function"]["parameters"]["properties"]["city"]["type"] == "string"


async def test_achat_with_tools_single_call_when_parallel_not_allowed(emu: Emulator, make: LLMFactory) -> None:
    emu.enqueue(ScriptedReply(tool_calls=[ScriptedToolCall("get_weather", {"city": "A"}),
                                          ScriptedToolCall("get_time", {"city": "B"})]))
    llm = make()
    response = await llm.achat_with_tools(TOOLS, user_msg="weather and time in Hangzhou")
    assert [c.tool_name for c in llm.get_tool_calls_from_response(response)] == ["get_weather"]
    params = emu.requests.last.json.get("parameters", emu.requests.last.json)
    assert params["parallel_tool_calls"] is False


def test_stream_chat_with_tools_partial_arguments_never_raise(make: LLMFactory) -> None:
    llm = make()
    chunks = list(llm.stream_chat_with_tools(TOOLS, user_msg="weather and time in Hangzhou",
                                             allow_parallel_tool_calls=True))
    partial_seen = False
    for chunk in chunks:
        calls = llm.get_tool_calls_from_response(chunk, error_on_no_tool_call=False)
        blocks = [b for b in chunk.message.blocks if isinstance(b, ToolCallBlock)]
        partial_seen = partial_seen or any(isinstance(b.tool_kwargs, str) for b in blocks)
        assert len(calls) == len(blocks)
    assert partial_seen, "the emulator should stream arguments in fragments"
    _assert_two_calls(llm.get_tool_calls_from_response(chunks[-1]))


async def test_astream_chat_with_tools(make: LLMFactory) -> None:
    llm = make()
    stream = await llm.astream_chat_with_tools(TOOLS, user_msg="weather and time in Hangzhou",
                                               allow_parallel_tool_calls=True)
    chunks = [c async for c in stream]
    for chunk in chunks:
        llm.get_tool_calls_from_response(chunk, error_on_no_tool_call=False)
    _assert_two_calls(llm.get_tool_calls_from_response(chunks[-1]))


def test_no_tool_call(make: LLMFactory) -> None:
    llm = make()
    response = llm.chat_with_tools(TOOLS, user_msg="weather", tool_choice="none")
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="tool call"):
        llm.get_tool_calls_from_response(response)


@pytest.mark.parametrize(
    ("kwargs", "wire"),
    [
        ({"tool_required": True}, "required"),
        ({"tool_choice": "auto"}, "auto"),
        ({"tool_choice": "get_time"}, "named"),
        ({"tool_choice": {"type": "function", "function": {"name": "get_time"}}}, "named"),
        ({}, None),
    ],
)
def test_tool_choice_forms_reach_the_wire(emu: Emulator, make: LLMFactory, kwargs: dict[str, object],
                                          wire: str | None) -> None:
    llm = make()
    response = llm.chat_with_tools(TOOLS, user_msg="what time is it in Paris", **kwargs)  # type: ignore[arg-type]
    body = emu.requests.last.json
    sent = body.get("parameters", body).get("tool_choice")
    if wire == "named":
        assert sent["function"]["name"] == "get_time"
        assert llm.get_tool_calls_from_response(response)[0].tool_name == "get_time"
    else:
        assert sent == wire


def test_history_from_another_llm_round_trips(emu: Emulator, make: LLMFactory) -> None:
    """Memory written in the legacy OpenAI form (additional_kwargs tool_calls) is accepted."""
    history = [
        ChatMessage(role="user", content="weather in Hangzhou"),
        ChatMessage(role="assistant", content=None, additional_kwargs={"tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city":"Hangzhou"}'}},
        ]}),
        ChatMessage(role="tool", content="Sunny in Hangzhou", additional_kwargs={"tool_call_id": "call_1"}),
    ]
    response = make().chat_with_tools(TOOLS, chat_history=history)
    assert "Sunny in Hangzhou" in (response.message.content or "")
    assert len(history) == 3  # the caller's list is not modified


# -- structured output ---------------------------------------------------------------------------------------------


def test_structured_predict_json_schema(emu: Emulator, make: LLMFactory) -> None:
    person = make().structured_predict(Person, PROMPT, text=TEXT)
    assert isinstance(person, Person) and isinstance(person.address, Address) and person.age == 30
    body = emu.requests.last.json
    fmt = body.get("parameters", body)["response_format"]
    assert fmt["type"] == "json_schema" and "$ref" not in json.dumps(fmt)


async def test_astructured_predict_via_tools_for_models_without_json_schema(emu: Emulator, make: LLMFactory) -> None:
    person = await make(model="qwen-max").astructured_predict(Person, PROMPT, text=TEXT)
    assert isinstance(person, Person) and person.address.city
    body = emu.requests.last.json
    params = body.get("parameters", body)
    assert "response_format" not in params and params["tool_choice"] == "required"


@pytest.mark.parametrize("model", ["qwen-plus", "qwen-max"])
def test_stream_structured_predict(make: LLMFactory, model: str) -> None:
    outputs = list(make(model=model).stream_structured_predict(Person, PROMPT, text=TEXT))
    assert outputs and isinstance(outputs[-1], Person) and outputs[-1].address.city
    assert len(outputs) > 1  # partial objects arrive while streaming


async def test_astream_structured_predict(make: LLMFactory) -> None:
    outputs = [o async for o in await make().astream_structured_predict(Person, PROMPT, text=TEXT)]
    assert isinstance(outputs[-1], Person)


def test_as_structured_llm(make: LLMFactory) -> None:
    sllm = make().as_structured_llm(Person)
    response = sllm.chat([ChatMessage(role="user", content=TEXT)])
    assert isinstance(response.raw, Person) and response.raw.age == 30


def test_structured_on_a_thinking_by_default_hybrid_turns_thinking_off(emu: Emulator, make: LLMFactory) -> None:
    person = make(model="qwen3.5-plus").structured_predict(Person, PROMPT, text=TEXT)
    assert isinstance(person, Person)
    body = emu.requests.last.json
    assert body.get("parameters", body)["enable_thinking"] is False


def test_structured_with_explicit_thinking_is_guided(emu: Emulator, make: LLMFactory) -> None:
    person = make(enable_thinking=True).structured_predict(Person, PROMPT, text=TEXT)
    assert isinstance(person, Person)
    body = emu.requests.last.json
    options = body.get("parameters", body)
    assert options["enable_thinking"] is True and "response_format" not in options
    assert options.get("tool_choice") in (None, "auto")


def test_structured_for_thinking_only_models(emu: Emulator, make: LLMFactory) -> None:
    person = make(model="qwq-plus").structured_predict(Person, PROMPT, text=TEXT)
    assert isinstance(person, Person) and person.address.country


# -- errors --------------------------------------------------------------------------------------------------------


def test_auth_error_is_typed_never_empty(emu: Emulator, api: str) -> None:
    strict = Emulator(api_keys=["sk-right"])
    with strict:
        llm = Qwen(api_key="sk-wrong", base_url=strict.base_url, api=api, max_retries=0)  # type: ignore[arg-type]
        try:
            with pytest.raises(AuthenticationError):
                llm.chat(USER)
            with pytest.raises(AuthenticationError):
                list(llm.stream_chat(USER))
            with pytest.raises(AuthenticationError):
                llm.complete("hi")
        finally:
            llm.close()


async def test_async_errors_are_typed(emu: Emulator, make: LLMFactory) -> None:
    emu.enqueue(HTTPFault(status=429, code="Throttling.RateQuota", message="Requests rate limit exceeded"))
    with pytest.raises(RateLimitError):
        await make().achat(USER)
    emu.enqueue(StreamError(after_events=1))
    with pytest.raises(ContentInspectionError):
        async for _ in await make().astream_chat(USER):
            pass


@pytest.mark.parametrize(
    "call",
    [
        lambda llm: llm.chat([]),
        lambda llm: llm.chat([ChatMessage(role="tool", content="x", additional_kwargs={"tool_call_id": "nope"})]),
        lambda llm: llm.chat_with_tools(TOOLS, user_msg="hi", tool_choice="no_such_tool"),
        lambda llm: list(llm.stream_chat([])),
        lambda llm: Qwen(api_key="k", model="qwen-max", base_url="http://127.0.0.1:9").chat(USER, enable_thinking=True),
    ],
)

def test_bad_input_raises_before_any_request(emu: Emulator, make: LLMFactory, call: object) -> None:
    with pytest.raises(InvalidRequestError):
        call(make())  # type: ignore[operator]
    assert len(emu.requests) == 0


# -- tokenizer and import isolation --------------------------------------------------------------------------------


def test_tokenizer_hook_counts_qwen_tokens_offline() -> None:
    from llama_index.core import Settings

    from qwen_core.tokenizer import count_tokens

    text = "通义千问 is Qwen, hello world"
    assert len(qwen_tokenizer(text)) == count_tokens(text) > 0
    previous = Settings._tokenizer
    try:
        Settings.tokenizer = qwen_tokenizer
        assert Settings.tokenizer("hello world") == qwen_tokenizer("hello world")
    finally:
        Settings._tokenizer = previous


def test_import_is_light() -> None:
    code = (
        "import sys, llama_index_qwen\n"
        "bad = {'langchain', 'langchain_core', 'httpx', 'aiohttp', 'openai', 'dashscope', 'tiktoken'}\n"
        "print(sorted(bad & {m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_public_names() -> None:
    import llama_index_qwen

    assert llama_index_qwen.__all__ == sorted(llama_index_qwen.__all__)
    for name in llama_index_qwen.__all__:
        assert getattr(llama_index_qwen, name) is not None
    with pytest.raises(AttributeError):
        llama_index_qwen.NoSuchThing  # noqa: B018
