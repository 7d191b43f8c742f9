"""Core results -> LlamaIndex responses: ``from_qwen_*`` and the helpers that read tool calls back from them.

Pure conversion: every function builds a new object from its inputs. The response objects are built through
:mod:`llama_index_qwen._fast`, which assembles them without re-validation where that is provably the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    ContentBlock,
    LogProb,
    ToolCallBlock,
)
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

from llama_index_qwen._fast import (
    assistant_message,
    chat_response,
    completion_response,
    text_block,
    thinking_block,
    tool_call_block,
)
from llama_index_qwen._messages import legacy_tool_calls
from qwen_core.types import ChatResult, ToolCall, Usage

__all__ = [
    "completion_from_chat",
    "from_qwen_logprobs",
    "from_qwen_result",
    "keep_first_tool_call",
    "response_message",
    "response_meta",
    "tool_kwargs",
    "tool_selections",
    "usage_kwargs",
    "wire_style_calls",
]


def tool_kwargs(arguments: str) -> dict[str, Any] | str:
    """Arguments as a dict when they are a complete JSON object, else the raw (possibly partial) string."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return arguments
    return value if isinstance(value, dict) else arguments


def wire_style_calls(calls: Sequence[ToolCall]) -> list[dict[str, Any]]:
    """The legacy ``additional_kwargs["tool_calls"]`` form (OpenAI-style dicts)."""
    return [
        {"id": call.id, "type": "function", "index": call.index,
         "function": {"name": call.name, "arguments": call.arguments}}
        for call in calls
    ]


def response_message(
    text: str, reasoning: str, calls: Sequence[ToolCall], reasoning_tokens: int | None,
    kwargs: Sequence[dict[str, Any] | str] | None = None,
) -> ChatMessage:
    """The assistant message; ``kwargs`` (fresh, one per call) are the calls' parsed arguments when known."""
    blocks: list[ContentBlock] = []
    if reasoning:
        blocks.append(thinking_block(reasoning, reasoning_tokens))
    blocks.append(text_block(text))
    extra: dict[str, Any] = {}
    if calls:
        if kwargs is None:
            kwargs = [tool_kwargs(call.arguments) for call in calls]
        blocks.extend(
            tool_call_block(call.id, call.name, parsed) for call, parsed in zip(calls, kwargs, strict=True)
        )
        extra["tool_calls"] = wire_style_calls(calls)
    if reasoning:
        extra["reasoning_content"] = reasoning
    return assistant_message(blocks, extra)


def usage_kwargs(usage: Usage | None) -> dict[str, int | None]:
    """Token counts under the names LlamaIndex's token counters read."""
    if usage is None:
        return {}
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "cached_tokens": usage.cached_tokens,
    }


def response_meta(
    request_id: str | None, model: str | None, finish_reason: str | None, usage: Usage | None,
    search_info: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``raw``, ``additional_kwargs``) of a response: ids, finish reason and usage."""
    raw: dict[str, Any] = {
        "request_id": request_id, "model": model, "finish_reason": finish_reason,
        "usage": dict(usage.raw) if usage is not None else None,
    }
    extra: dict[str, Any] = {"request_id": request_id, "model": model, "finish_reason": finish_reason}
    if search_info:
        raw["search_info"] = dict(search_info)
        extra["search_info"] = dict(search_info)
    extra.update(usage_kwargs(usage))
    return raw, extra


def from_qwen_result(result: ChatResult) -> ChatResponse:
    """A complete answer as a ``ChatResponse`` (thinking, text and tool-call blocks; usage and ids)."""
    usage = result.usage
    message = response_message(
        result.text, result.reasoning, result.tool_calls, usage.reasoning_tokens if usage is not None else None
    )
    raw, extra = response_meta(result.request_id, result.model, result.finish_reason, usage, result.search_info)
    if len(result.choices) > 1:  # n > 1: every choice, in order (the message is choice 0's)
        extra["choices"] = [response_message(c.text, c.reasoning, c.tool_calls, None) for c in result.choices]
    response = chat_response(message, raw, extra)
    if result.choices and result.choices[0].logprobs:
        response.logprobs = from_qwen_logprobs(result.choices[0].logprobs)
    return response


def from_qwen_logprobs(entries: Sequence[Mapping[str, Any]]) -> list[list[LogProb]]:
    """Per generated token, its alternatives (``top_logprobs``; the token itself when none were asked for)."""
    return [
        [_logprob(alt) for alt in entry.get("top_logprobs") or [entry] if isinstance(alt, Mapping)]
        for entry in entries
    ]


def _logprob(entry: Mapping[str, Any]) -> LogProb:
    return LogProb(token=str(entry.get("token", "")), logprob=float(entry.get("logprob") or 0.0),
                   bytes=list(entry.get("bytes") or []))


def completion_from_chat(response: ChatResponse) -> CompletionResponse:
    """The completion view of a chat response (keeps usage, ids and the streamed delta).

    The completion takes over the response's ``raw`` and ``additional_kwargs`` objects: every caller builds the
    chat response only to convert it and never hands it out, so nothing else holds them.
    """
    return completion_response(
        response.message.content or "", response.additional_kwargs, response.raw, response.delta
    )


def keep_first_tool_call(response: ChatResponse) -> ChatResponse:
    """Drop all but the first tool call (for callers that did not allow parallel calls)."""
    message = response.message
    blocks = [block for block in message.blocks if isinstance(block, ToolCallBlock)]
    legacy = message.additional_kwargs.get("tool_calls")
    if len(blocks) <= 1 and not (isinstance(legacy, list) and len(legacy) > 1):
        return response
    first = blocks[0] if blocks else None
    message.blocks = [b for b in message.blocks if not isinstance(b, ToolCallBlock) or b is first]
    if isinstance(legacy, list):
        message.additional_kwargs["tool_calls"] = legacy[:1]
    return response


# -- tool selections -------------------------------------------------------------------------------------------


def tool_selections(response: ChatResponse) -> list[ToolSelection]:
    """Tool calls of a (possibly partial, streamed) response; partial arguments parse as far as they go."""
    blocks = [block for block in response.message.blocks if isinstance(block, ToolCallBlock)]
    if blocks:
        return [
            ToolSelection(
                tool_id=block.tool_call_id or "",
                tool_name=block.tool_name,
                tool_kwargs=_parse_kwargs(block.tool_kwargs),
            )
            for block in blocks
        ]
    return [
        ToolSelection(tool_id=call.id, tool_name=call.name, tool_kwargs=_parse_kwargs(call.arguments))
        for call in legacy_tool_calls(response.message.additional_kwargs.get("tool_calls"))
    ]


def _parse_kwargs(value: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if not value.strip():
        return {}
    try:
        parsed = parse_partial_json(value)
    except (ValueError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
