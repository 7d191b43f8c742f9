"""Compatible protocol: payload snapshots, responses, stream chunks, errors, embeddings and rerank."""

from __future__ import annotations

import json

import pytest

from qwen_core.catalogue import get_model_info
from qwen_core.errors import (
    BadRequestError,
    ContentInspectionError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseParseError,
)
from qwen_core.protocols.compatible import (
    CompatibleProtocol,
    build_compatible_chat_payload,
    parse_compatible_chat,
    parse_compatible_embedding,
    parse_compatible_rerank,
    parse_compatible_stream_event,
)
from qwen_core.settings import QwenSettings
from qwen_core.sse import SSEEvent
from qwen_core.types import (
    AudioPart,
    ChatRequest,
    EmbeddingRequest,
    ImagePart,
    Message,
    NamedToolChoice,
    RerankRequest,
    ResponseFormat,
    TextPart,
    ToolCall,
    ToolCallChunk,
    ToolSpec,
    VideoPart,
)
from tests._support.constants import API_KEY

INFO = get_model_info("qwen-plus")
TOOL = ToolSpec("get_weather", "Weather", {"type": "object", "properties": {}})


def test_minimal_payload() -> None:
    request = ChatRequest("qwen-plus", [Message("user", "hi")])
    assert build_compatible_chat_payload(request, INFO, stream=False) == {
        "model": "qwen-plus",
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_stream_payload_with_and_without_usage() -> None:
    request = ChatRequest("qwen-plus", [Message("user", "hi")])
    assert build_compatible_chat_payload(request, INFO, stream=True) == {
        "model": "qwen-plus",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    quiet = ChatRequest("qwen-plus", [Message("user", "hi")], stream_usage=False)
    assert "stream_options" not in build_compatible_chat_payload(quiet, INFO, stream=True)


def test_full_payload_with_qwen_options_top_level() -> None:
    request = ChatRequest(
        "qwen-plus",
        [
            Message("user", "weather? answer in json"),
            Message("assistant", "", tool_calls=(ToolCall("call_1", "get_weather", "{}"),)),
            Message("tool", "sunny", tool_call_id="call_1"),
            Message("assistant", "The", partial=True),
        ],
        tools=[TOOL],
        tool_choice="required",
        top_k=5,
        repetition_penalty=1.05,
        enable_thinking=False,
        thinking_budget=10,
        enable_search=False,
        search_options={"search_strategy": "max"},
        seed=7,
        stop=["x", "y"],
        response_format=ResponseFormat("json_object"),
        extra={"vl_high_resolution_images": True},
    )
    assert build_compatible_chat_payload(request, INFO, stream=False) == {
        "model": "qwen-plus",
        "messages": [
            {"role": "user", "content": "weather? answer in json"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "content": "sunny", "tool_call_id": "call_1"},
            {"role": "assistant", "content": "The", "partial": True},
        ],
        "top_k": 5,
        "seed": 7,
        "repetition_penalty": 1.05,
        "enable_thinking": False,
        "thinking_budget": 10,
        "enable_search": False,
        "stop": ["x", "y"],
        "search_options": {"search_strategy": "max"},
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Weather",
                    "parameters": {"type": "object", "properties": {}},
                },
            }
        ],
        "tool_choice": "required",
        "response_format": {"type": "json_object"},
        "vl_high_resolution_images": True,
    }


def test_named_tool_choice_and_json_schema() -> None:
    request = ChatRequest(
        "qwen-plus",
        [Message("user", "x")],
        tools=[TOOL],
        tool_choice=NamedToolChoice("get_weather"),
        response_format=ResponseFormat("json_schema", {"type": "object"}, name="out", description="d"),
    )
    payload = build_compatible_chat_payload(request, INFO, stream=False)
    assert payload["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert payload["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "out", "schema": {"type": "object"}, "description": "d"},
    }


def test_tool_choice_is_dropped_without_tools() -> None:
    request = ChatRequest("qwen-plus", [Message("user", "x")], tool_choice="auto")
    assert "tool_choice" not in build_compatible_chat_payload(request, INFO, stream=False)


def test_media_parts() -> None:
    request = ChatRequest(
        "qwen3-vl-plus",
        [
            Message(
                "user",
                (
                    TextPart("look"),
                    ImagePart("https://x/a.png", detail="high"),
                    VideoPart("https://x/v.mp4"),
                    VideoPart(("https://x/1.jpg", "https://x/2.jpg")),
                    AudioPart("https://x/a.wav"),
                ),
            ),
            Message("user", (TextPart("a"), TextPart("b"))),
        ],
    )
    messages = build_compatible_chat_payload(request, INFO, stream=False)["messages"]
    assert messages == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "high"}},
                {"type": "video_url", "video_url": {"url": "https://x/v.mp4"}},
                {"type": "video", "video": ["https://x/1.jpg", "https://x/2.jpg"]},
                {"type": "input_audio", "input_audio": {"data": "https://x/a.wav"}},
            ],
        },
        {"role": "user", "content": "a\nb"},
    ]


