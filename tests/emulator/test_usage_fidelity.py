"""Usage accounting as the service reports it: the implicit prompt cache, per-model usage shapes, web search frames
and plugin counts, seen through raw HTTP and through the adapters."""

from __future__ import annotations

from typing import Any

import httpx

from langchain_qwen import ChatQwen
from qwen_core.client import QwenClient
from qwen_core.emulator import Emulator, ScriptedReply
from qwen_core.emulator.prompt_cache import MIN_CACHED_PREFIX
from qwen_core.types import ChatRequest, Message
from tests._support.constants import API_KEY
from tests.emulator.helpers import MM_PATH, SSE, TEXT_PATH, native_frames

#: A system prompt well above the cache minimum (about 1,000 tokens).
LONG_SYSTEM = "You are the support assistant of a large online bookshop. " * 90


def _native(emu: Emulator, path: str, body: dict[str, Any], stream: bool = False,
            key: str = API_KEY) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", **(SSE if stream else {})}
    return httpx.post(emu.base_url + path, json=body, headers=headers, timeout=10)


def _chat(question: str, model: str = "qwen-plus", **params: Any) -> dict[str, Any]:
    messages = [{"role": "system", "content": LONG_SYSTEM}, {"role": "user", "content": question}]
    return {"model": model, "input": {"messages": messages}, "parameters": {"result_format": "message", **params}}


def test_a_repeated_long_prefix_reports_cached_tokens_on_both_protocols(emu: Emulator) -> None:
    llm = ChatQwen(model="qwen-plus", api_key=API_KEY, base_url=emu.base_url)
    first = llm.invoke([("system", LONG_SYSTEM), ("human", "Where is my order?")])
    second = llm.invoke([("system", LONG_SYSTEM), ("human", "Can I return a book?")])
    assert first.usage_metadata is not None and second.usage_metadata is not None
    assert first.usage_metadata["input_token_details"]["cache_read"] == 0
    cached = second.usage_metadata["input_token_details"]["cache_read"]
    assert MIN_CACHED_PREFIX <= cached < second.usage_metadata["input_tokens"]

    native = ChatQwen(model="qwen-plus", api="dashscope", api_key=API_KEY, base_url=emu.base_url)
    streamed = None
    for chunk in native.stream([("system", LONG_SYSTEM), ("human", "Do you ship abroad?")]):
        streamed = chunk if streamed is None else streamed + chunk
    assert streamed is not None and streamed.usage_metadata is not None
    assert streamed.usage_metadata["input_token_details"]["cache_read"] >= MIN_CACHED_PREFIX


def test_short_prompts_other_keys_and_reset_never_hit(emu: Emulator) -> None:
    with QwenClient(api="dashscope", api_key=API_KEY, base_url=emu.base_url) as client:
        short = ChatRequest(model="qwen-plus", messages=[Message("user", "hello " * 10)])
        client.chat(short)
        usage = client.chat(short).usage
        assert usage is not None and usage.cached_tokens == 0
    body = _chat("Where is my order?")
    _native(emu, TEXT_PATH, body, key="sk-one")
    other = _native(emu, TEXT_PATH, body, key="sk-two").json()["usage"]
    assert other["prompt_tokens_details"] == {"cached_tokens": 0}
    emu.reset()
    assert _native(emu, TEXT_PATH, body, key="sk-one").json()["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    again = _native(emu, TEXT_PATH, body, key="sk-one").json()["usage"]
    assert again["prompt_tokens_details"]["cached_tokens"] >= MIN_CACHED_PREFIX


def test_scripted_cached_tokens_and_search_results(emu: Emulator) -> None:
    emu.enqueue(ScriptedReply(text="Found it.", usage={"input_tokens": 900, "cached_tokens": 512},
                              search_results=[{"title": "Qwen 3", "url": "https://example.org/qwen3"}]))
    llm = ChatQwen(model="qwen-plus", api="dashscope", api_key=API_KEY, base_url=emu.base_url, enable_search=True)
    message = llm.invoke("news?")
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_token_details"]["cache_read"] == 512
    results = message.response_metadata["search_info"]["search_results"]
    assert results == [{"index": 1, "title": "Qwen 3", "url": "https://example.org/qwen3"}]


def test_usage_shapes_per_model_family(emu: Emulator) -> None:
    text = _native(emu, TEXT_PATH, _chat("hi")).json()["usage"]
    assert set(text) == {"input_tokens", "output_tokens", "total_tokens", "prompt_tokens_details"}
    mt = _native(emu, TEXT_PATH, _chat("hi", model="qwen-mt-plus")).json()["usage"]
    assert set(mt) == {"input_tokens", "output_tokens", "total_tokens"}
    image = [{"image": "https://example.com/a.png"}, {"text": "What is it?"}]
    vision = {"model": "qwen3-vl-plus", "input": {"messages": [{"role": "user", "content": image}]}}
    modern = _native(emu, MM_PATH, vision).json()["usage"]
    assert modern["input_tokens_details"]["image_tokens"] == modern["image_tokens"] > 0
    assert modern["input_tokens_details"]["text_tokens"] + modern["image_tokens"] == modern["input_tokens"]
    assert modern["output_tokens_details"]["text_tokens"] == modern["output_tokens"]
    assert modern["prompt_tokens_details"] == {}
    legacy = _native(emu, MM_PATH, {**vision, "model": "qwen-vl-plus"}).json()["usage"]
    assert set(legacy) == {"input_tokens", "output_tokens", "image_tokens"}


def test_search_stream_with_prepended_results_starts_with_an_empty_usage(emu: Emulator) -> None:
    body = _chat("Qwen news", enable_search=True, incremental_output=True,
                 search_options={"prepend_search_result": True, "enable_search_extension": True})
    frames = native_frames(_native(emu, TEXT_PATH, body, stream=True).content)
    first, rest = frames[0], frames[1:]
    assert first["usage"] == {}
    assert first["output"]["choices"][0]["message"]["content"] == ""
    assert len(first["output"]["search_info"]["search_results"]) == 2
    assert first["output"]["search_info"]["extra_tool_info"][0]["tool"] == "extension"
    assert all(f["output"]["search_info"] == {"extra_tool_info": [], "search_results": []} for f in rest)
    assert rest[-1]["usage"]["plugins"]["search"]["count"] == 1


def test_multimodal_search_with_images_counts_image_searches(emu: Emulator) -> None:
    messages = [{"role": "user", "content": [{"text": "West Lake this month?"}]}]
    body = {"model": "qwen3.6-plus", "input": {"messages": messages},
            "parameters": {"enable_search": True, "enable_text_image_mixed": True}}
    usage = _native(emu, MM_PATH, body).json()["usage"]
    assert usage["plugins"]["image_search"] == {"count": 1}
    assert usage["plugins"]["search"]["count"] == 1


def test_multimodal_stream_finishes_on_its_last_text_frame(emu: Emulator) -> None:
    image = [{"image": "https://example.com/a.png"}, {"text": "Describe it in a few words"}]
    body = {"model": "qwen3-vl-plus", "input": {"messages": [{"role": "user", "content": image}]},
            "parameters": {"incremental_output": True, "enable_thinking": True}}
    frames = native_frames(_native(emu, MM_PATH, body, stream=True).content)
    last = frames[-1]["output"]["choices"][0]
    assert last["finish_reason"] == "stop" and last["message"]["content"][0]["text"]
    assert "reasoning_content" not in last["message"]
    assert "reasoning_content" in frames[0]["output"]["choices"][0]["message"]
