"""The request fields both protocols write the same way: options, stop, tools, tool choice, response format and
an assistant message's tool calls (native puts them under ``parameters``, compatible at the top level)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from qwen_core.types import ChatRequest, NamedToolChoice, ResponseFormat, Stop, ToolCall, ToolSpec


def wire_tool_calls(calls: Sequence[ToolCall], *, with_index: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for position, call in enumerate(calls):
        item: dict[str, Any] = {
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments},
        }
        if with_index:
            item["index"] = position
        out.append(item)
    return out


def wire_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in tools:
        function: dict[str, Any] = {"name": tool.name, "description": tool.description, "parameters": tool.parameters}
        if tool.strict is not None:
            function["strict"] = tool.strict
        out.append({"type": "function", "function": function})
    return out


def wire_tool_choice(choice: str | NamedToolChoice) -> str | dict[str, Any]:
    if isinstance(choice, NamedToolChoice):
        return {"type": "function", "function": {"name": choice.name}}
    return choice


def wire_response_format(fmt: ResponseFormat) -> dict[str, Any]:
    if fmt.type != "json_schema":
        return {"type": fmt.type}
    schema: dict[str, Any] = {"name": fmt.name, "schema": fmt.schema}
    if fmt.strict is not None:
        schema["strict"] = fmt.strict
    if fmt.description:
        schema["description"] = fmt.description
    return {"type": "json_schema", "json_schema": schema}


#: Options both protocols send under the same name, only when set.
_SHARED_OPTIONS: Final = (
    "temperature", "top_p", "top_k", "max_tokens", "seed", "repetition_penalty", "presence_penalty", "n",
    "logprobs", "top_logprobs", "enable_thinking", "thinking_budget", "enable_search", "parallel_tool_calls",
)


def wire_stop(stop: Stop) -> str | list[Any]:
    """``stop`` as the documents give it: a string as is, sequences as lists (token-id sequences nested)."""
    if isinstance(stop, str):
        return stop
    return [item if isinstance(item, (str, int)) else list(item) for item in stop]


def put_options(request: ChatRequest, out: dict[str, Any]) -> None:
    """Add every set option to ``out`` (native ``parameters`` or the compatible top level)."""
    for name in _SHARED_OPTIONS:
        value = getattr(request, name)
        if value is not None:
            out[name] = value
    if request.stop is not None:
        out["stop"] = wire_stop(request.stop)
    if request.search_options is not None:
        out["search_options"] = dict(request.search_options)
    if request.tools:
        out["tools"] = wire_tools(request.tools)
        if request.tool_choice is not None:
            out["tool_choice"] = wire_tool_choice(request.tool_choice)
    if request.response_format is not None:
        out["response_format"] = wire_response_format(request.response_format)
    if request.extra:
        out.update(request.extra)


def set_fields(**fields: Any) -> dict[str, Any]:
    """The fields whose value is set (not ``None``), in the order given: "only set options are sent"."""
    return {name: value for name, value in fields.items() if value is not None}
