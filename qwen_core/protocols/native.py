"""The native DashScope protocol (``/api/v1/services/...``): payload builders and response parsers.

Everything here is pure. :class:`NativeProtocol` wires the module functions into the
:class:`~qwen_core.protocols.base.WireProtocol` interface; the functions are public so tests, the emulator
and benchmarks can use them directly. Quirk numbers (Q1...) refer to the protocol notes, §8.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from qwen_core.catalogue import ModelInfo, NativeEndpoint
from qwen_core.errors import APIStatusError, ResponseParseError
from qwen_core.protocols._common import (
    base_headers,
    dumps_body,
    finish_reason,
    has_media,
    header,
    int_or_none,
    loads_body,
    loads_event_data,
    logprobs_content,
    put_options,
    require_mapping,
    rerank_hits,
    synthesize_tool_call_id,
    text_of,
    tool_arguments,
    tool_names_by_id,
    usage_total,
    wire_tool_calls,
)
from qwen_core.protocols._errors import error_from_body, error_from_payload
from qwen_core.protocols.base import WireRequest
from qwen_core.settings import QwenSettings
from qwen_core.sse import SSEEvent
from qwen_core.types import (
    Api,
    AudioPart,
    ChatDelta,
    ChatRequest,
    ChatResult,
    Choice,
    Content,
    ContentPart,
    EmbeddingRequest,
    EmbeddingResult,
    ImagePart,
    Message,
    RerankRequest,
    RerankResult,
    TextPart,
    ToolCall,
    ToolCallChunk,
    Usage,
    VideoPart,
)

TEXT_GENERATION_PATH: Final = "/services/aigc/text-generation/generation"
MULTIMODAL_GENERATION_PATH: Final = "/services/aigc/multimodal-generation/generation"
EMBEDDING_PATH: Final = "/services/embeddings/text-embedding/text-embedding"
RERANK_PATH: Final = "/services/rerank/text-rerank/text-rerank"


# --------------------------------------------------------------------------------------------- requests


def native_endpoint(request: ChatRequest, info: ModelInfo) -> NativeEndpoint:
    """The endpoint a chat request goes to: the model's own, or multimodal when it carries media (Q12)."""
    if info.native_endpoint == "multimodal" or has_media(request.messages):
        return "multimodal"
    return "text"


def native_chat_path(request: ChatRequest, info: ModelInfo) -> str:
    if native_endpoint(request, info) == "multimodal":
        return MULTIMODAL_GENERATION_PATH
    return TEXT_GENERATION_PATH


def build_native_chat_payload(request: ChatRequest, info: ModelInfo, *, stream: bool) -> dict[str, Any]:
    """The native chat body: ``{"model", "input": {"messages"}, "parameters"}``, only set options included."""
    multimodal = native_endpoint(request, info) == "multimodal"
    names = tool_names_by_id(request.messages)
    messages = [_native_message(message, multimodal, names) for message in request.messages]
    # "message" is not the default for older models (Q19); tools and thinking require it.
    parameters: dict[str, Any] = {"result_format": "message"}
    put_options(request, parameters)
    if stream:
        # Fragments, not cumulative snapshots: the parser and accumulator rely on it (thinking requires it, Q10).
        parameters["incremental_output"] = True
    return {"model": request.model, "input": {"messages": messages}, "parameters": parameters}


def _native_message(message: Message, multimodal: bool, names: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": _native_content(message.content, multimodal)}
    if message.tool_calls:
        out["tool_calls"] = wire_tool_calls(message.tool_calls, with_index=True)
    if message.role == "tool":
        if message.tool_call_id:
            out["tool_call_id"] = message.tool_call_id
        name = message.name or names.get(message.tool_call_id or "")
        if name:
            out["name"] = name  # older deployments matched tool results by name, newer by id: send both
    if message.partial:
        out["partial"] = True  # prefix continuation: the reply holds only the continuation (Q27)
    return out


def _native_content(content: Content, multimodal: bool) -> str | list[dict[str, Any]]:
    if not multimodal:
        return text_of(content)  # the text endpoint rejects list content ("input content must be a string")
    if isinstance(content, str):
        return [{"text": content}] if content else []  # multimodal content is a list of single-key items
    return [_multimodal_part(part) for part in content]


def _multimodal_part(part: ContentPart) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"text": part.text}
    if isinstance(part, ImagePart):
        return {"image": part.url}
    if isinstance(part, VideoPart):
        return {"video": part.url if isinstance(part.url, str) else list(part.url)}
    if isinstance(part, AudioPart):
        return {"audio": part.url}
    raise TypeError(f"unknown content part {part!r}")


