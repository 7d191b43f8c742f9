"""Native protocol: payload snapshots, every recorded response body, stream events, embeddings and rerank."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from qwen_core.catalogue import get_model_info
from qwen_core.errors import (
    AuthenticationError,
    BadRequestError,
    ContentInspectionError,
    ResponseParseError,
    ServerError,
)
from qwen_core.protocols.native import (
    MULTIMODAL_GENERATION_PATH,
    TEXT_GENERATION_PATH,
    NativeProtocol,
    build_native_chat_payload,
    parse_native_chat,
    parse_native_embedding,
    parse_native_rerank,
    parse_native_stream_event,
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

Capture = Callable[[str], bytes]
WEATHER = ToolSpec("get_weather", "Weather of a city", {"type": "object", "properties": {"city": {"type": "string"}}})
WEATHER_WIRE = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


# ------------------------------------------------------------------------------------------ payloads


def test_minimal_payload_has_only_result_format() -> None:
    request = ChatRequest("qwen-plus", [Message("user", "hi")])
    assert build_native_chat_payload(request, get_model_info("qwen-plus"), stream=False) == {
        "model": "qwen-plus",
        "input": {"messages": [{"role": "user", "content": "hi"}]},
        "parameters": {"result_format": "message"},
    }


def test_stream_payload_asks_for_incremental_output_without_stream_field() -> None:
    request = ChatRequest("qwen-plus", [Message("user", "hi")], extra={"incremental_output": False})
    payload = build_native_chat_payload(request, get_model_info("qwen-plus"), stream=True)
    assert payload["parameters"] == {"result_format": "message", "incremental_output": True}
    assert "stream" not in payload and "stream" not in payload["parameters"]


def test_all_options_and_tool_history() -> None:
    request = ChatRequest(
        "qwen-plus",
        [
            Message("system", "Be brief."),
            Message("user", (TextPart("Weather in"), TextPart("Hangzhou?"))),
            Message("assistant", "", tool_calls=(ToolCall("call_1", "get_weather", '{"city":"Hangzhou"}'),)),
            Message("tool", "sunny", tool_call_id="call_1"),
            Message("assistant", "It is", partial=True),
        ],
        tools=[WEATHER],
        tool_choice=NamedToolChoice("get_weather"),
        parallel_tool_calls=True,
        temperature=0.5,
        top_p=0.9,
        top_k=20,
        max_tokens=100,
        seed=2**40,
        stop=["END"],
        repetition_penalty=1.1,
        presence_penalty=0.2,
        n=1,
        logprobs=True,
        top_logprobs=2,
        enable_thinking=False,
        thinking_budget=64,
        enable_search=True,
        search_options={"forced_search": True},
        response_format=ResponseFormat("json_schema", {"type": "object"}, name="answer", strict=True),
        extra={"vl_high_resolution_images": True},
    )
    payload = build_native_chat_payload(request, get_model_info("qwen-plus"), stream=False)
    assert payload["input"]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in\nHangzhou?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Hangzhou"}'},
                    "index": 0,
                }
            ],
        },
        {"role": "tool", "content": "sunny", "tool_call_id": "call_1", "name": "get_weather"},
        {"role": "assistant", "content": "It is", "partial": True},
    ]
    assert payload["parameters"] == {
        "result_format": "message",
        "temperature": 0.5,
        "top_p": 0.9,
        "top_k": 20,
        "max_tokens": 100,
        "seed": 2**40,
        "repetition_penalty": 1.1,
        "presence_penalty": 0.2,
        "n": 1,
        "logprobs": True,
        "top_logprobs": 2,
        "enable_thinking": False,
        "thinking_budget": 64,
        "enable_search": True,
        "parallel_tool_calls": True,
        "stop": ["END"],
        "search_options": {"forced_search": True},
        "tools": [WEATHER_WIRE],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": True},
        },
        "vl_high_resolution_images": True,
    }


@pytest.mark.parametrize(
    ("choice", "wire"),
    [("auto", "auto"), ("none", "none"), ("required", "required")],
)
def test_tool_choice_modes(choice: str, wire: str) -> None:
    request = ChatRequest("qwen-plus", [Message("user", "hi")], tools=[WEATHER], tool_choice=choice)  # type: ignore[arg-type]
    assert (
        build_native_chat_payload(request, get_model_info("qwen-plus"), stream=False)["parameters"]["tool_choice"]
        == wire
    )


def test_json_object_format() -> None:
    request = ChatRequest("qwen-plus", [Message("user", "json")], response_format=ResponseFormat("json_object"))
    params = build_native_chat_payload(request, get_model_info("qwen-plus"), stream=False)["parameters"]
    assert params["response_format"] == {"type": "json_object"}


def test_media_goes_to_the_multimodal_endpoint_as_single_key_items(settings: QwenSettings) -> None:
    request = ChatRequest(
        "qwen3-vl-plus",
        [
            Message("system", "You see."),
            Message(
                "user",
                (
                    ImagePart("https://x/dog.jpg"),
                    VideoPart(("https://x/f1.jpg", "https://x/f2.jpg")),
                    VideoPart("https://x/v.mp4"),
                    AudioPart("https://x/a.wav"),
                    TextPart("What is this?"),
                ),
            ),
        ],
    )
    wire = NativeProtocol().build_chat(request, settings, get_model_info("qwen3-vl-plus"), stream=False)
    assert wire.url == "https://dashscope.example/api/v1" + MULTIMODAL_GENERATION_PATH
    assert json.loads(wire.body)["input"]["messages"] == [
        {"role": "system", "content": [{"text": "You see."}]},
        {
            "role": "user",
            "content": [
                {"image": "https://x/dog.jpg"},
                {"video": ["https://x/f1.jpg", "https://x/f2.jpg"]},
                {"video": "https://x/v.mp4"},
                {"audio": "https://x/a.wav"},
                {"text": "What is this?"},
            ],
        },
    ]


def test_multimodal_model_routes_text_only_requests_to_multimodal(settings: QwenSettings) -> None:
    request = ChatRequest("qwen3.5-plus", [Message("user", "hi")])
    wire = NativeProtocol().build_chat(request, settings, get_model_info("qwen3.5-plus"), stream=False)
    assert wire.url.endswith(MULTIMODAL_GENERATION_PATH)
    assert json.loads(wire.body)["input"]["messages"] == [{"role": "user", "content": [{"text": "hi"}]}]


@pytest.mark.filterwarnings("ignore::qwen_core.catalogue.UnknownModelWarning")
def test_media_on_a_text_model_is_still_routed_to_multimodal_url(settings: QwenSettings) -> None:
    request = ChatRequest("some-new-model", [Message("user", (ImagePart("https://x/a.png"), TextPart("?")))])
    wire = NativeProtocol().build_chat(request, settings, get_model_info("some-new-model"), stream=False)
    assert wire.url.endswith(MULTIMODAL_GENERATION_PATH)


def test_headers_body_and_url(settings: QwenSettings) -> None:
    from dataclasses import replace

    settings = replace(settings, workspace="llm-ws", extra_headers={"X-Trace": "1"})
    request = ChatRequest("qwen-plus", [Message("user", "你好")])
    wire = NativeProtocol().build_chat(request, settings, get_model_info("qwen-plus"), stream=True)
    assert wire.url == "https://dashscope.example/api/v1" + TEXT_GENERATION_PATH
    assert wire.stream is True
    assert dict(wire.headers) == {
        "Authorization": f"Bearer {API_KEY}",
        "Content-Type": "application/json",
        "Accept": "text/event-stream",
        "X-DashScope-SSE": "enable",
        "X-DashScope-WorkSpace": "llm-ws",
        "X-Trace": "1",
        "User-Agent": settings.user_agent,
    }
    assert (
        wire.body
        == (
            '{"model":"qwen-plus","input":{"messages":[{"role":"user","content":"你好"}]},'
            '"parameters":{"result_format":"message","incremental_output":true}}'
        ).encode()
    )
    plain = NativeProtocol().build_chat(request, settings, get_model_info("qwen-plus"), stream=False)
    assert "X-DashScope-SSE" not in plain.headers and plain.headers["Accept"] == "application/json"


# ------------------------------------------------------------------------------------------ captures


def test_capture_message(capture: Capture) -> None:
    result = parse_native_chat(capture("single-generation-message-nosse"))
    assert result.text.startswith("1+1 等于 2。")
    assert result.finish_reason == "stop"
    assert result.tool_calls == ()
    assert result.request_id == "e764bfe3-c0b7-97a0-ae57-cd99e1580960"
    assert result.model is None
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens, result.usage.total_tokens) == (8, 39, 47)
    assert result.usage.cached_tokens is None


def test_capture_text_format(capture: Capture) -> None:
    result = parse_native_chat(capture("single-generation-text-nosse"))
    assert result.text == "1+1等于2。这是最基本的数学加法运算之一。"
    assert result.finish_reason == "stop"
    assert result.usage is not None and result.usage.cached_tokens == 0 and result.usage.total_tokens == 30


def test_capture_json(capture: Capture) -> None:
    result = parse_native_chat(capture("single-generation-message-json-nosse"))
    assert json.loads(result.text) == {"result": 2}


def test_capture_logprobs(capture: Capture) -> None:
    result = parse_native_chat(capture("single-generation-message-logprobs-nosse"))
    assert result.text == "2"
    assert result.choices[0].logprobs == [
        {"top_logprobs": [{"logprob": 0.0, "bytes": [50], "token": "2"}], "logprob": 0.0, "bytes": [50], "token": "2"}
    ]


def test_capture_reasoning(capture: Capture) -> None:
    result = parse_native_chat(capture("single-generation-message-reasoning-nosse"))
    assert result.text == ""
    assert result.reasoning.startswith("我们被问到")
    assert result.finish_reason == "length"
    assert result.usage is not None
    assert (result.usage.reasoning_tokens, result.usage.cached_tokens, result.usage.total_tokens) == (20, 0, 33)


def test_capture_reasoning_effort(capture: Capture) -> None:
    result = parse_native_chat(capture("single-generation-message-reasoning-effort-nosse"))
    assert result.text.endswith("**121**。")
    assert result.reasoning.startswith("我们被问到")
    assert result.usage is not None and result.usage.reasoning_tokens == 1812


def test_capture_roleplay_two_choices(capture: Capture) -> None:
    result = parse_native_chat(capture("single-generation-message-roleplay-nosse"))
    assert [choice.index for choice in result.choices] == [0, 1]
    assert result.choices[0].text.startswith("嗯……splay树啊")
    assert result.choices[1].text.startswith("行吧")
    assert result.usage is not None and result.usage.total_tokens == 269


def test_capture_search(capture: Capture) -> None:
    result = parse_native_chat(capture("single-generation-message-search-nosse"))
    assert "[ref_1]" in result.text
    assert result.search_info is not None
    assert len(result.search_info["search_results"]) == 5
    assert result.search_info["search_results"][0]["url"] == "https://xueqiu.com/1692213155/355441155"
    assert result.usage is not None and result.usage.raw["plugins"] == {"search": {"count": 1, "strategy": "standard"}}


def test_capture_multimodal_websearch(capture: Capture) -> None:
    result = parse_native_chat(capture("multimodal-generation-with-websearch-nosse"))
    assert result.text.startswith("结合当前杭州西湖")
    assert result.reasoning.startswith("用户希望了解杭州西湖")
    assert result.search_info is not None and len(result.search_info["search_results"]) == 3
    assert result.usage is not None and result.usage.reasoning_tokens == 636 and result.usage.total_tokens == 1998


def test_capture_translation_names_model(capture: Capture) -> None:
    result = parse_native_chat(capture("single-generation-message-translation-nosse"))
    assert result.text == "The concept of cnblogs is that coding changes world "
    assert result.model == "qwen-mt-plus"


def test_capture_vl_list_content_and_missing_total(capture: Capture) -> None:
    result = parse_native_chat(capture("multimodal-generation-vl-nosse"))
    assert result.text == "海滩。"
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens, result.usage.total_tokens) == (3613, 3, 3616)
    assert result.usage.image_tokens == 3577


def test_capture_forced_tool_call_with_stop(capture: Capture) -> None:
    result = parse_native_chat(capture("single-generation-message-with-tools-nosse"))
    assert result.finish_reason == "stop"  # forced tool_choice: still a tool call (docs/protocol.md#q9)
    assert result.text == ""
    assert result.tool_calls == (
        ToolCall("call_cec4c19d27624537b583af", "get_current_weather", '{"location": "浙江省杭州市"}', 0),
    )


def test_capture_auth_error(capture: Capture) -> None:
    with pytest.raises(AuthenticationError) as info:
        parse_native_chat(capture("auth-error-nosse"), status=401)
    assert info.value.code == "InvalidApiKey"
    assert info.value.status == 401
    assert info.value.request_id == "a1c0561c-1dfe-98a6-a62f-983577b8bc5e"


def test_capture_parameter_error_with_bom(capture: Capture) -> None:
    error = NativeProtocol().parse_error(400, capture("parameter-error-nosse"))
    assert isinstance(error, BadRequestError)
    assert error.code == "InvalidParameter"
    assert error.message.startswith("Role must be user or assistant")
    assert error.request_id == "a5898c04-d210-901b-965f-e4bd90478805"


def test_error_body_at_status_200_still_raises(capture: Capture) -> None:
    with pytest.raises(AuthenticationError):
        parse_native_chat(capture("auth-error-nosse"))


def test_capture_embedding(capture: Capture) -> None:
    result = parse_native_embedding(capture("text-embedding-nosse"))
    assert len(result.vectors) == 1
    assert len(result.vectors[0]) == 1536
    assert result.vectors[0][0] == pytest.approx(-0.005039233741296242)
    assert result.total_tokens == 3
    assert result.request_id == "1773f7b2-2148-9f74-b335-b413e398a116"


def test_empty_tool_call_ids_are_synthesized_deterministically() -> None:
    body = json.dumps(
        {
            "output": {
                "choices": [
                    {
                        "finish_reason": "tool_calls",
                        "message": {
                            "role": "assistant",
                            "content": "",
                            "tool_calls": [
                                {"id": "", "type": "function", "function": {"name": "a", "arguments": "{}"}},
                                {
                                    "id": "",
                                    "index": 1,
                                    "type": "function",
                                    "function": {"name": "b", "arguments": "{}"},
                                },
                            ],
                        },
                    }
                ]
            },
            "usage": {},
            "request_id": "abcd-ef01-2345-6789",
        }
    )
    result = parse_native_chat(body)
    assert [call.id for call in result.tool_calls] == ["call_abcdef012345_0", "call_abcdef012345_1"]
    assert result.usage is None


def test_non_json_success_body_is_a_parse_error() -> None:
    with pytest.raises(ResponseParseError):
        parse_native_chat(b"<html>gateway</html>")


# ------------------------------------------------------------------------------------------ stream events


def test_stream_event_fragment_and_null_finish() -> None:
    event = SSEEvent(
        '{"output":{"choices":[{"message":{"content":"I","role":"assistant"},"finish_reason":"null"}]},'
        '"usage":{"total_tokens":23,"input_tokens":22,"output_tokens":1},"request_id":"r-1"}',
        "result",
        "1",
        200,
    )
    (delta,) = parse_native_stream_event(event)
    assert (delta.index, delta.text, delta.finish_reason, delta.request_id, delta.role) == (
        0,
        "I",
        None,
        "r-1",
        "assistant",
    )
    assert delta.usage is not None and delta.usage.total_tokens == 23
    assert delta.model is None and delta.reasoning == "" and delta.tool_call_chunks == ()


def test_stream_event_tool_fragments_two_indices() -> None:
    event = SSEEvent(
        json.dumps(
            {
                "output": {
                    "choices": [
                        {
                            "message": {
                                "content": "",
                                "role": "assistant",
                                "tool_calls": [
                                    {"index": 0, "id": "", "type": "function", "function": {"arguments": "}"}},
                                    {
                                        "index": 1,
                                        "id": "call_b",
                                        "type": "function",
                                        "function": {"name": "get_weather", "arguments": "{"},
                                    },
                                ],
                            },
                            "finish_reason": "null",
                        }
                    ]
                },
                "usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
                "request_id": "r",
            }
        ),
        "result",
    )
    (delta,) = parse_native_stream_event(event)
    assert delta.tool_call_chunks == (
        ToolCallChunk(0, None, None, "}"),
        ToolCallChunk(1, "call_b", "get_weather", "{"),
    )


def test_stream_error_event_uses_comment_status() -> None:
    event = SSEEvent('{"code":"InternalError","message":"boom","request_id":"r-9"}', "error", "1", 500)
    with pytest.raises(ServerError) as info:
        parse_native_stream_event(event)
    assert (info.value.status, info.value.code, info.value.request_id) == (500, "InternalError", "r-9")


def test_stream_error_event_defaults_to_400() -> None:
    event = SSEEvent(
        '{"code":"DataInspectionFailed","message":"Output data may contain inappropriate content.","request_id":"r"}',
        "error",
    )
    with pytest.raises(ContentInspectionError) as info:
        parse_native_stream_event(event)
    assert info.value.status == 400


def test_stream_non_json_data_is_a_parse_error() -> None:
    with pytest.raises(ResponseParseError):
        parse_native_stream_event(SSEEvent("not json", "result"))


def test_stream_empty_usage_and_search_info() -> None:
    event = SSEEvent(
        '{"output":{"choices":[{"message":{"content":"","role":"assistant"},"finish_reason":"null"}],'
        '"search_info":{"search_results":[{"index":1,"url":"u"}],"extra_tool_info":[]}},"usage":{},"request_id":"r"}'
    )
    (delta,) = parse_native_stream_event(event)
    assert delta.usage is None
    assert delta.search_info == {"search_results": [{"index": 1, "url": "u"}], "extra_tool_info": []}


# ------------------------------------------------------------------------------------------ embeddings, rerank


def test_embedding_request(settings: QwenSettings) -> None:
    request = EmbeddingRequest("text-embedding-v4", ["a", "b"], text_type="query", dimensions=512)
    wire = NativeProtocol().build_embedding(request, settings)
    assert wire.url == "https://dashscope.example/api/v1/services/embeddings/text-embedding/text-embedding"
    assert json.loads(wire.body) == {
        "model": "text-embedding-v4",
        "input": {"texts": ["a", "b"]},
        "parameters": {"text_type": "query", "dimension": 512},
    }


def test_embedding_results_sorted_by_text_index() -> None:
    body = json.dumps(
        {
            "output": {"embeddings": [{"text_index": 1, "embedding": [2.0]}, {"text_index": 0, "embedding": [1.0]}]},
            "usage": {"total_tokens": 4},
            "request_id": "r",
        }
    )
    assert parse_native_embedding(body).vectors == ((1.0,), (2.0,))


def test_rerank_request_and_response(settings: QwenSettings) -> None:
    request = RerankRequest("gte-rerank-v2", "q", ["a", "b", "c"], top_n=2, return_documents=True)
    wire = NativeProtocol().build_rerank(request, settings)
    assert wire.url == "https://dashscope.example/api/v1/services/rerank/text-rerank/text-rerank"
    assert json.loads(wire.body) == {
        "model": "gte-rerank-v2",
        "input": {"query": "q", "documents": ["a", "b", "c"]},
        "parameters": {"top_n": 2, "return_documents": True},
    }
    body = json.dumps(
        {
            "output": {
                "results": [
                    {"index": 2, "relevance_score": 0.3, "document": {"text": "c"}},
                    {"index": 0, "relevance_score": 0.9, "document": {"text": "a"}},
                ]
            },
            "usage": {"total_tokens": 79},
            "request_id": "r",
        }
    )
    result = parse_native_rerank(body)
    assert [(hit.index, hit.relevance_score, hit.document) for hit in result.hits] == [(0, 0.9, "a"), (2, 0.3, "c")]
    assert result.total_tokens == 79


def test_user_headers_replace_same_named_ones_and_a_user_authorization_stays_masked(settings: QwenSettings) -> None:
    from dataclasses import replace

    settings = replace(settings, extra_headers={"user-agent": "gateway-client/1", "authorization": "Bearer gw-secret"})
    request = ChatRequest("qwen-plus", [Message("user", "hi")], extra_headers={"X-Call": "1", "USER-AGENT": "call/2"})
    wire = NativeProtocol().build_chat(request, settings, get_model_info("qwen-plus"), stream=False)
    names = [name.lower() for name in wire.headers]
    assert names.count("user-agent") == 1 and names.count("authorization") == 1
    assert wire.headers["USER-AGENT"] == "call/2" and wire.headers["X-Call"] == "1"
    assert wire.headers["authorization"] == "Bearer gw-secret"
    assert "gw-secret" not in repr(wire) and "gw-secret" not in repr(dict(wire.headers))
