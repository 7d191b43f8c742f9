"""Pure tests of ChatQwen: exports, serialization, token counting, import cost, sync/async parity, the documented
argument names."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langchain_core.load import dumpd, load
from langchain_core.messages import HumanMessage, SystemMessage

import langchain_qwen
from langchain_qwen import ChatQwen
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