def build_native_embedding_payload(request: EmbeddingRequest) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    if request.text_type is not None:
        parameters["text_type"] = request.text_type
    if request.dimensions is not None:
        parameters["dimension"] = request.dimensions  # singular on the native API, plural in compat (Q21)
    if request.instruct is not None:
        parameters["instruct"] = request.instruct
    parameters.update(request.extra)
    return {"model": request.model, "input": {"texts": list(request.texts)}, "parameters": parameters}


def build_native_rerank_payload(request: RerankRequest) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    if request.top_n is not None:
        parameters["top_n"] = request.top_n
    if request.return_documents is not None:
        parameters["return_documents"] = request.return_documents
    if request.instruct is not None:
        parameters["instruct"] = request.instruct
    parameters.update(request.extra)
    return {
        "model": request.model,
        "input": {"query": request.query, "documents": list(request.documents)},
        "parameters": parameters,
    }


# --------------------------------------------------------------------------------------------- responses


def parse_native_usage(raw: Any) -> Usage | None:
    """Native usage; ``{}`` (search streams start with it, Q18) and absent usage give ``None``.

    Runs once per streamed frame, so it reads the dict directly and builds :class:`Usage` positionally.
    """
    if not raw or type(raw) is not dict:
        return None
    get = raw.get
    input_tokens = int_or_none(get("input_tokens")) or 0
    output_tokens = int_or_none(get("output_tokens")) or 0
    total = int_or_none(get("total_tokens"))
    prompt_details = get("prompt_tokens_details")
    output_details = get("output_tokens_details")
    image_tokens = get("image_tokens")
    if image_tokens is None:
        input_details = get("input_tokens_details")
        image_tokens = input_details.get("image_tokens") if input_details else None
    return Usage(
        input_tokens,
        output_tokens,
        input_tokens + output_tokens if total is None else total,  # missing on multimodal (Q18)
        int_or_none(prompt_details.get("cached_tokens")) if prompt_details else None,
        int_or_none(output_details.get("reasoning_tokens")) if output_details else None,
        int_or_none(image_tokens),
        raw,
    )


def content_text(content: Any) -> str:
    """Message content as text: a string, or a multimodal list ``[{"text": ...}]`` (possibly ``[]``, Q11)."""
    if isinstance(content, str):
        return content
    if not content:
        return ""
    if len(content) == 1:
        text = content[0].get("text")
        return text if isinstance(text, str) else ""
    return "".join(item.get("text") or "" for item in content if isinstance(item, Mapping))


def search_info_of(raw: Any) -> Mapping[str, Any] | None:
    """``output.search_info`` when it holds anything (later stream frames carry empty lists)."""
    if isinstance(raw, Mapping) and any(raw.values()):
        return raw
    return None


def parse_tool_calls(raw: Any, request_id: str | None, choice_index: int = 0) -> tuple[ToolCall, ...]:
    """Complete tool calls of a non-streamed message; empty ids are synthesized (Q8)."""
    if not raw:
        return ()
    calls = []
    for position, item in enumerate(raw):
        function = item.get("function") or {}
        index = int_or_none(item.get("index"))
        index = position if index is None else index
        calls.append(
            ToolCall(
                id=item.get("id") or synthesize_tool_call_id(request_id, index, choice_index),
                name=function.get("name") or "",
                arguments=tool_arguments(function.get("arguments")),
                index=index,
            )
        )
    return tuple(calls)


def tool_call_chunks(raw: Sequence[Any]) -> tuple[ToolCallChunk, ...]:
    """Streamed tool-call fragments keyed by ``index``; continuation fragments have ``"id": ""`` (Q8)."""
    chunks = []
    for position, item in enumerate(raw):
        function = item.get("function") or {}
        index = item.get("index")
        arguments = function.get("arguments")
        chunks.append(
            ToolCallChunk(
                index=position if index is None else index,
                id=item.get("id") or None,
                name=function.get("name") or None,
                arguments=arguments if isinstance(arguments, str) else tool_arguments(arguments),
            )
        )
    return tuple(chunks)


