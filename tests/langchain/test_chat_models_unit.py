"""Pure tests: conversions, serialization, token counting, import cost, sync/async parity."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langchain_core.load import dumpd, load
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

import langchain_qwen
from langchain_qwen import ChatQwen
from langchain_qwen._messages import (
    StreamConverter,
    from_qwen_result,
    from_qwen_usage,
    to_qwen_messages,
    to_qwen_response_format,
    to_qwen_tool_choice,
)
from qwen_core import types as qt
from tests._support.constants import API_KEY


def test_all_is_sorted_and_exports_chatqwen() -> None:
    assert langchain_qwen.__all__ == sorted(langchain_qwen.__all__)
    assert "ChatQwen" in langchain_qwen.__all__
    with pytest.raises(AttributeError):
        langchain_qwen.NoSuchThing  # noqa: B018


def test_import_is_light() -> None:
    code = (
        "import sys; from langchain_qwen import ChatQwen; ChatQwen(api_key='k');"
        "print(sorted(m for m in ('httpx','aiohttp','openai','dashscope','tiktoken','llama_index','llama_index.core')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_serialization_round_trip_without_the_key() -> None:
    model = ChatQwen(model="qwen-max", api_key=API_KEY, api="dashscope", temperature=0.3, stop=["x"])
    dumped = dumpd(model)
    assert API_KEY not in json.dumps(dumped)
    loaded = load(dumped, allowed_objects=[ChatQwen], valid_namespaces=["langchain_qwen"],
                  secrets_map={"DASHSCOPE_API_KEY": API_KEY})
    assert isinstance(loaded, ChatQwen)
    assert loaded.model_dump() == model.model_dump()
    assert loaded.api_key is not None and loaded.api_key.get_secret_value() == API_KEY


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_load_with_allowed_objects_all_is_refused() -> None:
    """Why the standard test_serdes is xfail: langchain-core only loads classes from its own mapping."""
    with pytest.raises(ValueError, match="is not allowed"):
        load(dumpd(ChatQwen(api_key=API_KEY)), allowed_objects="all", valid_namespaces=["langchain_qwen"],
             secrets_map={"DASHSCOPE_API_KEY": API_KEY})


def test_ls_params() -> None:
    model = ChatQwen(api_key=API_KEY, temperature=0.2, max_tokens=9, stop=["s"])
    params = model._get_ls_params()
    assert params == {"ls_provider": "dashscope", "ls_model_name": "qwen-plus", "ls_model_type": "chat",
                      "ls_temperature": 0.2, "ls_max_tokens": 9, "ls_stop": ["s"]}
    assert model._get_ls_params(model="qwen-max")["ls_model_name"] == "qwen-max"


def test_profile_from_catalogue() -> None:
    assert ChatQwen(api_key=API_KEY, model="qwen3-vl-plus").profile == {
        "max_input_tokens": 260_096, "max_output_tokens": 32_768, "text_inputs": True, "image_inputs": True,
        "image_url_inputs": True, "video_inputs": True, "text_outputs": True, "reasoning_output": True,
        "tool_calling": True, "tool_choice": True, "tool_call_streaming": True, "structured_output": True,
    }
    profile = ChatQwen(api_key=API_KEY, model="qwen-vl-max").profile
    assert profile is not None and not profile["tool_calling"] and not profile["reasoning_output"]


def test_token_counting_is_local() -> None:
    model = ChatQwen(api_key=API_KEY)
    assert model.get_num_tokens("hello world") == 2
    messages = [SystemMessage("be brief"), HumanMessage("hello world")]
    assert model.get_num_tokens_from_messages(messages) == model.get_num_tokens("be brief") + 2 + 2 * 4

    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    assert model.get_num_tokens_from_messages(messages, tools=[add]) > model.get_num_tokens_from_messages(messages)


# -- conversions ---------------------------------------------------------------------------------


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


# -- one recorded stream through both paths -------------------------------------------------------


class _Scripted:
    """Stands in for QwenClient: replays fixed deltas through the sync and the async path."""

    deltas = (qt.ChatDelta(reasoning="r"), qt.ChatDelta(text="x"),
              qt.ChatDelta(tool_call_chunks=(qt.ToolCallChunk(0, "c", "f", '{"a"'),)),
              qt.ChatDelta(tool_call_chunks=(qt.ToolCallChunk(0, None, None, ": 1}"),)),
              qt.ChatDelta(finish_reason="tool_calls", usage=qt.Usage(3, 4, 7), model="qwen-plus"))

    def stream(self, request: qt.ChatRequest, info: Any) -> Iterator[qt.ChatDelta]:
        yield from self.deltas

    async def astream(self, request: qt.ChatRequest, info: Any) -> AsyncIterator[qt.ChatDelta]:
        for delta in self.deltas:
            yield delta


async def test_sync_and_async_streams_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    model = ChatQwen(api_key=API_KEY)
    monkeypatch.setattr(ChatQwen, "client", property(lambda self: _Scripted()))
    sync_chunks = list(model.stream("hi"))
    async_chunks = [c async for c in model.astream("hi")]
    assert [c.model_dump(exclude={"id"}) for c in sync_chunks] == [c.model_dump(exclude={"id"}) for c in async_chunks]
    total = sync_chunks[0]
    for chunk in sync_chunks[1:]:
        total = total + chunk
    assert total.tool_calls == [{"name": "f", "args": {"a": 1}, "id": "c", "type": "tool_call"}]
    assert total.additional_kwargs["reasoning_content"] == "r"


@pytest.mark.parametrize(
    ("cls", "documented", "legacy"),
    [
        (ChatQwen, {"stop": ["x"]}, {"stop_sequences": ["x"]}),
        ("QwenEmbeddings", {"model": "text-embedding-v3", "base_url": "http://localhost:9"},
         {"model_name": "text-embedding-v3", "api_base": "http://localhost:9"}),
        ("QwenRerank", {"model": "gte-rerank-v2", "base_url": "http://localhost:9"},
         {"model_name": "gte-rerank-v2", "api_base": "http://localhost:9"}),
    ],
)
def test_documented_argument_names_are_the_constructor_signature(
    cls: Any, documented: dict[str, Any], legacy: dict[str, Any]
) -> None:
    """Type checkers and IDEs read pydantic's ``alias`` as the constructor's keyword: the documented names (``stop``,
    ``model``, ``api_key``, ``base_url``) must be the real ones, with the older spellings still accepted."""
    cls = getattr(langchain_qwen, cls) if isinstance(cls, str) else cls
    parameters = inspect.signature(cls).parameters
    for name in (*documented, "api_key"):
        assert name in parameters, name
    for name in legacy:
        assert name not in parameters, name
    for given in (documented, legacy):
        model = cls(api_key=API_KEY, **given)
        assert {name: getattr(model, name) for name in documented} == documented
    if cls is not ChatQwen:  # the embeddings' and reranker's older key spelling
        assert cls(dashscope_api_key=API_KEY).api_key.get_secret_value() == API_KEY
