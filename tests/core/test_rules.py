"""Service rules are enforced locally, before anything is sent, with the right error type."""

from __future__ import annotations

from typing import Any

import pytest

from qwen_core import ChatRequest, ImagePart, Message, NamedToolChoice, ResponseFormat, TextPart, ToolCall, ToolSpec
from qwen_core.catalogue import ModelInfo, get_model_info
from qwen_core.errors import InvalidRequestError, UnsupportedFeatureError
from qwen_core.rules import requires_stream, validate_chat_request

TOOL = ToolSpec("get_weather", "w", {"type": "object", "properties": {}})
USER = Message("user", "hello")


def req(model: str = "qwen-plus", messages: Any = (USER,), **options: Any) -> ChatRequest:
    return ChatRequest(model, list(messages), **options)


def check(request: ChatRequest, api: str = "compatible", **overrides: Any) -> None:
    validate_chat_request(request, get_model_info(request.model, **overrides), api)  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore::qwen_core.catalogue.UnknownModelWarning")
def test_valid_requests_pass() -> None:
    check(req(tools=[TOOL], tool_choice="auto", temperature=0, top_p=1, n=1, seed=2**31 - 1))
    check(req(enable_thinking=True, thinking_budget=100, tools=[TOOL]))
    check(req(messages=[Message("user", "give json")], response_format=ResponseFormat("json_object")))
    check(req(response_format=ResponseFormat("json_schema", {"type": "object"})))
    check(req(messages=[USER, Message("assistant", "Once", partial=True)]))
    check(req("qwen3-vl-plus", [Message("user", (ImagePart("https://x/a.png"), TextPart("?")))]))
    check(req("brand-new-model", [Message("user", (ImagePart("https://x/a.png"),))], enable_thinking=True))
    history = [
        USER,
        Message("assistant", "", tool_calls=(ToolCall("c1", "get_weather", "{}"),)),
        Message("tool", "sunny", tool_call_id="c1"),
    ]
    check(req(messages=history, tools=[TOOL]))


@pytest.mark.parametrize(
    ("request_", "match"),
    [
        (req(messages=[]), "messages is empty"),
        (req(messages=[Message("robot", "x")]), "unknown role"),  # type: ignore[arg-type]
        (req(messages=[USER, Message("tool", "x", tool_call_id="c9")]), "no earlier assistant"),
        (req(tools=[ToolSpec("bad name!", "", {"type": "object"})]), "invalid"),
        (req(tools=[ToolSpec("x" * 65, "", {"type": "object"})]), "invalid"),
        (req(tools=[ToolSpec("search", "", {"type": "object"})]), "reserved"),
        (req(tools=[TOOL, TOOL]), "unique"),
        (req(tools=[ToolSpec("f", "", {"type": "array"})]), "type"),
        (req(tool_choice="required"), "needs tools"),
        (req(tools=[TOOL], tool_choice=NamedToolChoice("other")), "not among the tools"),
        (req(messages=[Message("user", "no j-word")], response_format=ResponseFormat("json_object")), "json"),
        (req(response_format=ResponseFormat("json_schema")), "needs a schema"),
        (req(messages=[Message("assistant", "x", partial=True), USER]), "last message"),
        (req(messages=[Message("user", "x", partial=True)]), "assistant"),
        (req(temperature=2.0), "temperature"),
        (req(temperature=-0.1), "temperature"),
        (req(top_p=0), "top_p"),
        (req(top_logprobs=6), "top_logprobs"),
        (req(n=5), "n must be"),
        (req(n=2, tools=[TOOL]), "n > 1"),
        (req(seed=2**31), "seed"),
        (req(seed=-1), "seed"),
        (req(max_tokens=0), "max_tokens"),
        (req(enable_thinking=True, thinking_budget=0), "thinking_budget"),
        (req(enable_thinking=True, thinking_budget=10**6), "exceeds"),
    ],
)
def test_invalid_requests(request_: ChatRequest, match: str) -> None:
    with pytest.raises(InvalidRequestError, match=match) as info:
        check(request_)
    assert type(info.value) is InvalidRequestError


def test_native_allows_64_bit_seed() -> None:
    check(req(seed=2**40), api="dashscope")
    with pytest.raises(InvalidRequestError, match="seed"):
        check(req(seed=2**40), api="compatible")


@pytest.mark.filterwarnings("ignore::qwen_core.catalogue.UnknownModelWarning")
@pytest.mark.parametrize(
    ("request_", "overrides", "match"),
    [
        (req("qwen-long", tools=[TOOL]), {}, "tool calling"),
        (req("qwen-max", [Message("user", (ImagePart("https://x/a.png"),))]), {}, "images"),
        (req(enable_thinking=True, tools=[TOOL], tool_choice="required"), {}, "thinking mode"),
        (req(enable_thinking=True, tools=[TOOL], tool_choice=NamedToolChoice("get_weather")), {}, "thinking mode"),
        (req("qwq-plus", tools=[TOOL], tool_choice="required"), {}, "thinking mode"),
        (
            req(
                enable_thinking=True, messages=[Message("user", "json")], response_format=ResponseFormat("json_object")
            ),
            {},
            "thinking mode",
        ),
        (req("qwq-plus", enable_thinking=False), {}, "always thinks"),
        (req("qwen-max", enable_thinking=True), {}, "no thinking mode"),
        (req("qwen-max", response_format=ResponseFormat("json_schema", {"type": "object"})), {}, "function calling"),
        (req("qwen3-235b-a22b", messages=[USER, Message("assistant", "x", partial=True)]), {}, "partial"),
        (req("custom", tools=[TOOL]), {"known": True, "supports_tools": False}, "tool calling"),
    ],
)
def test_unsupported_features(request_: ChatRequest, overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(UnsupportedFeatureError, match=match):
        check(request_, **overrides)


def test_json_schema_message_names_the_alternatives() -> None:
    with pytest.raises(UnsupportedFeatureError) as info:
        check(req("qwen-max", response_format=ResponseFormat("json_schema", {"type": "object"})))
    assert "json_object" in str(info.value) and "tools" in str(info.value)


def test_requires_stream_follows_thinking() -> None:
    assert requires_stream(req("qwen-plus", enable_thinking=True), get_model_info("qwen-plus"))
    assert not requires_stream(req("qwen-plus"), get_model_info("qwen-plus"))
    assert requires_stream(req("qwq-plus"), get_model_info("qwq-plus"))
    assert requires_stream(req("qwen3-32b"), get_model_info("qwen3-32b"))  # open-source Qwen3 thinks by default
    assert not requires_stream(req("qwen3-32b", enable_thinking=False), get_model_info("qwen3-32b"))
    assert requires_stream(req("unknown-x", enable_thinking=True), ModelInfo("unknown-x", known=False))
