"""LangChain messages, tool choices and response formats to core types, core results and stream deltas back
(langchain_qwen._messages)."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_qwen._messages import (
    StreamConverter,
    from_qwen_result,
    from_qwen_usage,
    to_qwen_messages,
    to_qwen_response_format,
    to_qwen_tool_choice,
)
from qwen_core import types as qt


def test_messages_to_qwen() -> None:
    converted = to_qwen_messages([
        SystemMessage("a"),
        SystemMessage([{"type": "text", "text": "b"}]),
        HumanMessage([{"type": "text", "text": "see"}, {"type": "image", "base64": "QUJD", "mime_type": "image/png"},
                      {"type": "image", "source_type": "url", "url": "https://x/y.png"},
                      {"type": "image_url", "image_url": {"url": "https://x/z.png", "detail": "high"}},
                      {"type": "video_url", "video_url": {"url": "https://x/v.mp4"}}], name="bob"),
        AIMessage("", tool_calls=[{"name": "f", "args": {"x": 1}, "id": "c1"}],
                  additional_kwargs={"reasoning_content": "why"}),
        ToolMessage("ok", tool_call_id="c1", name="f"),
        AIMessage("pre", additional_kwargs={"partial": True}),
    ])
    assert converted[0] == qt.Message("system", "a")
    assert converted[1] == qt.Message("system", "b")
    assert converted[2] == qt.Message("user", (
        qt.TextPart("see"), qt.ImagePart("data:image/png;base64,QUJD"), qt.ImagePart("https://x/y.png"),
        qt.ImagePart("https://x/z.png", detail="high"), qt.VideoPart("https://x/v.mp4")), name="bob")
    assert converted[3].tool_calls == (qt.ToolCall("c1", "f", '{"x": 1}', 0),)
    assert converted[3].reasoning_content == "why"
    assert converted[4] == qt.Message("tool", "ok", name="f", tool_call_id="c1")
    assert converted[5].partial is True


def test_tool_choice_and_response_format_mapping() -> None:
    assert to_qwen_tool_choice("any") == "required"
    assert to_qwen_tool_choice("auto") == "auto"
    assert to_qwen_tool_choice("f") == qt.NamedToolChoice("f")
    assert to_qwen_tool_choice({"type": "function", "function": {"name": "f"}}) == qt.NamedToolChoice("f")
    with pytest.raises(ValueError, match="unsupported tool_choice"):
        to_qwen_tool_choice(True)
    assert to_qwen_response_format({"type": "json_object"}) == qt.ResponseFormat("json_object")
    with pytest.raises(ValueError, match="unsupported response_format"):
        to_qwen_response_format({"type": "xml"})


def test_result_with_reasoning_tool_calls_and_details() -> None:
    result = qt.ChatResult(
        choices=(qt.Choice(text="", reasoning="r", finish_reason="tool_calls", tool_calls=(
            qt.ToolCall("c1", "f", '{"a": 1}'), qt.ToolCall("c2", "g", "{not json"))),),
        usage=qt.Usage(10, 5, 15, cached_tokens=4, reasoning_tokens=3), request_id="rid", model="qwen-plus",
        search_info={"search_results": [{"index": 1}]},
    )
    message = from_qwen_result(result).generations[0].message
    assert isinstance(message, AIMessage)
    assert message.additional_kwargs == {"reasoning_content": "r"}
    assert message.tool_calls[0]["args"] == {"a": 1}
    assert message.invalid_tool_calls[0]["name"] == "g"
    assert message.usage_metadata == {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15,
                                      "input_token_details": {"cache_read": 4},
                                      "output_token_details": {"reasoning": 3}}
    assert message.response_metadata["search_info"] == {"search_results": [{"index": 1}]}
    assert from_qwen_usage(qt.Usage(1, 2))["total_tokens"] == 3


def test_stream_converter_reports_usage_once() -> None:
    converter = StreamConverter(model="qwen-plus")
    deltas = [qt.ChatDelta(text="a", usage=qt.Usage(1, 1, 2)), qt.ChatDelta(text="b", usage=qt.Usage(1, 2, 3)),
              qt.ChatDelta(finish_reason="stop", usage=qt.Usage(1, 2, 3), request_id="r")]
    chunks = [c for c in (converter.chunk(d) for d in deltas) if c is not None]
    assert [c.text for c in chunks] == ["a", "b"]
    assert not any(c.message.usage_metadata for c in chunks)  # type: ignore[attr-defined]
    final = converter.final()
    assert final.message.usage_metadata == {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}  # type: ignore[attr-defined]
    assert final.message.response_metadata["finish_reason"] == "stop"
    assert final.message.response_metadata["model_name"] == "qwen-plus"