def test_wire_request(settings: QwenSettings) -> None:
    request = ChatRequest("qwen-plus", [Message("user", "hi")])
    wire = CompatibleProtocol().build_chat(request, settings, INFO, stream=True)
    assert wire.url == "https://dashscope.example/compatible-mode/v1/chat/completions"
    assert wire.headers["Authorization"] == f"Bearer {API_KEY}"
    assert wire.headers["Accept"] == "text/event-stream"
    assert "X-DashScope-SSE" not in wire.headers
    assert wire.body.startswith(b'{"model":"qwen-plus","messages":')


# ------------------------------------------------------------------------------------------ responses

RESPONSE = {
    "id": "chatcmpl-81951b98-28b8-9659-ab07-cd30d25600e7",
    "object": "chat.completion",
    "created": 1726127645,
    "model": "qwen-plus",
    "system_fingerprint": None,
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {"role": "assistant", "content": "I am Qwen.", "reasoning_content": "think"},
        }
    ],
    "usage": {
        "prompt_tokens": 3019,
        "completion_tokens": 104,
        "total_tokens": 3123,
        "prompt_tokens_details": {"cached_tokens": 2048},
        "completion_tokens_details": {"reasoning_tokens": 50},
    },
}


def test_parse_response() -> None:
    result = parse_compatible_chat(json.dumps(RESPONSE).encode())
    assert result.text == "I am Qwen."
    assert result.reasoning == "think"
    assert result.finish_reason == "stop"
    assert result.model == "qwen-plus"
    assert result.request_id == "81951b98-28b8-9659-ab07-cd30d25600e7"
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens, result.usage.total_tokens) == (3019, 104, 3123)
    assert (result.usage.cached_tokens, result.usage.reasoning_tokens) == (2048, 50)


def test_parse_tool_call_response() -> None:
    body = {
        "id": "chatcmpl-x",
        "model": "qwen-plus",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "call_1", "type": "function", "index": 0, "function": {"name": "f", "arguments": "{}"}}
                    ],
                },
            }
        ],
    }
    result = parse_compatible_chat(json.dumps(body))
    assert result.tool_calls == (ToolCall("call_1", "f", "{}", 0),)
    assert result.text == "" and result.usage is None


def test_error_response_body() -> None:
    body = {
        "error": {
            "code": "invalid_parameter_error",
            "param": None,
            "message": "<400> InternalError.Algo.InvalidParameter: 'messages' must contain the word 'json'",
            "type": "invalid_request_error",
        },
        "id": "chatcmpl-07df985b-aaaa",
        "request_id": "07df985b-aaaa",
    }
    with pytest.raises(BadRequestError) as info:
        parse_compatible_chat(json.dumps(body), status=400)
    assert (info.value.code, info.value.status, info.value.request_id) == (
        "invalid_parameter_error",
        400,
        "07df985b-aaaa",
    )


def test_sse_formatted_error_body() -> None:
    body = b'data: {"error":{"code":"Arrearage","message":"Access denied","type":"Arrearage"},"id":"chatcmpl-abc"}\n\n'
    error = CompatibleProtocol().parse_error(400, body, {"X-Request-Id": "hdr"})
    assert isinstance(error, PermissionDeniedError)
    assert (error.code, error.request_id) == ("Arrearage", "abc")


# ------------------------------------------------------------------------------------------ stream chunks


def chunk(choices: list[dict[str, object]], **extra: object) -> SSEEvent:
    body: dict[str, object] = {
        "id": "chatcmpl-req-1",
        "object": "chat.completion.chunk",
        "model": "qwen-plus",
        "choices": choices,
    }
    body.update(extra)
    return SSEEvent(json.dumps(body))


def test_text_and_reasoning_chunks() -> None:
    (first,) = parse_compatible_stream_event(
        chunk(
            [
                {
                    "index": 0,
                    "delta": {"content": None, "role": "assistant", "reasoning_content": "hm"},
                    "finish_reason": None,
                }
            ]
        )
    )
    assert (first.text, first.reasoning, first.role, first.finish_reason) == ("", "hm", "assistant", None)
    assert (first.model, first.request_id, first.usage) == ("qwen-plus", "req-1", None)
    (last,) = parse_compatible_stream_event(chunk([{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]))
    assert (last.text, last.finish_reason) == ("ok", "stop")


def test_tool_call_chunks() -> None:
    (delta,) = parse_compatible_stream_event(
        chunk(
            [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {"index": 0, "id": "", "type": "function", "function": {}},
                            {
                                "index": 1,
                                "id": "call_2",
                                "type": "function",
                                "function": {"name": "g", "arguments": ""},
                            },
                        ]
                    },
                    "finish_reason": None,
                }
            ]
        )
    )
    assert delta.tool_call_chunks == (ToolCallChunk(0, None, None, ""), ToolCallChunk(1, "call_2", "g", ""))