def _native_choice(raw: Mapping[str, Any], position: int, request_id: str | None) -> Choice:
    message = raw.get("message") or {}
    index = int_or_none(raw.get("index"))
    index = position if index is None else index
    return Choice(
        index=index,
        text=content_text(message.get("content")),
        reasoning=message.get("reasoning_content") or "",
        # tool-call-ness is the presence of tool_calls, never finish_reason ("stop" when forced, Q9)
        tool_calls=parse_tool_calls(message.get("tool_calls"), request_id, index),
        finish_reason=finish_reason(raw.get("finish_reason")),
        logprobs=logprobs_content(raw.get("logprobs")),
    )


def native_result_from_payload(payload: Any, headers: Mapping[str, str] | None = None) -> ChatResult:
    """A :class:`ChatResult` from a decoded native body, in message or text format (Q14)."""
    body = require_mapping(payload, "native chat response")
    output = body.get("output")
    if not isinstance(output, Mapping):
        if "code" in body:
            raise error_from_payload(None, body, headers)
        raise ResponseParseError("native chat response has no 'output' object")
    request_id = body.get("request_id") or header(headers, "x-request-id")
    choices_raw = output.get("choices")
    if isinstance(choices_raw, list) and choices_raw:
        choices = tuple(_native_choice(item, i, request_id) for i, item in enumerate(choices_raw))
    elif "text" in output:
        text = output.get("text")  # result_format "text" (older models' default)
        reason = finish_reason(output.get("finish_reason"))
        choices = (Choice(text=text if isinstance(text, str) else "", finish_reason=reason),)
    else:
        raise ResponseParseError("native chat response has neither 'output.choices' nor 'output.text'")
    model = output.get("model_name")
    return ChatResult(
        choices=choices,
        usage=parse_native_usage(body.get("usage")),
        request_id=request_id,
        model=model if isinstance(model, str) else None,  # the native body names no model; the client fills it
        search_info=search_info_of(output.get("search_info")),
    )


def parse_native_chat(body: bytes | str, *, status: int = 200, headers: Mapping[str, str] | None = None) -> ChatResult:
    """Parse a non-streamed native chat response; error answers raise their typed error."""
    if status >= 400:
        raise error_from_body(status, body, headers)
    return native_result_from_payload(loads_body(body), headers)


def parse_native_stream_event(event: SSEEvent) -> tuple[ChatDelta, ...]:
    """One native SSE event -> one delta per choice, holding only the new fragments (we ask for incremental)."""
    if event.event == "error":
        # errors arrive as HTTP 200 + event:error; the real status is in the :HTTP_STATUS comment (Q5)
        status = event.status if event.status is not None and event.status >= 400 else 400
        raise error_from_body(status, event.data)
    payload = loads_event_data(event.data)
    if type(payload) is not dict:
        raise ResponseParseError(f"stream event data is not a JSON object: {event.data[:200]!r}")
    output = payload.get("output")
    if output is None:
        if "code" in payload:
            raise error_from_payload(event.status if event.status and event.status >= 400 else None, payload)
        return ()
    request_id = payload.get("request_id")
    usage = parse_native_usage(payload.get("usage"))  # cumulative per frame: the latest wins (Q6)
    search_info = search_info_of(output.get("search_info")) if "search_info" in output else None
    choices = output.get("choices")
    if choices is None:
        text = output.get("text")
        return (
            ChatDelta(
                text=text if isinstance(text, str) else "",
                finish_reason=finish_reason(output.get("finish_reason")),
                usage=usage,
                request_id=request_id,
                search_info=search_info,
            ),
        )
    if len(choices) == 1:
        return (_native_delta(choices[0], 0, usage, request_id, search_info),)
    return tuple(_native_delta(item, i, usage, request_id, search_info) for i, item in enumerate(choices))


def _native_delta(
    raw: Mapping[str, Any], position: int, usage: Usage | None, request_id: str | None, search_info: Any
) -> ChatDelta:
    # hot path (once per token): plain dict reads, ChatDelta built positionally (field order of types.py)
    message = raw.get("message") or {}
    content = message.get("content")
    calls = message.get("tool_calls")
    logprobs = raw.get("logprobs")
    index = raw.get("index")
    reason = raw.get("finish_reason")
    return ChatDelta(
        position if index is None else index,
        content if type(content) is str else content_text(content),
        message.get("reasoning_content") or "",
        tool_call_chunks(calls) if calls else (),
        None if reason is None or reason == "null" or reason == "" else reason,  # the string "null" (Q1)
        usage,
        request_id,
        None,  # the native body names no model
        logprobs_content(logprobs) if logprobs else None,
        search_info,
        message.get("role"),
    )


