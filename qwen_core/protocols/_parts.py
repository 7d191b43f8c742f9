"""Parsers for the pieces both protocols' answers share: content, finish reasons, tool calls and their stream
fragments, logprobs, search info, embedding vectors, rerank hits and token totals.

Every function returns a value of the documented type or raises :class:`~qwen_core.errors.ResponseParseError`
with the JSON path of the offending field (``path`` is where the piece sits in the answer).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from qwen_core.messages import UNFINISHED, synthesize_tool_call_id
from qwen_core.protocols._errors import error_from_payload
from qwen_core.protocols._fields import bad_field, count, join, number, obj, opt_int, opt_list, opt_obj, opt_str
from qwen_core.types import Choice, RerankHit, ToolCall, ToolCallChunk


def content_text(content: Any, path: str = "content") -> str:
    """Message content as text: a string, or a multimodal list ``[{"text": ...}]`` (possibly ``[]``,
    docs/protocol.md#q11)."""
    if type(content) is str:
        return content
    if content is None:
        return ""
    if type(content) is not list:
        raise bad_field(path, content, "a string or an array of content items")
    parts = []
    for position, item in enumerate(content):
        text = obj(item, join(path, position)).get("text")  # other items (image, audio) carry no text
        if text is not None:
            parts.append(text if type(text) is str else _bad_text(join(join(path, position), "text"), text))
    return "".join(parts)


def _bad_text(path: str, value: Any) -> str:
    raise bad_field(path, value, "a string")


def finish_reason(value: Any, path: str = "finish_reason") -> str | None:
    """A wire finish_reason: ``None``, ``""`` and the string ``"null"`` mean not finished (docs/protocol.md#q1)."""
    if value is None or (type(value) is str and value in UNFINISHED):
        return None
    if type(value) is str:
        return value
    raise bad_field(path, value, "a string or null")


def message_choice(raw: Any, path: str, position: int, request_id: str | None) -> Choice:
    """One choice of a non-streamed answer: ``{"index", "message", "finish_reason", "logprobs"}`` (both protocols)."""
    fields = obj(raw, path)
    message_path = join(path, "message")
    message = opt_obj(fields.get("message"), message_path) or {}
    index = opt_int(fields.get("index"), join(path, "index"))
    index = position if index is None else index
    return Choice(
        index=index,
        text=content_text(message.get("content"), join(message_path, "content")),
        reasoning=opt_str(message.get("reasoning_content"), join(message_path, "reasoning_content")) or "",
        # tool-call-ness is the presence of tool_calls, never finish_reason ("stop" when forced, docs/protocol.md#q9)
        tool_calls=parse_tool_calls(message.get("tool_calls"), request_id, index, join(message_path, "tool_calls")),
        finish_reason=finish_reason(fields.get("finish_reason"), join(path, "finish_reason")),
        logprobs=logprobs_content(fields.get("logprobs"), join(path, "logprobs")),
    )


def tool_arguments(value: Any) -> str:
    """Raw JSON arguments; an object (seen from some gateways) is re-encoded, a missing value is ``""``."""
    if type(value) is str:
        return value
    return "" if value is None else json.dumps(value, ensure_ascii=False)


def _tool_fields(item: Any, path: str) -> tuple[int | None, str | None, str | None, str]:
    """``(index, id, name, arguments)`` of one wire tool call or fragment."""
    fields = obj(item, path)
    function = opt_obj(fields.get("function"), join(path, "function")) or {}  # continuation: {} or absent
    return (
        opt_int(fields.get("index"), join(path, "index")),
        opt_str(fields.get("id"), join(path, "id")),
        opt_str(function.get("name"), join(path, "function.name")),
        tool_arguments(function.get("arguments")),
    )


def parse_tool_calls(
    raw: Any, request_id: str | None, choice_index: int = 0, path: str = "tool_calls"
) -> tuple[ToolCall, ...]:
    """Complete tool calls of a non-streamed message; empty ids are synthesized (docs/protocol.md#q8)."""
    items = opt_list(raw, path)
    if not items:
        return ()
    calls = []
    for position, item in enumerate(items):
        index, call_id, name, arguments = _tool_fields(item, join(path, position))
        index = position if index is None else index
        calls.append(
            ToolCall(
                id=call_id or synthesize_tool_call_id(request_id, index, choice_index),
                name=name or "",
                arguments=arguments,
                index=index,
            )
        )
    return tuple(calls)


def tool_call_chunks(raw: Any, path: str = "tool_calls") -> tuple[ToolCallChunk, ...]:
    """Streamed tool-call fragments keyed by ``index``; continuation fragments have ``"id": ""``
    (docs/protocol.md#q8)."""
    items = opt_list(raw, path) or ()
    chunks = []
    for position, item in enumerate(items):
        index, call_id, name, arguments = _tool_fields(item, join(path, position))
        chunks.append(ToolCallChunk(position if index is None else index, call_id or None, name or None, arguments))
    return tuple(chunks)


def logprobs_content(value: Any, path: str = "logprobs") -> list[Any] | None:
    """``choices[i].logprobs.content`` (beside ``message``, not inside it): a list of objects, or ``None``."""
    logprobs = opt_obj(value, path)
    if logprobs is None:
        return None
    content = opt_list(logprobs.get("content"), join(path, "content"))
    if content is not None:
        for position, item in enumerate(content):
            obj(item, join(join(path, "content"), position))
    return content


def search_info_of(raw: Any, path: str = "output.search_info") -> Mapping[str, Any] | None:
    """``output.search_info`` when it holds anything (later stream frames carry empty lists)."""
    info = opt_obj(raw, path)
    return info if info and any(info.values()) else None


def vector(raw: Any, path: str) -> tuple[float, ...]:
    """One embedding: a non-empty array of finite numbers, as floats."""
    values = opt_list(raw, path)
    if not values:
        raise bad_field(path, raw, "a non-empty array of numbers")
    if all(type(value) is float for value in values) and math.isfinite(sum(values)):
        return tuple(values)
    return tuple(number(value, join(path, position)) for position, value in enumerate(values))


def embedding_vectors(items: Any, path: str, index_key: str) -> tuple[tuple[float, ...], ...]:
    """Vectors of a list of embedding items, in the order of their ``index_key`` (the service promises none)."""
    rows = opt_list(items, path)
    if rows is None:
        raise bad_field(path, items, "an array of embeddings")
    keyed = []
    for position, item in enumerate(rows):
        item_path = join(path, position)
        fields = obj(item, item_path)
        index = opt_int(fields.get(index_key), join(item_path, index_key))
        values = vector(fields.get("embedding"), join(item_path, "embedding"))
        keyed.append((position if index is None else index, values))
    keyed.sort(key=lambda pair: pair[0])
    return tuple(values for _, values in keyed)


def rerank_hits(results: Any, path: str = "results") -> tuple[RerankHit, ...]:
    """Rerank results of either protocol, sorted by descending relevance score."""
    if type(results) is not list:
        raise bad_field(path, results, "an array of results")
    hits = []
    for position, item in enumerate(results):
        item_path = join(path, position)
        fields = obj(item, item_path)
        index = count(fields.get("index"), join(item_path, "index"))
        if index is None:
            raise bad_field(join(item_path, "index"), None, "a non-negative integer")
        document = fields.get("document")
        if type(document) is dict:
            document = opt_str(document.get("text"), join(item_path, "document.text"))
        hits.append(
            RerankHit(
                index=index,
                relevance_score=number(fields.get("relevance_score"), join(item_path, "relevance_score")),
                document=opt_str(document, join(item_path, "document")),
            )
        )
    hits.sort(key=lambda hit: hit.relevance_score, reverse=True)
    return tuple(hits)


def usage_total(usage: Any, path: str = "usage") -> int:
    """Total tokens of an embedding or rerank answer (``total_tokens``, else the input count, else 0)."""
    fields = opt_obj(usage, path)
    if not fields:
        return 0
    for key in ("total_tokens", "input_tokens", "prompt_tokens"):
        value = count(fields.get(key), join(path, key))
        if value is not None:
            return value
    return 0


def request_id_of(value: Any, path: str = "request_id") -> str | None:
    """A ``request_id`` field: a string (``""`` means none), or absent."""
    return opt_str(value, path) or None


def check_error_payload(payload: Mapping[str, Any]) -> None:
    """Raise the typed error an error body describes (``{"error": ...}`` or ``{"code", "message"}``)."""
    if "error" in payload or ("code" in payload and "message" in payload):
        raise error_from_payload(None, payload)


__all__ = [
    "check_error_payload",
    "content_text",
    "embedding_vectors",
    "finish_reason",
    "logprobs_content",
    "parse_tool_calls",
    "request_id_of",
    "rerank_hits",
    "search_info_of",
    "tool_arguments",
    "tool_call_chunks",
    "usage_total",
    "vector",
]
