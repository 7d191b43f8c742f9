"""What the service documents allow, honoured by LlamaIndex ``Qwen`` on both protocols, sync and async, and what
ChatQwen surfaces surfaced here too: ``n`` choices, logprobs, prefix continuation, streamed ``search_info``."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole, TextBlock, ToolCallBlock

from qwen_core.emulator import Emulator
from qwen_core.errors import InvalidRequestError
from qwen_core.types import ToolSpec
from tests.llama_index.helpers import LLMFactory

USER = [ChatMessage(role="user", content="hello world again")]
STOPS: list[Any] = ["你好", ["Paris", "London"], [37763, 367], [[37763, 367]]]


def _options(emu: Emulator) -> dict[str, Any]:
    body = emu.requests.last.json
    return body.get("parameters", body)  # type: ignore[no-any-return]


def _messages(emu: Emulator) -> list[dict[str, Any]]:
    body = emu.requests.last.json
    return body.get("messages") or body["input"]["messages"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("stop", STOPS)
async def test_stop_in_the_constructor_and_per_call(emu: Emulator, make: LLMFactory, stop: Any) -> None:
    llm = make(stop=stop)
    llm.chat(USER)
    assert _options(emu)["stop"] == stop
    await llm.achat(USER)
    assert _options(emu)["stop"] == stop
    list(make().stream_chat(USER, stop=stop))
    assert _options(emu)["stop"] == stop


def test_a_stop_string_stops_the_answer(make: LLMFactory) -> None:
    assert make(stop="world").chat(USER).message.content == "Echo: hello "


async def test_a_tool_without_parameters_is_sent_as_documented(emu: Emulator, make: LLMFactory) -> None:
    response = await make().achat([ChatMessage(role="user", content="What time is it?")],
                                  tools=(ToolSpec("get_time", "Current time", {}),))
    assert [b.tool_name for b in response.message.blocks if isinstance(b, ToolCallBlock)] == ["get_time"]
    assert _options(emu)["tools"][0]["function"]["parameters"] == {}


async def test_id_less_tool_results(emu: Emulator, make: LLMFactory, api: str) -> None:
    history = [
        ChatMessage(role="user", content="Weather in Paris?"),
        ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="call_1", tool_name="get_weather",
                                                            tool_kwargs={"city": "Paris"})]),
        ChatMessage(role=MessageRole.TOOL, content="Sunny", additional_kwargs={"name": "get_weather"}),
    ]
    if api == "compatible":
        with pytest.raises(InvalidRequestError, match="no tool_call_id"):
            make().chat(history)
        assert len(emu.requests) == 0
        return
    assert "Sunny" in ((await make().achat(history)).message.content or "")
    assert _messages(emu)[-1] == {"role": "tool", "content": "Sunny", "name": "get_weather"}


async def test_n_choices_are_surfaced(make: LLMFactory) -> None:
    for response in (make().chat(USER, n=2), await make().achat(USER, n=2)):
        choices = response.additional_kwargs["choices"]
        assert [c.content for c in choices] == ["Echo: hello world again", "Echo #2: hello world again"]
        assert response.message.content == choices[0].content


async def test_logprobs_are_surfaced(make: LLMFactory) -> None:
    llm = make(logprobs=True, top_logprobs=1)
    response = llm.chat(USER)
    assert response.logprobs and "".join(alts[0].token for alts in response.logprobs) == response.message.content
    chunks = [c async for c in await llm.astream_chat(USER)]
    assert any(c.logprobs for c in chunks)


async def test_prefix_continuation(emu: Emulator, make: LLMFactory) -> None:
    history = [*USER, ChatMessage(role="assistant", blocks=[TextBlock(text="Echo: hello")],
                                  additional_kwargs={"partial": True})]
    response = await make().achat(history)
    assert response.message.content == " world again"
    assert _messages(emu)[-1].get("partial") is True


@pytest.mark.parametrize("api", ["dashscope"])  # search_info is a native field (the compatible endpoint has none)
async def test_streamed_search_info_is_kept(make: LLMFactory) -> None:
    llm = make(enable_search=True, search_options={"prepend_search_result": True})
    chunks = list(llm.stream_chat(USER))
    last = chunks[-1]
    assert last.raw["search_info"]["search_results"] and last.additional_kwargs["search_info"]["search_results"]
    achunks = [c async for c in await llm.astream_chat(USER)]
    assert achunks[-1].additional_kwargs["search_info"]["search_results"]
    assert (await llm.achat(USER)).additional_kwargs["search_info"]["search_results"]