def parse_native_embedding(body: bytes | str) -> EmbeddingResult:
    payload = require_mapping(loads_body(body), "native embedding response")
    output = payload.get("output")
    if not isinstance(output, Mapping):
        if "code" in payload:
            raise error_from_payload(None, payload)
        raise ResponseParseError("native embedding response has no 'output' object")
    items = output.get("embeddings")
    if not isinstance(items, list):
        raise ResponseParseError("native embedding response has no 'output.embeddings' list")
    ordered = sorted(items, key=lambda item: int(item.get("text_index", 0)))  # order is not promised
    return EmbeddingResult(
        vectors=tuple(tuple(item["embedding"]) for item in ordered),
        total_tokens=usage_total(payload.get("usage")),
        request_id=payload.get("request_id"),
    )


def parse_native_rerank(body: bytes | str) -> RerankResult:
    payload = require_mapping(loads_body(body), "native rerank response")
    output = payload.get("output")
    if not isinstance(output, Mapping):
        if "code" in payload:
            raise error_from_payload(None, payload)
        raise ResponseParseError("native rerank response has no 'output' object")
    return RerankResult(
        hits=rerank_hits(output.get("results")),
        total_tokens=usage_total(payload.get("usage")),
        request_id=payload.get("request_id"),
    )


# --------------------------------------------------------------------------------------------- protocol


class NativeProtocol:
    """The native DashScope API as a :class:`~qwen_core.protocols.base.WireProtocol`."""

    name: Api = "dashscope"
    #: A native stream ends with the frame that carries a finish reason; there is no ``[DONE]`` (Q3).
    stream_requires_done: bool = False

    def build_chat(self, request: ChatRequest, settings: QwenSettings, info: ModelInfo, *, stream: bool) -> WireRequest:
        payload = build_native_chat_payload(request, info, stream=stream)
        return WireRequest(
            url=settings.native_base + native_chat_path(request, info),
            headers=base_headers(settings, stream=stream, native=True, extra=request.extra_headers),
            body=dumps_body(payload),
            stream=stream,
        )

    def parse_chat(self, body: bytes, *, status: int = 200, headers: Mapping[str, str] | None = None) -> ChatResult:
        return parse_native_chat(body, status=status, headers=headers)

    def parse_stream_event(self, event: SSEEvent) -> tuple[ChatDelta, ...]:
        return parse_native_stream_event(event)

    def parse_error(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> APIStatusError:
        return error_from_body(status, body, headers)

    def build_embedding(self, request: EmbeddingRequest, settings: QwenSettings) -> WireRequest:
        return WireRequest(
            url=settings.native_base + EMBEDDING_PATH,
            headers=base_headers(settings, stream=False, native=True),
            body=dumps_body(build_native_embedding_payload(request)),
        )

    def parse_embedding(self, body: bytes) -> EmbeddingResult:
        return parse_native_embedding(body)

    def build_rerank(self, request: RerankRequest, settings: QwenSettings) -> WireRequest:
        return WireRequest(
            url=settings.native_base + RERANK_PATH,
            headers=base_headers(settings, stream=False, native=True),
            body=dumps_body(build_native_rerank_payload(request)),
        )

    def parse_rerank(self, body: bytes) -> RerankResult:
        return parse_native_rerank(body)


__all__ = [
    "EMBEDDING_PATH",
    "MULTIMODAL_GENERATION_PATH",
    "RERANK_PATH",
    "TEXT_GENERATION_PATH",
    "NativeProtocol",
    "build_native_chat_payload",
    "build_native_embedding_payload",
    "build_native_rerank_payload",
    "content_text",
    "native_chat_path",
    "native_endpoint",
    "native_result_from_payload",
    "parse_native_chat",
    "parse_native_embedding",
    "parse_native_rerank",
    "parse_native_stream_event",
    "parse_native_usage",
    "parse_tool_calls",
    "search_info_of",
    "tool_call_chunks",
]
