"""The OpenAI-compatible protocol (``/compatible-mode/v1/...``): payload builders and response parsers.

Standard OpenAI Chat Completions bodies; Qwen-only options are top-level JSON keys (what the OpenAI SDK's
``extra_body`` produces). Everything here is pure; :class:`CompatibleProtocol` wires the module functions into
the :class:`~qwen_core.protocols.base.WireProtocol` interface. Quirks are cited by their anchor in the protocol
notes, ``docs/protocol.md`` (e.g. ``#q3``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from qwen_core.catalogue import ModelInfo
from qwen_core.errors import ResponseParseError
from qwen_core.protocols._errors import error_from_body, error_from_payload, request_id_from_chat_id
from qwen_core.protocols._fields import bad_field, count, join, opt_int, opt_obj, opt_str
from qwen_core.protocols._http import header
from qwen_core.protocols._json import loads_body, loads_event_data, require_mapping
from qwen_core.protocols._json_protocol import JsonProtocol
from qwen_core.protocols._parts import (
    check_error_payload,
    content_text,
    embedding_vectors,
    finish_reason,
    logprobs_content,
    message_choice,
    request_id_of,
    rerank_hits,
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

CHAT_PATH: Final = "/chat/completions"
EMBEDDINGS_PATH: Final = "/embeddings"
RERANKS_PATH: Final = "/reranks"
_DONE: Final = "[DONE]"


# --------------------------------------------------------------------------------------------- requests


def build_compatible_chat_payload(request: ChatRequest, info: ModelInfo, *, stream: bool) -> dict[str, Any]:
    """The compatible chat body; only set options are included, Qwen-only ones as top-level keys."""
    del info  # same body for every model: the service routes by model name
    payload: dict[str, Any] = {"model": request.model, "messages": [_compat_message(m) for m in request.messages]}
    put_options(request, payload)
    if stream:
        payload["stream"] = True  # compat switches streaming in the body, unlike native (docs/protocol.md#q2)
        if request.stream_usage:
            # otherwise the stream carries no usage (docs/protocol.md#q6)
            payload["stream_options"] = {"include_usage": True}
    return payload


def _compat_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": _compat_content(message.content)}
    if message.tool_calls:
        out["tool_calls"] = wire_tool_calls(message.tool_calls, with_index=False)
    if message.role == "tool":
        out["tool_call_id"] = message.tool_call_id or ""
    elif message.name:
        out["name"] = message.name  # OpenAI's participant name; the tool name travels via tool_call_id instead
    if message.partial:
        # Qwen prefix continuation; passes through on the assistant message (docs/protocol.md#q27)
        out["partial"] = True
    return out


def _compat_content(content: Content) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    if all(isinstance(part, TextPart) for part in content):
        # text-only models expect a string; several text parts become one
        return "\n".join(part.text for part in content if isinstance(part, TextPart))
    return [_compat_part(part) for part in content]


def _compat_part(part: ContentPart) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ImagePart):
        image: dict[str, Any] = {"url": part.url}
        if part.detail is not None:
            image["detail"] = part.detail
        return {"type": "image_url", "image_url": image}
    if isinstance(part, VideoPart):
        if isinstance(part.url, str):
            return {"type": "video_url", "video_url": {"url": part.url}}
        return {"type": "video", "video": list(part.url)}  # a video given as a list of frame images
    if isinstance(part, AudioPart):
        return {"type": "input_audio", "input_audio": {"data": part.url}}
    raise TypeError(f"unknown content part {part!r}")


def build_compatible_embedding_payload(request: EmbeddingRequest) -> dict[str, Any]:
    """``/embeddings`` body. ``text_type`` and ``instruct`` have no compatible field; use the native API for them."""
    payload: dict[str, Any] = {"model": request.model, "input": list(request.texts), "encoding_format": "float"}
    if request.dimensions is not None:
        payload["dimensions"] = request.dimensions  # plural here, singular natively (docs/protocol.md#q21)
    payload.update(request.extra)
    return payload


def build_compatible_rerank_payload(request: RerankRequest) -> dict[str, Any]:
    """Flat ``/compatible-api/v1/reranks`` body."""
    payload: dict[str, Any] = {"model": request.model, "query": request.query, "documents": list(request.documents)}
    payload.update(
        set_fields(top_n=request.top_n, return_documents=request.return_documents, instruct=request.instruct)
    )
    payload.update(request.extra)
    return payload


# --------------------------------------------------------------------------------------------- responses


def parse_compatible_usage(raw: Any, path: str = "usage") -> Usage | None:
    """OpenAI-style usage; ``*_details`` may be ``null`` or hold ``null`` fields."""
    fields = opt_obj(raw, path)
    if not fields:
        return None
    prompt = count(fields.get("prompt_tokens"), join(path, "prompt_tokens")) or 0
    completion = count(fields.get("completion_tokens"), join(path, "completion_tokens")) or 0
    total = count(fields.get("total_tokens"), join(path, "total_tokens"))
    prompt_details = opt_obj(fields.get("prompt_tokens_details"), join(path, "prompt_tokens_details")) or {}
    completion_details = (
        opt_obj(fields.get("completion_tokens_details"), join(path, "completion_tokens_details")) or {}
    )
    return Usage(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=prompt + completion if total is None else total,
        cached_tokens=count(prompt_details.get("cached_tokens"), join(path, "prompt_tokens_details.cached_tokens")),
        reasoning_tokens=count(
            completion_details.get("reasoning_tokens"), join(path, "completion_tokens_details.reasoning_tokens")
        ),
        image_tokens=count(prompt_details.get("image_tokens"), join(path, "prompt_tokens_details.image_tokens")),
        raw=fields,
    )


def chunk_request_id(payload: Mapping[str, Any]) -> str | None:
    """The request id of a compatible body: ``request_id``, else the ``chatcmpl-<uuid>`` id without its prefix."""
    request_id = payload.get("request_id")
    if type(request_id) is str and request_id:
        return request_id
    return request_id_of(request_id) or request_id_from_chat_id(opt_str(payload.get("id"), "id"))


def compatible_result_from_payload(payload: Any, headers: Mapping[str, str] | None = None) -> ChatResult:
    body = require_mapping(payload, "compatible chat response")
    if "error" in body:
        raise error_from_payload(None, body, headers)
    choices_raw = body.get("choices")
    if type(choices_raw) is not list:
        raise bad_field("choices", choices_raw, "an array (the compatible chat answer)")
    request_id = chunk_request_id(body) or header(headers, "x-request-id")
    return ChatResult(
        choices=tuple(message_choice(item, f"choices[{i}]", i, request_id) for i, item in enumerate(choices_raw)),
        usage=parse_compatible_usage(body.get("usage")),
        request_id=request_id,
        model=opt_str(body.get("model"), "model"),
    )


def parse_compatible_chat(
    body: bytes | str, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> ChatResult:
    """Parse a non-streamed compatible chat response; error answers raise their typed error."""
    if status >= 400:
        raise error_from_body(status, body, headers)
    return compatible_result_from_payload(loads_body(body), headers)


def parse_compatible_stream_event(event: SSEEvent) -> tuple[ChatDelta, ...]:
    """One compatible SSE event -> one delta per choice; ``[DONE]`` -> ``()``; an error chunk raises."""
    data = event.data
    if data == _DONE:
        return ()
    payload = loads_event_data(data)
    if type(payload) is not dict:
        raise ResponseParseError(f"stream event data is not a JSON object: {data[:200]!r}")
    if "error" in payload or event.event == "error":
        raise error_from_payload(event.status if event.status and event.status >= 400 else None, payload)
    request_id = chunk_request_id(payload)
    model = payload.get("model")
    if model is not None and type(model) is not str:
        raise bad_field("model", model, "a string")
    raw_usage = payload.get("usage")
    usage = parse_compatible_usage(raw_usage) if raw_usage is not None else None
    choices = payload.get("choices")
    if not choices:
        if choices is not None and type(choices) is not list:
            raise bad_field("choices", choices, "an array")
        # the include_usage chunk has "choices": [] (docs/protocol.md#q6)
        return (ChatDelta(usage=usage, request_id=request_id, model=model),) if usage is not None else ()
    if type(choices) is not list:
        raise bad_field("choices", choices, "an array")
    if len(choices) == 1:
        return (_compat_delta(choices[0], 0, usage, request_id, model),)
    return tuple(_compat_delta(item, i, usage, request_id, model) for i, item in enumerate(choices))


def _compat_delta(raw: Any, position: int, usage: Usage | None, request_id: str | None, model: str | None) -> ChatDelta:
    # hot path (once per token): plain dict reads with inline type checks, ChatDelta built positionally (field
    # order of types.py); anything unusual goes through the checked parsers, which name the offending path
    if type(raw) is not dict:
        raise bad_field(f"choices[{position}]", raw, "an object")
    delta = raw.get("delta")
    if type(delta) is not dict:
        delta = opt_obj(delta, f"choices[{position}].delta") or {}
    content = delta.get("content")
    reasoning = delta.get("reasoning_content")
    calls = delta.get("tool_calls")
    logprobs = raw.get("logprobs")
    index = raw.get("index")
    reason = raw.get("finish_reason")
    role = delta.get("role")
    path = f"choices[{position}]"
    if not (type(content) is str or content is None) or not (type(reasoning) is str or reasoning is None) or not (
        (type(index) is int or index is None) and (type(role) is str or role is None)
    ):
        content = content_text(content, path + ".delta.content")
        reasoning = opt_str(reasoning, path + ".delta.reasoning_content")
        index = opt_int(index, path + ".index")
        role = opt_str(role, path + ".delta.role")
    return ChatDelta(
        position if index is None else index,
        content or "",  # null while reasoning or calling tools
        reasoning or "",
        tool_call_chunks(calls, path + ".delta.tool_calls") if calls else (),
        None if reason is None or reason == "" else finish_reason(reason, path + ".finish_reason"),
        usage,
        request_id,
        model,
        logprobs_content(logprobs, path + ".logprobs") if logprobs else None,
        None,
        role,
    )


def parse_compatible_embedding(body: bytes | str) -> EmbeddingResult:
    payload = require_mapping(loads_body(body), "compatible embedding response")
    check_error_payload(payload)
    return EmbeddingResult(
        vectors=embedding_vectors(payload.get("data"), "data", "index"),
        total_tokens=usage_total(payload.get("usage")),
        request_id=chunk_request_id(payload),
    )


def parse_compatible_rerank(body: bytes | str) -> RerankResult:
    """Compatible rerank answer: ``results`` at the top level or under ``output`` (envelope unconfirmed)."""
    payload = require_mapping(loads_body(body), "compatible rerank response")
    check_error_payload(payload)
    results, path = payload.get("results"), "results"
    output = payload.get("output")
    if results is None and type(output) is dict:
        results, path = output.get("results"), "output.results"
    return RerankResult(
        hits=rerank_hits(results, path),
        total_tokens=usage_total(payload.get("usage")),
        request_id=chunk_request_id(payload),
    )


# --------------------------------------------------------------------------------------------- protocol


class CompatibleProtocol(JsonProtocol):
    """The OpenAI-compatible endpoint as a :class:`~qwen_core.protocols.base.WireProtocol`."""

    name: Api = "compatible"
    #: A compatible stream ends with ``data: [DONE]`` after the finish reason (and the ``include_usage`` chunk).
    stream_requires_done: bool = True
    native = False
    chat_payload = staticmethod(build_compatible_chat_payload)
    embedding_payload = staticmethod(build_compatible_embedding_payload)
    rerank_payload = staticmethod(build_compatible_rerank_payload)
    parse_chat = staticmethod(parse_compatible_chat)
    parse_stream_event = staticmethod(parse_compatible_stream_event)
    parse_embedding = staticmethod(parse_compatible_embedding)
    parse_rerank = staticmethod(parse_compatible_rerank)

    def chat_url(self, request: ChatRequest, settings: QwenSettings, info: ModelInfo) -> str:
        return settings.compatible_base + CHAT_PATH

    def embedding_url(self, settings: QwenSettings) -> str:
        return settings.compatible_base + EMBEDDINGS_PATH

    def rerank_url(self, settings: QwenSettings) -> str:
        return settings.compatible_api_base + RERANKS_PATH  # compatible-api, not compatible-mode


__all__ = [
    "CHAT_PATH",
    "EMBEDDINGS_PATH",
    "RERANKS_PATH",
    "CompatibleProtocol",
    "build_compatible_chat_payload",
    "build_compatible_embedding_payload",
    "build_compatible_rerank_payload",
    "chunk_request_id",
    "compatible_result_from_payload",
    "parse_compatible_chat",
    "parse_compatible_embedding",
    "parse_compatible_rerank",
    "parse_compatible_stream_event",
    "parse_compatible_usage",
]
