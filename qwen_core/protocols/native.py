"""The native DashScope protocol (``/api/v1/services/...``): payload builders and response parsers.

Everything here is pure. :class:`NativeProtocol` wires the module functions into the
:class:`~qwen_core.protocols.base.WireProtocol` interface; the functions are public so tests, the emulator
and benchmarks can use them directly. Quirks are cited by their anchor in the protocol notes, ``docs/protocol.md``
(e.g. ``#q3``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from qwen_core.catalogue import ModelInfo, NativeEndpoint
from qwen_core.errors import ResponseParseError
from qwen_core.messages import has_media, text_of, tool_names_by_id
from qwen_core.protocols._errors import error_from_body, error_from_payload
from qwen_core.protocols._fields import bad_field, count, join, opt_int, opt_list, opt_obj, opt_str
from qwen_core.protocols._http import header
from qwen_core.protocols._json import loads_body, loads_event_data, require_mapping
from qwen_core.protocols._json_protocol import JsonProtocol
from qwen_core.protocols._parts import (
    content_text,
    embedding_vectors,
    finish_reason,
    logprobs_content,
    message_choice,
    parse_tool_calls,
    request_id_of,
    rerank_hits,
    search_info_of,
    tool_call_chunks,
    usage_total,
)
from qwen_core.protocols._request_fields import put_options, set_fields, wire_tool_calls
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
    Usage,
    VideoPart,
)

TEXT_GENERATION_PATH: Final = "/services/aigc/text-generation/generation"
MULTIMODAL_GENERATION_PATH: Final = "/services/aigc/multimodal-generation/generation"
EMBEDDING_PATH: Final = "/services/embeddings/text-embedding/text-embedding"
RERANK_PATH: Final = "/services/rerank/text-rerank/text-rerank"


# --------------------------------------------------------------------------------------------- requests


def native_endpoint(request: ChatRequest, info: ModelInfo) -> NativeEndpoint:
    """The endpoint a chat request goes to: the model's own, or multimodal when it carries media
    (docs/protocol.md#q12)."""
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
    # "message" is not the default for older models (docs/protocol.md#q19); tools and thinking require it.
    parameters: dict[str, Any] = {"result_format": "message"}
    put_options(request, parameters)
    if stream:
        # Fragments, not cumulative snapshots: the parser and accumulator rely on it (thinking requires it,
        # docs/protocol.md#q10).
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
        out["partial"] = True  # prefix continuation: the reply holds only the continuation (docs/protocol.md#q27)
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
    parameters = set_fields(
        text_type=request.text_type,
        dimension=request.dimensions,  # singular on the native API, plural in compat (docs/protocol.md#q21)
        instruct=request.instruct,
    )
    parameters.update(request.extra)
    return {"model": request.model, "input": {"texts": list(request.texts)}, "parameters": parameters}


def build_native_rerank_payload(request: RerankRequest) -> dict[str, Any]:
    parameters = set_fields(top_n=request.top_n, return_documents=request.return_documents, instruct=request.instruct)
    parameters.update(request.extra)
    return {
        "model": request.model,
        "input": {"query": request.query, "documents": list(request.documents)},
        "parameters": parameters,
    }


# --------------------------------------------------------------------------------------------- responses


def parse_native_usage(raw: Any, path: str = "usage") -> Usage | None:
    """Native usage; ``{}`` (search streams start with it, docs/protocol.md#q18) and absent usage give ``None``.

    Runs once per streamed frame: the common shape (integer counts, detail objects or none) is read directly;
    anything else goes through the checked path, which names the offending field.
    """
    if raw is None:
        return None
    if type(raw) is not dict:
        raise bad_field(path, raw, "an object")
    if not raw:
        return None
    get = raw.get
    input_tokens = get("input_tokens", 0)
    output_tokens = get("output_tokens", 0)
    total = get("total_tokens")
    prompt_details = get("prompt_tokens_details")
    output_details = get("output_tokens_details")
    input_details = get("input_tokens_details")
    if not (type(input_tokens) is int and type(output_tokens) is int and (total is None or type(total) is int)
            and (prompt_details is None or type(prompt_details) is dict)
            and (output_details is None or type(output_details) is dict)
            and (input_details is None or type(input_details) is dict)):
        return _checked_native_usage(raw, path)
    image_tokens = get("image_tokens")
    if image_tokens is None and input_details:
        image_tokens = input_details.get("image_tokens")
    cached = prompt_details.get("cached_tokens") if prompt_details else None
    reasoning = output_details.get("reasoning_tokens") if output_details else None
    if not (_is_count(image_tokens) and _is_count(cached) and _is_count(reasoning)) or input_tokens < 0 or (
        output_tokens < 0
    ):
        return _checked_native_usage(raw, path)
    total = input_tokens + output_tokens if total is None else total  # missing on multimodal (docs/protocol.md#q18)
    return Usage(input_tokens, output_tokens, total, cached, reasoning, image_tokens, raw)


def _is_count(value: Any) -> bool:
    return value is None or type(value) is int


def _checked_native_usage(raw: dict[str, Any], path: str) -> Usage:
    """The slow path of :func:`parse_native_usage`: every field checked, errors name their path."""
    input_tokens = count(raw.get("input_tokens"), join(path, "input_tokens")) or 0
    output_tokens = count(raw.get("output_tokens"), join(path, "output_tokens")) or 0
    total = count(raw.get("total_tokens"), join(path, "total_tokens"))
    prompt_details = opt_obj(raw.get("prompt_tokens_details"), join(path, "prompt_tokens_details")) or {}
    output_details = opt_obj(raw.get("output_tokens_details"), join(path, "output_tokens_details")) or {}
    input_details = opt_obj(raw.get("input_tokens_details"), join(path, "input_tokens_details")) or {}
    image_tokens = count(raw.get("image_tokens"), join(path, "image_tokens"))
    if image_tokens is None:
        image_tokens = count(input_details.get("image_tokens"), join(path, "input_tokens_details.image_tokens"))
    return Usage(
        input_tokens,
        output_tokens,
        input_tokens + output_tokens if total is None else total,
        count(prompt_details.get("cached_tokens"), join(path, "prompt_tokens_details.cached_tokens")),
        count(output_details.get("reasoning_tokens"), join(path, "output_tokens_details.reasoning_tokens")),
        image_tokens,
        raw,
    )


def _native_output(body: dict[str, Any], headers: Mapping[str, str] | None, what: str) -> dict[str, Any]:
    """``output`` of a native answer; an error body raises its typed error."""
    output = body.get("output")
    if type(output) is not dict:
        if "code" in body:
            raise error_from_payload(None, body, headers)
        raise bad_field("output", output, f"an object (the {what})")
    return output


def native_result_from_payload(payload: Any, headers: Mapping[str, str] | None = None) -> ChatResult:
    """A :class:`ChatResult` from a decoded native body, in message or text format (docs/protocol.md#q14)."""
    body = require_mapping(payload, "native chat response")
    output = _native_output(body, headers, "chat answer")
    request_id = request_id_of(body.get("request_id")) or header(headers, "x-request-id")
    choices_raw = opt_list(output.get("choices"), "output.choices")
    if choices_raw:
        choices = tuple(
            message_choice(item, f"output.choices[{i}]", i, request_id) for i, item in enumerate(choices_raw)
        )
    elif "text" in output:
        text = opt_str(output.get("text"), "output.text") or ""  # result_format "text" (older models' default)
        choices = (Choice(text=text, finish_reason=finish_reason(output.get("finish_reason"), "output.finish_reason")),)
    else:
        raise ResponseParseError("native chat response has neither 'output.choices' nor 'output.text'")
    return ChatResult(
        choices=choices,
        usage=parse_native_usage(body.get("usage")),
        request_id=request_id,
        model=opt_str(output.get("model_name"), "output.model_name"),  # the body names no model; the client fills it
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
        # errors arrive as HTTP 200 + event:error; the real status is in the :HTTP_STATUS comment (docs/protocol.md#q5)
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
    if type(output) is not dict:
        raise bad_field("output", output, "an object")
    request_id = payload.get("request_id")
    if request_id is not None and type(request_id) is not str:
        raise bad_field("request_id", request_id, "a string")
    usage = parse_native_usage(payload.get("usage"))  # cumulative per frame: the latest wins (docs/protocol.md#q6)
    search_info = search_info_of(output.get("search_info")) if "search_info" in output else None
    choices = output.get("choices")
    if choices is None:
        return (_native_text_delta(output, usage, request_id or None, search_info),)
    if type(choices) is not list:
        raise bad_field("output.choices", choices, "an array")
    if len(choices) == 1:
        return (_native_delta(choices[0], 0, usage, request_id or None, search_info),)
    return tuple(_native_delta(item, i, usage, request_id or None, search_info) for i, item in enumerate(choices))


def _native_text_delta(
    output: dict[str, Any], usage: Usage | None, request_id: str | None, search_info: Any
) -> ChatDelta:
    """The delta of a ``result_format: "text"`` frame (``output.text``)."""
    return ChatDelta(
        text=opt_str(output.get("text"), "output.text") or "",
        finish_reason=finish_reason(output.get("finish_reason"), "output.finish_reason"),
        usage=usage,
        request_id=request_id,
        search_info=search_info,
    )


def _native_delta(raw: Any, position: int, usage: Usage | None, request_id: str | None, search_info: Any) -> ChatDelta:
    # hot path (once per token): plain dict reads with inline type checks, ChatDelta built positionally (field
    # order of types.py); anything unusual goes through the checked parsers, which name the offending path
    if type(raw) is not dict:
        raise bad_field(f"output.choices[{position}]", raw, "an object")
    message = raw.get("message")
    if type(message) is not dict:
        message = opt_obj(message, f"output.choices[{position}].message") or {}
    content = message.get("content")
    reasoning = message.get("reasoning_content")
    calls = message.get("tool_calls")
    logprobs = raw.get("logprobs")
    index = raw.get("index")
    reason = raw.get("finish_reason")
    role = message.get("role")
    if not (type(reasoning) is str or reasoning is None) or not (type(index) is int or index is None) or not (
        type(role) is str or role is None
    ):
        return _checked_native_delta(raw, message, position, usage, request_id, search_info)
    path = f"output.choices[{position}]"
    return ChatDelta(
        position if index is None else index,
        content if type(content) is str else content_text(content, path + ".message.content"),
        reasoning or "",
        tool_call_chunks(calls, path + ".message.tool_calls") if calls else (),
        None if reason is None or reason == "null" or reason == "" else finish_reason(reason, path + ".finish_reason"),
        usage,
        request_id,
        None,  # the native body names no model
        logprobs_content(logprobs, path + ".logprobs") if logprobs else None,
        search_info,
        role,
    )


def _checked_native_delta(
    raw: dict[str, Any], message: dict[str, Any], position: int, usage: Usage | None, request_id: str | None,
    search_info: Any,
) -> ChatDelta:
    path = f"output.choices[{position}]"
    index = opt_int(raw.get("index"), path + ".index")
    return ChatDelta(
        position if index is None else index,
        content_text(message.get("content"), path + ".message.content"),
        opt_str(message.get("reasoning_content"), path + ".message.reasoning_content") or "",
        tool_call_chunks(message.get("tool_calls"), path + ".message.tool_calls"),
        finish_reason(raw.get("finish_reason"), path + ".finish_reason"),
        usage,
        request_id,
        None,
        logprobs_content(raw.get("logprobs"), path + ".logprobs"),
        search_info,
        opt_str(message.get("role"), path + ".message.role"),
    )


def parse_native_embedding(body: bytes | str) -> EmbeddingResult:
    payload = require_mapping(loads_body(body), "native embedding response")
    output = _native_output(payload, None, "embedding answer")
    return EmbeddingResult(
        vectors=embedding_vectors(output.get("embeddings"), "output.embeddings", "text_index"),
        total_tokens=usage_total(payload.get("usage")),
        request_id=request_id_of(payload.get("request_id")),
    )


def parse_native_rerank(body: bytes | str) -> RerankResult:
    payload = require_mapping(loads_body(body), "native rerank response")
    output = _native_output(payload, None, "rerank answer")
    return RerankResult(
        hits=rerank_hits(output.get("results"), "output.results"),
        total_tokens=usage_total(payload.get("usage")),
        request_id=request_id_of(payload.get("request_id")),
    )


# --------------------------------------------------------------------------------------------- protocol


class NativeProtocol(JsonProtocol):
    """The native DashScope API as a :class:`~qwen_core.protocols.base.WireProtocol`."""

    name: Api = "dashscope"
    #: A native stream ends with the frame that carries a finish reason; there is no ``[DONE]`` (docs/protocol.md#q3).
    stream_requires_done: bool = False
    native = True
    chat_payload = staticmethod(build_native_chat_payload)
    embedding_payload = staticmethod(build_native_embedding_payload)
    rerank_payload = staticmethod(build_native_rerank_payload)
    parse_chat = staticmethod(parse_native_chat)
    parse_stream_event = staticmethod(parse_native_stream_event)
    parse_embedding = staticmethod(parse_native_embedding)
    parse_rerank = staticmethod(parse_native_rerank)

    def chat_url(self, request: ChatRequest, settings: QwenSettings, info: ModelInfo) -> str:
        return settings.native_base + native_chat_path(request, info)  # text or multimodal (docs/protocol.md#q12)

    def embedding_url(self, settings: QwenSettings) -> str:
        return settings.native_base + EMBEDDING_PATH

    def rerank_url(self, settings: QwenSettings) -> str:
        return settings.native_base + RERANK_PATH


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