def test_usage_chunk_and_done() -> None:
    usage = {
        "prompt_tokens": 22,
        "completion_tokens": 17,
        "total_tokens": 39,
        "completion_tokens_details": None,
        "prompt_tokens_details": {"audio_tokens": None, "cached_tokens": 0},
    }
    (delta,) = parse_compatible_stream_event(chunk([], usage=usage))
    assert delta.usage is not None
    assert (delta.usage.total_tokens, delta.usage.cached_tokens, delta.usage.reasoning_tokens) == (39, 0, None)
    assert delta.text == "" and delta.finish_reason is None
    assert parse_compatible_stream_event(SSEEvent("[DONE]")) == ()


def test_error_chunk_mid_stream() -> None:
    event = SSEEvent(
        json.dumps({"error": {"code": "data_inspection_failed", "message": "Output data may..."}, "id": "chatcmpl-r"})
    )
    with pytest.raises(ContentInspectionError) as info:
        parse_compatible_stream_event(event)
    assert (info.value.status, info.value.request_id) == (400, "r")


def test_throttling_chunk() -> None:
    event = SSEEvent(json.dumps({"error": {"code": "limit_requests", "message": "slow down"}}))
    with pytest.raises(RateLimitError) as info:
        parse_compatible_stream_event(event)
    assert info.value.status == 429


def test_non_json_chunk() -> None:
    with pytest.raises(ResponseParseError):
        parse_compatible_stream_event(SSEEvent("{broken"))


# ------------------------------------------------------------------------------------------ embeddings, rerank


def test_embeddings(settings: QwenSettings) -> None:
    wire = CompatibleProtocol().build_embedding(
        EmbeddingRequest("text-embedding-v4", ["a", "b"], dimensions=256), settings
    )
    assert wire.url == "https://dashscope.example/compatible-mode/v1/embeddings"
    assert json.loads(wire.body) == {
        "model": "text-embedding-v4",
        "input": ["a", "b"],
        "encoding_format": "float",
        "dimensions": 256,
    }
    body = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": 1, "embedding": [0.2]},
            {"object": "embedding", "index": 0, "embedding": [0.1]},
        ],
        "model": "text-embedding-v4",
        "usage": {"prompt_tokens": 2, "total_tokens": 2},
        "id": "abc",
    }
    result = parse_compatible_embedding(json.dumps(body))
    assert result.vectors == ((0.1,), (0.2,))
    assert (result.total_tokens, result.request_id) == (2, "abc")


def test_embedding_error_body_raises() -> None:
    with pytest.raises(NotFoundError):
        parse_compatible_embedding(json.dumps({"error": {"code": "model_not_found", "message": "no"}}))


@pytest.mark.parametrize("nested", [False, True])
def test_rerank(settings: QwenSettings, nested: bool) -> None:
    request = RerankRequest("qwen3-rerank", "q", ["a", "b"], top_n=1, return_documents=False, instruct="Find")
    wire = CompatibleProtocol().build_rerank(request, settings)
    assert wire.url == "https://dashscope.example/compatible-api/v1/reranks"
    assert json.loads(wire.body) == {
        "model": "qwen3-rerank",
        "query": "q",
        "documents": ["a", "b"],
        "top_n": 1,
        "return_documents": False,
        "instruct": "Find",
    }
    results = [{"index": 1, "relevance_score": 0.2}, {"index": 0, "relevance_score": 0.8, "document": "a"}]
    body: dict[str, object] = {"output": {"results": results}} if nested else {"results": results}
    body |= {"usage": {"total_tokens": 9}, "request_id": "rid"}
    result = parse_compatible_rerank(json.dumps(body))
    assert [(hit.index, hit.document) for hit in result.hits] == [(0, "a"), (1, None)]
    assert (result.total_tokens, result.request_id) == (9, "rid")


def test_participant_names_reach_the_compatible_wire() -> None:
    from qwen_core.catalogue import get_model_info
    from qwen_core.protocols.compatible import build_compatible_chat_payload
    from qwen_core.types import ChatRequest, Message

    request = ChatRequest(
        model="qwen-plus", messages=[Message("system", "s", name="rules"), Message("user", "hi", name="ann")]
    )
    messages = build_compatible_chat_payload(request, get_model_info("qwen-plus"), stream=False)["messages"]
    assert messages == [
        {"role": "system", "content": "s", "name": "rules"},
        {"role": "user", "content": "hi", "name": "ann"},
    ]
