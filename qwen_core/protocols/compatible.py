"""The OpenAI-compatible protocol (``/compatible-mode/v1/...``): payload builders and response parsers.

Standard OpenAI Chat Completions bodies; Qwen-only options are top-level JSON keys (what the OpenAI SDK's
``extra_body`` produces). Everything here is pure; :class:`CompatibleProtocol` wires the module functions into
the :class:`~qwen_core.protocols.base.WireProtocol` interface. Quirk numbers refer to the protocol notes, §8.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from qwen_core.catalogue import ModelInfo
from qwen_core.errors import APIStatusError, ResponseParseError
from qwen_core.protocols._common import (
    base_headers,
    dumps_body,
    finish_reason,
    header,
    int_or_none,
    loads_body,
    loads_event_data,
    logprobs_content,
    put_options,
    require_mapping,
    rerank_hits,
    usage_total,
    wire_tool_calls,
)
from qwen_core.protocols._errors import error_from_body, error_from_payload, request_id_from_chat_id
from qwen_core.protocols.base import WireRequest
from qwen_core.protocols.native import parse_tool_calls, tool_call_chunks
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
        payload["stream"] = True  # compat switches streaming in the body, unlike native (Q2)
        if request.stream_usage:
            payload["stream_options"] = {"include_usage": True}  # otherwise the stream carries no usage (Q6)
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
        out["partial"] = True  # Qwen prefix continuation; passes through on the assistant message (Q27)
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
        payload["dimensions"] = request.dimensions  # plural here, singular natively (Q21)
    payload.update(request.extra)
    return payload


def build_compatible_rerank_payload(request: RerankRequest) -> dict[str, Any]:
    """Flat ``/compatible-api/v1/reranks`` body."""
    payload: dict[str, Any] = {"model": request.model, "query": request.query, "documents": list(request.documents)}
    if request.top_n is not None:
        payload["top_n"] = request.top_n
    if request.return_documents is not None:
        payload["return_documents"] = request.return_documents
    if request.instruct is not None:
        payload["instruct"] = request.instruct
    payload.update(request.extra)
    return payload


# --------------------------------------------------------------------------------------------- responses


def parse_compatible_usage(raw: Any) -> Usage | None:
    """OpenAI-style usage; ``*_details`` may be ``null`` or hold ``null`` fields."""
    if not raw or not isinstance(raw, Mapping):
        return None
    prompt = int_or_none(raw.get("prompt_tokens")) or 0
    completion = int_or_none(raw.get("completion_tokens")) or 0
    total = int_or_none(raw.get("total_tokens"))
    prompt_details = raw.get("prompt_tokens_details")
    completion_details = raw.get("completion_tokens_details")
    return Usage(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=prompt + completion if total is None else total,
        cached_tokens=int_or_none(prompt_details.get("cached_tokens")) if prompt_details else None,
        reasoning_tokens=int_or_none(completion_details.get("reasoning_tokens")) if completion_details else None,
        image_tokens=int_or_none(prompt_details.get("image_tokens")) if prompt_details else None,
        raw=raw,
    )


def chunk_request_id(payload: Mapping[str, Any]) -> str | None:
    """The request id of a compatible body: ``request_id``, else the ``chatcmpl-<uuid>`` id without its prefix."""
    request_id = payload.get("request_id")
    if request_id:
        return str(request_id)
    return request_id_from_chat_id(payload.get("id"))


def _compat_choice(raw: Mapping[str, Any], position: int, request_id: str | None) -> Choice:
    message = raw.get("message") or {}
    index = int_or_none(raw.get("index"))
    index = position if index is None else index
    content = message.get("content")
    return Choice(
        index=index,
        text=content if isinstance(content, str) else "",
        reasoning=message.get("reasoning_content") or "",
        tool_calls=parse_tool_calls(message.get("tool_calls"), request_id, index),  # not by finish_reason (Q9)
        finish_reason=finish_reason(raw.get("finish_reason")),
        logprobs=logprobs_content(raw.get("logprobs")),
    )


def compatible_result_from_payload(payload: Any, headers: Mapping[str, str] | None = None) -> ChatResult:
    body = require_mapping(payload, "compatible chat response")
    if "error" in body:
        raise error_from_payload(None, body, headers)
    choices_raw = body.get("choices")
    if not isinstance(choices_raw, list):
        raise ResponseParseError("compatible chat response has no 'choices' list")
    request_id = chunk_request_id(body) or header(headers, "x-request-id")
    model = body.get("model")
    return ChatResult(
        choices=tuple(_compat_choice(item, i, request_id) for i, item in enumerate(choices_raw)),
        usage=parse_compatible_usage(body.get("usage")),
        request_id=request_id,
        model=model if isinstance(model, str) else None,
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
    raw_usage = payload.get("usage")
    usage = parse_compatible_usage(raw_usage) if raw_usage else None
    choices = payload.get("choices")
    if not choices:
        # the include_usage chunk has "choices": [] (Q6)
        return (ChatDelta(usage=usage, request_id=request_id, model=model),) if usage is not None else ()
    if len(choices) == 1:
        return (_compat_delta(choices[0], 0, usage, request_id, model),)
    return tuple(_compat_delta(item, i, usage, request_id, model) for i, item in enumerate(choices))


def _compat_delta(
    raw: Mapping[str, Any], position: int, usage: Usage | None, request_id: str | None, model: Any
) -> ChatDelta:
    # hot path (once per token): plain dict reads, ChatDelta built positionally (field order of types.py)
    delta = raw.get("delta") or {}
    content = delta.get("content")
    calls = delta.get("tool_calls")
    logprobs = raw.get("logprobs")
    index = raw.get("index")
    reason = raw.get("finish_reason")
    return ChatDelta(
        position if index is None else index,
        content if type(content) is str else "",  # null while reasoning or calling tools
        delta.get("reasoning_content") or "",
        tool_call_chunks(calls) if calls else (),
        None if reason is None or reason == "" else reason,  # JSON null while generating
        usage,
        request_id,
        model,
        logprobs_content(logprobs) if logprobs else None,
        None,
        delta.get("role"),
    )


def _check_error_body(payload: Mapping[str, Any]) -> None:
    if "error" in payload or ("code" in payload and "message" in payload):
        raise error_from_payload(None, payload)


def parse_compatible_embedding(body: bytes | str) -> EmbeddingResult:
    payload = require_mapping(loads_body(body), "compatible embedding response")
    _check_error_body(payload)
    items = payload.get("data")
    if not isinstance(items, list):
        raise ResponseParseError("compatible embedding response has no 'data' list")
    ordered = sorted(items, key=lambda item: int(item.get("index", 0)))
    return EmbeddingResult(
        vectors=tuple(tuple(item["embedding"]) for item in ordered),
        total_tokens=usage_total(payload.get("usage")),
        request_id=chunk_request_id(payload),
    )


def parse_compatible_rerank(body: bytes | str) -> RerankResult:
    """Compatible rerank answer: ``results`` at the top level or under ``output`` (envelope unconfirmed)."""
    payload = require_mapping(loads_body(body), "compatible rerank response")
    _check_error_body(payload)
    results = payload.get("results")
    output = payload.get("output")
    if results is None and isinstance(output, Mapping):
        results = output.get("results")
    return RerankResult(
        hits=rerank_hits(results),
        total_tokens=usage_total(payload.get("usage")),
        request_id=chunk_request_id(payload),
    )


# --------------------------------------------------------------------------------------------- protocol


class CompatibleProtocol:
    """The OpenAI-compatible endpoint as a :class:`~qwen_core.protocols.base.WireProtocol`."""

    name: Api = "compatible"
    #: A compatible stream ends with ``data: [DONE]`` after the finish reason (and the ``include_usage`` chunk).
    stream_requires_done: bool = True

    def build_chat(self, request: ChatRequest, settings: QwenSettings, info: ModelInfo, *, stream: bool) -> WireRequest:
        return WireRequest(
            url=settings.compatible_base + CHAT_PATH,
            headers=base_headers(settings, stream=stream, native=False, extra=request.extra_headers),
            body=dumps_body(build_compatible_chat_payload(request, info, stream=stream)),
            stream=stream,
        )

    def parse_chat(self, body: bytes, *, status: int = 200, headers: Mapping[str, str] | None = None) -> ChatResult:
        return parse_compatible_chat(body, status=status, headers=headers)

    def parse_stream_event(self, event: SSEEvent) -> tuple[ChatDelta, ...]:
        return parse_compatible_stream_event(event)

    def parse_error(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> APIStatusError:
        return error_from_body(status, body, headers)

    def build_embedding(self, request: EmbeddingRequest, settings: QwenSettings) -> WireRequest:
        return WireRequest(
            url=settings.compatible_base + EMBEDDINGS_PATH,
            headers=base_headers(settings, stream=False, native=False),
            body=dumps_body(build_compatible_embedding_payload(request)),
        )

    def parse_embedding(self, body: bytes) -> EmbeddingResult:
        return parse_compatible_embedding(body)

    def build_rerank(self, request: RerankRequest, settings: QwenSettings) -> WireRequest:
        return WireRequest(
            url=settings.compatible_api_base + RERANKS_PATH,  # compatible-api, not compatible-mode
            headers=base_headers(settings, stream=False, native=False),
            body=dumps_body(build_compatible_rerank_payload(request)),
        )

    def parse_rerank(self, body: bytes) -> RerankResult:
        return parse_compatible_rerank(body)


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
