"""Service rules checked locally, before anything is sent.

Each check raises :class:`~qwen_core.errors.InvalidRequestError` (the request itself is malformed) or
:class:`~qwen_core.errors.UnsupportedFeatureError` (the chosen model cannot honour an option), with a message
that says how to fix it. The rules mirror the service's own 400 answers (docs/protocol.md#s2 and #s8), so users
get the explanation without a round trip. Model facts come from the catalogue; for models the catalogue
does not know, capability rules are skipped and the service decides.

What a request that forces a tool call or a JSON format becomes on a model that would think (thinking off, or a
guided call that never sends what the service refuses) is decided before these checks, by the one policy in
:mod:`qwen_core.forced_output` (its docstring has the table per model family).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from qwen_core.catalogue import ModelInfo
from qwen_core.errors import InvalidRequestError, UnsupportedFeatureError
from qwen_core.messages import has_media, text_of
from qwen_core.types import ROLES, Api, ChatRequest, Message, NamedToolChoice

__all__ = ["is_thinking", "requires_stream", "validate_chat_request", "validate_stream_request"]

_TOOL_NAME: Final = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_RESERVED_TOOL_NAMES: Final = frozenset({"search"})
_NATIVE_SEED_MAX: Final = 2**63 - 1
_COMPAT_SEED_MAX: Final = 2**31 - 1


def is_thinking(request: ChatRequest, info: ModelInfo) -> bool:
    """Whether the request runs in thinking mode (for unknown models: when ``enable_thinking=True``)."""
    if not info.known:
        return bool(request.enable_thinking)
    return info.thinking_enabled(request.enable_thinking)


def requires_stream(request: ChatRequest, info: ModelInfo) -> bool:
    """Whether the call must be streamed: the service only allows thinking on streamed calls (docs/protocol.md#q10)."""
    return is_thinking(request, info)


def validate_chat_request(request: ChatRequest, info: ModelInfo, api: Api) -> None:
    """Raise if the service would reject ``request`` for ``info``'s model on protocol ``api``.

    Raises:
        InvalidRequestError: malformed messages, tools or option values.
        UnsupportedFeatureError: an option the model (or thinking mode) does not support.
    """
    _check_messages(request.messages, api)
    _check_tools(request)
    _check_stop(request.stop)
    _check_capabilities(request, info)
    thinking = is_thinking(request, info)
    _check_thinking(request, info, thinking)
    _check_response_format(request, info)
    _check_partial(request.messages, thinking)
    _check_ranges(request, info, api)


def validate_stream_request(request: ChatRequest, api: Api) -> None:
    """Raise for what a streamed call cannot honour: native cumulative frames (``incremental_output=False``).

    The client streams fragments and accumulates them itself (the final text is the same); a cumulative
    stream would be read as fragments, so it is refused rather than silently switched (the Python SDK rewrites it).
    """
    if api == "dashscope" and request.extra.get("incremental_output") is False:
        raise InvalidRequestError(
            "incremental_output=False (cumulative stream frames) is not supported on streamed calls: the client "
            "streams fragments and accumulates them (same final text); drop incremental_output, or call without "
            "streaming"
        )


def _check_messages(messages: Sequence[Message], api: Api) -> None:
    if not messages:
        raise InvalidRequestError("messages is empty: pass at least one user message")
    call_ids: set[str] = set()
    call_names: set[str] = set()
    for position, message in enumerate(messages):
        if message.role not in ROLES:
            raise InvalidRequestError(
                f"message {position} has unknown role {message.role!r}; use one of: system, user, assistant, tool"
            )
        for call in message.tool_calls:
            call_ids.add(call.id)
            call_names.add(call.name)
        if message.role == "tool":
            _check_tool_result(position, message, call_ids, call_names, api)


def _check_tool_result(position: int, message: Message, ids: set[str], names: set[str], api: Api) -> None:
    if not message.tool_call_id:  # the documents' older form names the function instead (native only)
        if api != "dashscope":
            raise InvalidRequestError(
                f"tool message {position} has no tool_call_id: the compatible endpoint matches tool results by "
                "id; pass the id of the tool call it answers, or use api='dashscope', which also accepts "
                "{'role': 'tool', 'name': <function name>}"
            )
        if message.name not in names:
            raise InvalidRequestError(
                f"tool message {position} has neither a tool_call_id nor the name of a function an earlier "
                "assistant message called; keep the assistant message with its tool_calls before the results"
            )
        return
    if message.tool_call_id not in ids:
        raise InvalidRequestError(
            f"tool message {position} answers tool_call_id {message.tool_call_id!r}, but no earlier assistant "
            "message made a tool call with that id; keep the assistant message with its tool_calls in the "
            "history, before the tool results"
        )


def _check_stop(stop: Any) -> None:
    """``stop``: a string, or a non-empty list of strings, of token ids, or of token-id lists (one kind)."""
    if stop is None or isinstance(stop, str):
        return
    kinds = {_stop_kind(item) for item in stop} if isinstance(stop, Sequence) else {"other"}
    if not stop or len(kinds) != 1 or "other" in kinds:
        raise InvalidRequestError(
            f"stop must be a string, or a list of strings, of token ids or of token-id lists (all of one kind), "
            f"got {stop!r}"
        )


def _stop_kind(item: Any) -> str:
    if isinstance(item, str):
        return "str"
    if isinstance(item, int) and not isinstance(item, bool):
        return "int"
    if isinstance(item, Sequence) and item and all(isinstance(i, int) and not isinstance(i, bool) for i in item):
        return "ids"
    return "other"


def _check_tools(request: ChatRequest) -> None:
    seen: set[str] = set()
    for tool in request.tools:
        if not _TOOL_NAME.match(tool.name):
            raise InvalidRequestError(
                f"tool name {tool.name!r} is invalid: use 1-64 letters, digits, '_' or '-'"
            )
        if tool.name in _RESERVED_TOOL_NAMES:
            raise InvalidRequestError(f"tool name {tool.name!r} is reserved by the service; rename the tool")
        if tool.name in seen:
            raise InvalidRequestError(f"two tools are named {tool.name!r}; tool names must be unique")
        seen.add(tool.name)
        if not isinstance(tool.parameters, Mapping) or (tool.parameters and tool.parameters.get("type") != "object"):
            raise InvalidRequestError(
                f"tool {tool.name!r}: parameters must be a JSON schema object with \"type\": \"object\" "
                "(or {} for a tool without parameters)"
            )
    choice = request.tool_choice
    forced = choice == "required" or isinstance(choice, NamedToolChoice)
    if forced and not request.tools:
        raise InvalidRequestError(f"tool_choice={_describe(choice)} needs tools; pass tools= or drop tool_choice")
    if isinstance(choice, NamedToolChoice) and choice.name not in seen:
        raise InvalidRequestError(
            f"tool_choice names {choice.name!r}, which is not among the tools ({', '.join(sorted(seen))})"
        )


def _check_capabilities(request: ChatRequest, info: ModelInfo) -> None:
    if not info.known:
        return  # the service decides for models the catalogue does not know
    if request.tools and not info.supports_tools:
        raise UnsupportedFeatureError(
            f"model {info.name!r} does not support tool calling; choose another model or drop tools="
        )
    if has_media(request.messages) and not info.supports_vision:
        raise UnsupportedFeatureError(
            f"model {info.name!r} does not accept images, video or audio; use a vision model such as "
            "'qwen3-vl-plus' or send text only"
        )
    if request.n is not None and request.n > 1 and request.tools:
        raise InvalidRequestError("n > 1 cannot be combined with tools; set n=1 or drop tools=")


def _check_thinking(request: ChatRequest, info: ModelInfo, thinking: bool) -> None:
    if request.enable_thinking is False and info.known and info.thinking == "thinking_only":
        raise UnsupportedFeatureError(
            f"model {info.name!r} always thinks; drop enable_thinking=False or choose a non-thinking model"
        )
    if request.enable_thinking and info.known and info.thinking == "none":
        raise UnsupportedFeatureError(
            f"model {info.name!r} has no thinking mode; drop enable_thinking=True or choose a hybrid model "
            "such as 'qwen-plus'"
        )
    if request.thinking_budget is not None and request.thinking_budget <= 0:
        raise InvalidRequestError("thinking_budget must be a positive number of tokens")
    if not thinking:
        return
    choice = request.tool_choice
    if choice == "required" or isinstance(choice, NamedToolChoice):
        raise UnsupportedFeatureError(
            f"thinking mode does not support tool_choice={_describe(choice)}; use tool_choice='auto' or "
            "set enable_thinking=False"
        )
    fmt = request.response_format
    if fmt is not None and fmt.type != "text":
        raise UnsupportedFeatureError(
            f"thinking mode does not support response_format {fmt.type!r}; set enable_thinking=False or use "
            "function calling for structured output"
        )


def _check_response_format(request: ChatRequest, info: ModelInfo) -> None:
    fmt = request.response_format
    if fmt is None or fmt.type == "text":
        return
    if fmt.type == "json_schema":
        if not info.supports_json_schema:
            raise UnsupportedFeatureError(
                f"model {info.name!r} does not support response_format json_schema; use function calling "
                "(tools) or response_format json_object instead, or a model such as 'qwen-plus'"
            )
        if fmt.schema is None:
            raise InvalidRequestError("response_format json_schema needs a schema")
        return
    if info.known and not info.supports_json_object:
        raise UnsupportedFeatureError(
            f"model {info.name!r} does not support response_format json_object; use function calling (tools)"
        )
    if not any("json" in text_of(message.content).lower() for message in request.messages):
        raise InvalidRequestError(
            "response_format json_object requires the word 'json' in the messages (a service rule); "
            "add e.g. 'Answer in JSON.' to the system or user message"
        )


def _check_partial(messages: Sequence[Message], thinking: bool) -> None:
    last = len(messages) - 1
    for position, message in enumerate(messages):
        if not message.partial:
            continue
        if position != last or message.role != "assistant":
            raise InvalidRequestError(
                f"message {position}: partial=True is only allowed on the last message, which must be an "
                "assistant message holding the prefix to continue"
            )
        if thinking:
            raise UnsupportedFeatureError(
                "prefix continuation (partial=True) does not work in thinking mode; set enable_thinking=False"
            )


def _check_ranges(request: ChatRequest, info: ModelInfo, api: Api) -> None:
    _require(request.temperature, lambda v: 0 <= v < 2, "temperature must be in [0, 2)")
    _require(request.top_p, lambda v: 0 < v <= 1, "top_p must be in (0, 1]")
    _require(request.top_logprobs, lambda v: 0 <= v <= 5, "top_logprobs must be in [0, 5]")
    _require(request.n, lambda v: 1 <= v <= 4, "n must be in [1, 4]")
    _require(request.max_tokens, lambda v: v >= 1, "max_tokens must be at least 1")
    seed_max = _NATIVE_SEED_MAX if api == "dashscope" else _COMPAT_SEED_MAX
    _require(
        request.seed,
        lambda v: 0 <= v <= seed_max,
        f"seed must be in [0, {seed_max}] on the {api} API"
        + ("" if api == "dashscope" else " (the native api='dashscope' accepts 64-bit seeds)"),
    )
    budget = request.thinking_budget
    if budget is not None and info.known and info.max_thinking_tokens and budget > info.max_thinking_tokens:
        raise InvalidRequestError(
            f"thinking_budget {budget} exceeds the {info.max_thinking_tokens} reasoning tokens model "
            f"{info.name!r} allows"
        )


def _require(value: Any, ok: Callable[[Any], bool], message: str) -> None:
    if value is not None and not ok(value):
        raise InvalidRequestError(f"{message}, got {value!r}")


def _describe(choice: Any) -> str:
    return repr(choice.name) if isinstance(choice, NamedToolChoice) else repr(choice)
